//! The build script of `cargo xtask self-rebuild`. The same text runs
//! inside VeridianOS (started by init) and in a chroot on the Linux host,
//! over the same files at the same paths; it reports on the console with
//! `SELFREBUILD …` lines that [`parse`] reads.

/// Where the script lies in the rebuild tree.
pub const PATH: &str = "/usr/local/src/self-rebuild.sh";
/// Where the built artifacts are copied.
pub const OUT_DIR: &str = "/usr/local/src/out";

/// What is rebuilt: the artifact's name, the folder cargo runs in (under
/// `/usr/local/src`), where the binary lands, the extra environment and
/// cargo arguments.
pub struct Artifact {
    pub name: &'static str,
    pub dir: &'static str,
    pub built: &'static str,
    pub env: &'static str,
    pub args: &'static str,
}

/// The kernel is built for `x86_64-unknown-none` with build-std (its own
/// `.cargo/config.toml`), linked by the toolchain's `rust-lld` instead of
/// Debian's `ld.lld-19`, without the image's rustc wrapper (the wrapper is
/// for crates built for VeridianOS). init and mkfs-blockfs are built for
/// the hosted compiler's own target, `x86_64-unknown-veridian`, the way a
/// user builds in the guest.
pub const ARTIFACTS: &[Artifact] = &[
    Artifact {
        name: "kernel",
        dir: "veridian/kernel/kernel",
        built: "/tmp/self-rebuild/kernel/x86_64-unknown-none/release/veridian-kernel",
        env: "RUSTC_WRAPPER= CARGO_TARGET_X86_64_UNKNOWN_NONE_LINKER=rust-lld \
              CARGO_TARGET_DIR=/tmp/self-rebuild/kernel",
        args: "",
    },
    Artifact {
        name: "init",
        dir: "veridian/userland",
        built: "/tmp/self-rebuild/userland/release/init",
        env: "CARGO_TARGET_X86_64_UNKNOWN_VERIDIAN_LINKER=rust-lld \
              CARGO_TARGET_DIR=/tmp/self-rebuild/userland",
        args: "-p init",
    },
    Artifact {
        name: "mkfs-blockfs",
        dir: "mkfs-blockfs",
        built: "/tmp/self-rebuild/mkfs/release/mkfs-blockfs",
        env: "CARGO_TARGET_DIR=/tmp/self-rebuild/mkfs",
        args: "-p mkfs-blockfs",
    },
];

/// The script (busybox sh).
pub fn text() -> String {
    let mut s = String::from(
        "# cargo xtask self-rebuild: inside VeridianOS and in a chroot on Linux alike.\n\
         export HOME=/ PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin RUSTC_BOOTSTRAP=1\n\
         rm -rf /usr/local/src/out /tmp/self-rebuild\n\
         mkdir -p /usr/local/src/out /tmp/self-rebuild\n\
         if [ -r /proc/meminfo ]; then\n  \
           ( while :; do grep MemAvailable /proc/meminfo; sleep 5; done ) > /tmp/self-rebuild/mem &\n  \
           sampler=$!\n\
         fi\n\
         build() {\n  \
           name=$1; dir=$2; built=$3; shift 3\n  \
           start=$(date +%s)\n  \
           if (cd /usr/local/src/$dir && env \"$@\"); then\n    \
             cp \"$built\" /usr/local/src/out/$name && \
         echo \"SELFREBUILD built $name $(( $(date +%s) - start ))\"\n  \
           else\n    \
             echo \"SELFREBUILD failed $name\"\n  \
           fi\n\
         }\n",
    );
    for a in ARTIFACTS {
        let env: Vec<&str> = a.env.split_whitespace().collect();
        s.push_str(&format!(
            "build {} {} {} {} cargo build --release --offline --locked {}\n",
            a.name,
            a.dir,
            a.built,
            env.join(" "),
            a.args
        ));
    }
    s.push_str(
        "if [ -n \"$sampler\" ]; then\n  \
           kill $sampler\n  \
           total=$(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2)\n  \
           least=$(tr -s ' ' < /tmp/self-rebuild/mem | cut -d' ' -f2 | sort -n | head -n 1)\n  \
           echo \"SELFREBUILD peak-used-kib $(( total - least ))\"\n\
         fi\n\
         sync\n\
         echo \"SELFREBUILD done\"\n",
    );
    s
}

/// What the script reported.
#[derive(Debug, Default, PartialEq)]
pub struct Report {
    /// Seconds per artifact built.
    pub built: Vec<(String, u64)>,
    pub failed: Vec<String>,
    pub peak_used_kib: Option<u64>,
    pub done: bool,
}

/// The words after `SELFREBUILD` on each report line of a console log
/// (whatever precedes the marker on a line is the console's).
pub fn report_lines(log: &str) -> impl Iterator<Item = Vec<&str>> {
    log.lines().filter_map(|line| {
        let at = line.find("SELFREBUILD ")?;
        Some(
            line[at + "SELFREBUILD ".len()..]
                .split_whitespace()
                .collect(),
        )
    })
}

/// Reads the `SELFREBUILD` lines of a console log.
pub fn parse(log: &str) -> Report {
    let mut r = Report::default();
    for words in report_lines(log) {
        match words.as_slice() {
            ["built", name, secs] => {
                if let Ok(s) = secs.parse() {
                    r.built.push((name.to_string(), s));
                }
            }
            ["failed", name] => r.failed.push(name.to_string()),
            ["peak-used-kib", kib] => r.peak_used_kib = kib.parse().ok(),
            ["done"] => r.done = true,
            _ => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_builds_each_artifact_once() {
        let s = text();
        for a in ARTIFACTS {
            assert_eq!(s.matches(&format!("build {} ", a.name)).count(), 1);
            assert!(s.contains(a.built));
        }
        assert!(s.ends_with("echo \"SELFREBUILD done\"\n"));
    }

    #[test]
    fn report_lines_parse_whatever_precedes_them() {
        let log = "[ 12.0] SELFREBUILD built kernel 812\r\n\
                   SELFREBUILD failed init\n\
                   noise SELFREBUILD peak-used-kib 1234567\n\
                   SELFREBUILD built mkfs-blockfs x\n\
                   SELFREBUILD done\n";
        let r = parse(log);
        assert_eq!(r.built, vec![("kernel".to_string(), 812)]);
        assert_eq!(r.failed, vec!["init".to_string()]);
        assert_eq!(r.peak_used_kib, Some(1234567));
        assert!(r.done);
        assert_eq!(parse("SELFREBUILD built kernel"), Report::default());
    }
}
