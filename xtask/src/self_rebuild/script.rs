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

/// The script (busybox sh). It resumes: a step whose artifact is in
/// [`OUT_DIR`] with its seconds (`<name>.secs`) is reported, not rebuilt;
/// a step an earlier run started (`<name>.started`) and did not finish is
/// run again over cargo's target folder as that run left it, and its
/// seconds are marked `resumed` (this run's share only). The target folders
/// live under /tmp, which is on the image's own file system. A sync every
/// minute keeps a power cut from losing more than a minute of it.
pub fn text() -> String {
    let mut s = String::from(
        "# cargo xtask self-rebuild: inside VeridianOS and in a chroot on Linux alike.\n\
         export HOME=/ PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin RUSTC_BOOTSTRAP=1\n\
         out=/usr/local/src/out\n\
         mkdir -p $out /tmp/self-rebuild\n\
         ( while :; do sleep 60; sync; done ) > /dev/null 2>&1 &\n\
         syncer=$!\n\
         if [ -r /proc/meminfo ]; then\n  \
           ( while :; do grep MemAvailable /proc/meminfo; sleep 5; done ) >> /tmp/self-rebuild/mem 2> /dev/null &\n  \
           sampler=$!\n\
         fi\n\
         build() {\n  \
           name=$1; dir=$2; built=$3; shift 3\n  \
           if [ -e $out/$name.secs ]; then\n    \
             echo \"SELFREBUILD built $name $(cat $out/$name.secs)\"\n    \
             return\n  \
           fi\n  \
           resumed=\"\"\n  \
           if [ -e $out/$name.started ]; then resumed=\" resumed\"; fi\n  \
           touch $out/$name.started; sync\n  \
           start=$(date +%s)\n  \
           if (cd /usr/local/src/$dir && env \"$@\"); then\n    \
             secs=\"$(( $(date +%s) - start ))$resumed\"\n    \
             cp \"$built\" $out/$name && echo \"$secs\" > $out/$name.secs && sync && \
         echo \"SELFREBUILD built $name $secs\"\n  \
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
        "kill $syncer\n\
         if [ -n \"$sampler\" ]; then\n  \
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
    pub built: Vec<Built>,
    pub failed: Vec<String>,
    pub peak_used_kib: Option<u64>,
    pub done: bool,
}

/// One artifact the script built.
#[derive(Debug, PartialEq)]
pub struct Built {
    pub name: String,
    pub secs: u64,
    /// Built over what an interrupted earlier run left: `secs` is only the
    /// last run's share.
    pub resumed: bool,
}

impl Built {
    /// Its seconds, marked when they are only a share.
    pub fn time(&self) -> String {
        if self.resumed {
            format!("{}+ (resumed)", self.secs)
        } else {
            self.secs.to_string()
        }
    }
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
            ["built", name, secs, rest @ ..] if rest.is_empty() || rest == ["resumed"] => {
                if let Ok(secs) = secs.parse() {
                    r.built.push(Built {
                        name: name.to_string(),
                        secs,
                        resumed: !rest.is_empty(),
                    });
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
        assert!(
            !s.contains("rm -rf"),
            "a rerun resumes what an earlier run left"
        );
    }

    /// The script, run by the host's `sh` over a scratch folder with a
    /// `cargo` that logs its calls and fails where told.
    fn run_in(dir: &std::path::Path) -> Report {
        let text = text()
            .replace("/usr/local/src", &dir.join("src").display().to_string())
            .replace("/tmp/self-rebuild", &dir.join("tmp").display().to_string())
            .replace(
                "PATH=/usr/local/bin",
                &format!("PATH={}:/usr/local/bin", dir.join("bin").display()),
            );
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(text)
            .output()
            .expect("sh runs");
        parse(&String::from_utf8_lossy(&out.stdout))
    }

    #[test]
    fn a_rerun_keeps_finished_steps_and_resumes_the_failed_one() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for a in ARTIFACTS {
            std::fs::create_dir_all(d.join("src").join(a.dir)).unwrap();
        }
        std::fs::create_dir_all(d.join("bin")).unwrap();
        let tmp = d.join("tmp").display().to_string();
        let cargo = format!(
            "#!/bin/sh\n\
             name=$(basename \"$CARGO_TARGET_DIR\")\n\
             echo $name >> {log}\n\
             [ -e {fail}-$name ] && exit 1\n\
             for a in {built}; do mkdir -p $(dirname $a); echo $name > $a; done\n",
            log = d.join("calls").display(),
            fail = d.join("fail").display(),
            built = ARTIFACTS
                .iter()
                .map(|a| a.built.replace("/tmp/self-rebuild", &tmp))
                .collect::<Vec<_>>()
                .join(" "),
        );
        let fake = d.join("bin/cargo");
        std::fs::write(&fake, cargo).unwrap();
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&fake)
            .status()
            .unwrap();
        std::fs::write(d.join("fail-userland"), "").unwrap();

        let first = run_in(d);
        assert!(first.done);
        assert_eq!(first.failed, ["init"]);
        let names = |r: &Report| r.built.iter().map(|b| b.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&first), ["kernel", "mkfs-blockfs"]);
        assert!(first.built.iter().all(|b| !b.resumed));

        std::fs::remove_file(d.join("fail-userland")).unwrap();
        let second = run_in(d);
        assert!(second.done && second.failed.is_empty());
        assert_eq!(names(&second), ["kernel", "init", "mkfs-blockfs"]);
        let resumed: Vec<bool> = second.built.iter().map(|b| b.resumed).collect();
        assert_eq!(resumed, [false, true, false]);
        let calls = std::fs::read_to_string(d.join("calls")).unwrap();
        assert_eq!(
            calls.lines().collect::<Vec<_>>(),
            ["kernel", "userland", "mkfs", "userland"],
            "the second run built only the step that had failed"
        );
        assert_eq!(
            std::fs::read_to_string(d.join("src/out/init")).unwrap(),
            "userland\n"
        );
    }

    #[test]
    fn report_lines_parse_whatever_precedes_them() {
        let log = "[ 12.0] SELFREBUILD built kernel 812\r\n\
                   SELFREBUILD failed init\n\
                   noise SELFREBUILD peak-used-kib 1234567\n\
                   SELFREBUILD built mkfs-blockfs x\n\
                   SELFREBUILD built init 40 resumed\n\
                   SELFREBUILD built init 41 later\n\
                   SELFREBUILD done\n";
        let r = parse(log);
        assert_eq!(
            r.built,
            vec![
                Built {
                    name: "kernel".into(),
                    secs: 812,
                    resumed: false
                },
                Built {
                    name: "init".into(),
                    secs: 40,
                    resumed: true
                }
            ]
        );
        assert_eq!(r.built[1].time(), "40+ (resumed)");
        assert_eq!(r.failed, vec!["init".to_string()]);
        assert_eq!(r.peak_used_kib, Some(1234567));
        assert!(r.done);
        assert_eq!(parse("SELFREBUILD built kernel"), Report::default());
    }
}
