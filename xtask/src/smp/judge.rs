//! Reading the console log of an SMP boot: the runs the script framed, the
//! kernel's `veridian: <k> CPUs online` line, and the verdicts of the
//! conformance programs and of smp-stress.

use anyhow::{bail, ensure, Result};

use super::script::{BEGIN, END, STRESS};
use crate::conformance::{judge, Ended, PROGRAMS};

/// The line a kernel with SMP support prints once its CPUs are up.
const ONLINE_PREFIX: &str = "veridian: ";
const ONLINE_SUFFIX: &str = " CPUs online";

/// One program's stretch of the log.
#[derive(Debug)]
pub struct Run<'a> {
    pub name: &'a str,
    /// The shell's `$?`; None when the log ends inside the run.
    pub status: Option<i32>,
    pub text: String,
}

/// The framed runs, in order.
pub fn runs(log: &str) -> Vec<Run<'_>> {
    let mut runs: Vec<Run> = Vec::new();
    let mut open = false;
    for line in log.lines() {
        if let Some(name) = line.strip_prefix(BEGIN) {
            runs.push(Run {
                name: name.trim(),
                status: None,
                text: String::new(),
            });
            open = true;
        } else if let Some(rest) = line.strip_prefix(END) {
            if let (Some(run), true) = (runs.last_mut(), open) {
                let (name, status) = rest.trim().rsplit_once(' ').unwrap_or((rest, ""));
                if name == run.name {
                    run.status = status.parse().ok();
                }
            }
            open = false;
        } else if let (Some(run), true) = (runs.last_mut(), open) {
            run.text.push_str(line);
            run.text.push('\n');
        }
    }
    runs
}

/// `k` from the kernel's `veridian: <k> CPUs online`, if it printed one.
pub fn kernel_cpus(log: &str) -> Option<u32> {
    log.lines().find_map(|l| {
        l.trim()
            .strip_prefix(ONLINE_PREFIX)?
            .strip_suffix(ONLINE_SUFFIX)?
            .parse()
            .ok()
    })
}

/// The guest printed /etc/os-release's `ID=veridian`.
pub fn proves_veridian(log: &str) -> bool {
    log.lines().any(|l| l.trim_end() == "ID=veridian")
}

fn find<'a>(runs: &'a [Run<'a>], name: &str) -> Result<&'a Run<'a>> {
    match runs.iter().find(|r| r.name == name) {
        Some(run) => Ok(run),
        None => bail!("{name} never started"),
    }
}

/// Every conformance program's verdict; the error lists the failures.
pub fn conformance(log: &str) -> Result<usize> {
    let runs = runs(log);
    let mut failures = Vec::new();
    for program in PROGRAMS {
        let verdict = find(&runs, program.bin).and_then(|run| match run.status {
            None => bail!("did not finish"),
            Some(code) => {
                let o = judge(program, Ended::from_init_status(code), &run.text, &run.text);
                ensure!(o.passed, "{}", o.detail);
                Ok(())
            }
        });
        if let Err(e) = verdict {
            failures.push(format!("{}: {e:#}", program.bin));
        }
    }
    ensure!(failures.is_empty(), "{}", failures.join("; "));
    Ok(PROGRAMS.len())
}

/// smp-stress's own verdict from its output and exit status (None: it did
/// not finish): its last marker must be `SMP-STRESS: PASS` and the status
/// 0. Returns the CPU count it printed (`SMP-STRESS: cpus=<n>`).
pub fn stress_output(stdout: &str, status: Option<i32>) -> Result<u32> {
    let markers: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("SMP-STRESS: "))
        .collect();
    let last = markers.last().copied().unwrap_or("no SMP-STRESS line");
    ensure!(
        status == Some(0) && last.starts_with("SMP-STRESS: PASS"),
        "{last} ({})",
        status.map_or("did not finish".into(), |s| format!("status {s}"))
    );
    let seen: u32 = markers
        .iter()
        .find_map(|l| l.strip_prefix("SMP-STRESS: cpus=")?.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no SMP-STRESS: cpus=<n> line"))?;
    ensure!(seen >= 1, "available_parallelism() gave {seen}");
    Ok(seen)
}

/// What became of the CPU-count check.
#[derive(Debug, PartialEq, Eq)]
pub enum CpuCheck {
    /// The kernel reported SMP support and smp-stress saw every CPU.
    Checked,
    /// No `CPUs online` line: a uniprocessor kernel; smp-stress saw `seen`.
    Uniprocessor { seen: u32 },
}

