//! `native-build bench <jobs>[,<jobs>…] <runs>`: the guest half of `cargo
//! xtask bench compile`, the same binary inside VeridianOS and as a Linux
//! guest's init (see [`crate::linux_init`]). `rustc hello.rs` runs `<runs>` times; each cargo step runs
//! `<runs>` times at each `-j` value given.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::{cargo, copy_tree, PATH};

/// The project tree the cargo steps build (staged by the rootfs).
const PROJECT: &str = "/usr/local/share/veridian/projects/mkfs-blockfs";
/// The hello world of the self-hosting criteria.
const HELLO: &str = "/usr/local/share/veridian/hello.rs";
const WORK: &str = "/tmp/bench";

pub fn run(jobs: &[u32], runs: u32) -> Result<(), String> {
    crate::linux_init::setup()?;
    let _ = fs::remove_dir_all(WORK);
    let project = Path::new(WORK).join("mkfs-blockfs");
    copy_tree(Path::new(PROJECT), &project)?;
    for _ in 0..runs {
        let start = Instant::now();
        let status = Command::new("/usr/local/bin/rustc")
            .env("PATH", PATH)
            .args([HELLO, "-o", "/tmp/bench/hello"])
            .status()
            .map_err(|e| format!("cannot start rustc: {e}"))?;
        if !status.success() {
            return Err(format!("rustc hello.rs failed ({status})"));
        }
        report("rustc-hello", 1, start.elapsed().as_secs_f64());
    }
    for (step, package) in [("cargo-small", "blockfs"), ("cargo-medium", "mkfs-blockfs")] {
        for &j in jobs {
            let jobs_arg = j.to_string();
            for _ in 0..runs {
                let _ = fs::remove_dir_all(project.join("target"));
                let run = cargo(
                    &project,
                    &[
                        "build",
                        "--offline",
                        "--locked",
                        "-j",
                        &jobs_arg,
                        "-p",
                        package,
                    ],
                )?;
                report(step, j, run.seconds);
            }
        }
    }
    println!("BENCH done");
    Ok(())
}

/// `1,2` → `[1, 2]`; every value at least 1.
pub fn parse_jobs(list: &str) -> Result<Vec<u32>, String> {
    list.split(',')
        .map(|j| match j.parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("bench: bad jobs value {j:?} in {list:?}")),
        })
        .collect()
}

fn report(step: &str, jobs: u32, seconds: f64) {
    println!("BENCH {step} {jobs} {seconds:.3}");
}

#[cfg(test)]
mod tests {
    use super::parse_jobs;

    #[test]
    fn jobs_lists_parse() {
        assert_eq!(parse_jobs("1,2"), Ok(vec![1, 2]));
        assert_eq!(parse_jobs("4"), Ok(vec![4]));
        assert!(parse_jobs("0").is_err());
        assert!(parse_jobs("1,,2").is_err());
        assert!(parse_jobs("two").is_err());
    }
}