/// smp-stress passed (its last marker `SMP-STRESS: PASS`, status 0) and,
/// when the kernel reports SMP support, both it and smp-stress count
/// `requested` CPUs.
pub fn stress(log: &str, requested: u32) -> Result<CpuCheck> {
    let runs = runs(log);
    let run = find(&runs, STRESS)?;
    let seen = stress_output(&run.text, run.status)?;
    match kernel_cpus(log) {
        None => Ok(CpuCheck::Uniprocessor { seen }),
        Some(online) => {
            ensure!(
                online == requested,
                "QEMU had {requested} CPUs, the kernel brought {online} online"
            );
            ensure!(
                seen == requested,
                "smp-stress saw {seen} CPUs (available_parallelism), the guest has {requested}"
            );
            Ok(CpuCheck::Checked)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stress_log(cpus: u32, last: &str, status: i32) -> String {
        format!(
            "{BEGIN}{STRESS}\nSMP-STRESS: cpus={cpus}\nSMP-STRESS: part x: ok\n{last}\n{END}{STRESS} {status}\n"
        )
    }

    #[test]
    fn runs_are_cut_at_the_markers() {
        let log = format!(
            "boot noise\n{BEGIN}a\none\ntwo\n{END}a 0\nbetween\n{BEGIN}b\nthree\n{END}b 134\n{BEGIN}c\nfour\n"
        );
        let r = runs(&log);
        assert_eq!(r.len(), 3);
        assert_eq!(
            (r[0].name, r[0].status, r[0].text.as_str()),
            ("a", Some(0), "one\ntwo\n")
        );
        assert_eq!((r[1].name, r[1].status), ("b", Some(134)));
        assert_eq!(
            (r[2].name, r[2].status, r[2].text.as_str()),
            ("c", None, "four\n")
        );
    }

    #[test]
    fn the_online_line_is_the_smp_flag() {
        assert_eq!(kernel_cpus("x\nveridian: 4 CPUs online\n"), Some(4));
        assert_eq!(kernel_cpus("veridian: init exited with status 0\n"), None);
        assert_eq!(kernel_cpus("veridian: many CPUs online\n"), None);
    }

    #[test]
    fn os_release_proves_the_system() {
        assert!(proves_veridian("NAME=\"VeridianOS\"\nID=veridian\n"));
        assert!(!proves_veridian("ID=debian\n"));
    }

    #[test]
    fn stress_needs_pass_line_and_status_zero() {
        let ok = stress_log(1, "SMP-STRESS: PASS (9 parts, 1 s)", 0);
        assert_eq!(stress(&ok, 1).unwrap(), CpuCheck::Uniprocessor { seen: 1 });
        assert!(stress(&stress_log(1, "SMP-STRESS: FAIL futex: lost", 1), 1).is_err());
        assert!(stress(&stress_log(1, "SMP-STRESS: PASS", 1), 1).is_err());
        let unfinished = format!("{BEGIN}{STRESS}\nSMP-STRESS: cpus=1\nSMP-STRESS: PASS\n");
        assert!(stress(&unfinished, 1).is_err());
        assert!(stress("no runs at all\n", 1).is_err());
    }

    #[test]
    fn cpu_count_is_checked_only_when_the_kernel_reports_smp() {
        let up = stress_log(1, "SMP-STRESS: PASS", 0);
        assert_eq!(stress(&up, 4).unwrap(), CpuCheck::Uniprocessor { seen: 1 });
        let smp_ok = format!(
            "veridian: 4 CPUs online\n{}",
            stress_log(4, "SMP-STRESS: PASS", 0)
        );
        assert_eq!(stress(&smp_ok, 4).unwrap(), CpuCheck::Checked);
        let smp_blind = format!(
            "veridian: 4 CPUs online\n{}",
            stress_log(1, "SMP-STRESS: PASS", 0)
        );
        assert!(
            stress(&smp_blind, 4).is_err(),
            "available_parallelism must see 4"
        );
        let smp_short = format!(
            "veridian: 2 CPUs online\n{}",
            stress_log(2, "SMP-STRESS: PASS", 0)
        );
        assert!(
            stress(&smp_short, 4).is_err(),
            "the kernel must bring up all 4"
        );
    }

    #[test]
    fn conformance_judges_every_program() {
        let mut log = String::new();
        for p in PROGRAMS {
            log.push_str(&format!("{BEGIN}{}\n", p.bin));
            let status = match p.expect {
                crate::conformance::Expect::Pass => {
                    log.push_str(&format!("CONF {} a ok\nCONF {} done 1\n", p.suite, p.suite));
                    0
                }
                crate::conformance::Expect::PanicExit => {
                    log.push_str(&format!(
                        "CONF {} a ok\nthread 'main' panicked at x.rs:1:1\n",
                        p.suite
                    ));
                    101
                }
            };
            log.push_str(&format!("{END}{} {status}\n", p.bin));
        }
        assert_eq!(conformance(&log).unwrap(), PROGRAMS.len());
        let broken = log.replacen(
            &format!("{END}{} 0", PROGRAMS[0].bin),
            &format!("{END}{} 1", PROGRAMS[0].bin),
            1,
        );
        let err = conformance(&broken).unwrap_err().to_string();
        assert!(err.starts_with(PROGRAMS[0].bin), "{err}");
        let cut = &log[..log.find(&format!("{BEGIN}{}", PROGRAMS[3].bin)).unwrap()];
        assert!(conformance(cut)
            .unwrap_err()
            .to_string()
            .contains("never started"));
    }
}
