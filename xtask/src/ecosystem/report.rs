//! Reading what `cargo test --no-fail-fast` printed: libtest's result lines,
//! the reason of each failed test, test binaries that ended without a result
//! (the runner failed, the program crashed), and build errors.

/// The tally of one crate's test run.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub passed: usize,
    pub ignored: usize,
    /// Failed tests as (name, reason).
    pub failures: Vec<(String, String)>,
    /// Test binaries that ended without libtest's summary, as (binary, reason).
    pub broken_binaries: Vec<(String, String)>,
    /// The first compiler error when the suite did not build.
    pub build_error: Option<String>,
}

impl Outcome {
    /// Failed tests, counting a binary that died without a summary as one.
    pub fn failed(&self) -> usize {
        self.failures.len() + self.broken_binaries.len()
    }
}

/// Parses the combined stdout and stderr of `cargo test --no-fail-fast`.
pub fn parse(text: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut failed_names = Vec::new();
    // Whether a test binary started: cargo's later `error:` lines are then
    // about failed tests, not the build.
    let mut ran = false;
    // The current test binary's passed and ignored tests, counted from its
    // `test … ok` lines for when it dies before its summary.
    let (mut section_ok, mut section_ignored) = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("     Running ") || line.starts_with("   Doc-tests ") {
            ran = true;
            (section_ok, section_ignored) = (0, 0);
        }
        if line.starts_with("test ") && line.ends_with(" ... ok") {
            section_ok += 1;
        } else if line.starts_with("test ") && line.ends_with(" ... ignored") {
            section_ignored += 1;
        }
        if let Some(summary) = line.strip_prefix("test result: ") {
            outcome.passed += count(summary, "passed");
            outcome.ignored += count(summary, "ignored");
        } else if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|l| l.strip_suffix(" ... FAILED"))
        {
            failed_names.push(name.to_string());
        } else if let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        {
            let reason = panic_message(&lines[i + 1..]);
            outcome.failures.push((name.to_string(), reason));
        } else if let Some((before, rest)) = line.split_once("error: test failed, to rerun pass `")
        {
            // cargo's error may follow a test's name on its line when the
            // binary died during that test.
            let dying_test = before
                .strip_prefix("test ")
                .map(|t| t.trim_end_matches(" ... "));
            let binary = rest.trim_end_matches('`').to_string();
            // A binary that printed a summary is already counted by its tests.
            let summarised = lines[..i]
                .iter()
                .rev()
                .take_while(|l| !l.starts_with("     Running ") && !l.starts_with("   Doc-tests "))
                .any(|l| l.starts_with("test result: "));
            if !summarised {
                outcome.passed += section_ok;
                outcome.ignored += section_ignored;
                // The runner's own error (often after the test that hung),
                // else cargo's account of the exit.
                let runner = lines[..i]
                    .iter()
                    .rev()
                    .take_while(|l| {
                        !l.starts_with("     Running ") && !l.starts_with("   Doc-tests ")
                    })
                    .chain(lines[i + 1..].iter().take(6))
                    .find(|l| l.contains("veridian-run:"));
                let reason = runner
                    .or_else(|| {
                        lines[i + 1..]
                            .iter()
                            .find(|l| l.contains("process didn't exit"))
                    })
                    .map_or_else(|| "no test summary".to_string(), |l| l.trim().to_string());
                let reason = match dying_test {
                    Some(test) => format!("died in {test}: {reason}"),
                    None => reason,
                };
                outcome.broken_binaries.push((binary, reason));
            }
        } else if outcome.build_error.is_none()
            && (line.starts_with("error[E")
                || line.starts_with("error: could not compile")
                || (line.starts_with("error: ") && !ran))
        {
            outcome.build_error = Some(line.to_string());
        }
    }
    // Failures listed as FAILED but without an output section.
    for name in failed_names {
        if !outcome.failures.iter().any(|(n, _)| *n == name) {
            outcome
                .failures
                .push((name, "no output captured".to_string()));
        }
    }
    outcome
}

/// `N word` inside libtest's summary, e.g. `3 passed; 1 failed`.
fn count(summary: &str, word: &str) -> usize {
    summary
        .split(';')
        .filter_map(|part| {
            part.trim()
                .trim_start_matches("ok. ")
                .trim_start_matches("FAILED. ")
                .split_once(' ')
        })
        .find(|(_, w)| *w == word)
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0)
}

/// The panic location and message after a `---- name stdout ----` header.
fn panic_message(after: &[&str]) -> String {
    let section = after
        .iter()
        .take_while(|l| !l.starts_with("---- ") && !l.starts_with("failures:"));
    let mut lines = section.skip_while(|l| !l.contains("panicked at"));
    match lines.next() {
        Some(at) => {
            let place = at
                .split("panicked at ")
                .nth(1)
                .unwrap_or("")
                .trim_end_matches(':');
            let message = lines.next().map_or("", |l| l.trim());
            format!("{place}: {message}")
        }
        // A doctest that returned an error: rustdoc quotes its stderr.
        None => {
            let stderr = after
                .iter()
                .skip_while(|l| l.trim() != "stderr:")
                .skip(1)
                .find(|l| !l.trim().is_empty());
            stderr
                .or_else(|| after.iter().find(|l| !l.trim().is_empty()))
                .map_or("no output", |l| l.trim())
                .to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "\
     Running unittests src/lib.rs (target/x86_64-unknown-veridian/debug/deps/w-1)

running 3 tests
test a ... ok
test b ... FAILED
test c ... ignored

failures:

---- b stdout ----

thread 'b' panicked at src/lib.rs:10:5:
assertion `left == right` failed
  left: 1
 right: 2
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    b

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s

error: test failed, to rerun pass `--lib`
     Running tests/it.rs (target/x86_64-unknown-veridian/debug/deps/it-2)

running 2 tests
test quick ... ok
test slow ... veridian-run: timed out after 300 s; QEMU killed
error: test failed, to rerun pass `--test it`

Caused by:
  process didn't exit successfully: `veridian-run it-2` (exit status: 125)
veridian-run: timed out after 300 s; QEMU killed
   Doc-tests w

running 2 tests
test src/lib.rs - f (line 3) ... ok
test src/lib.rs - g (line 9) ... ok

test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.20s
";

    #[test]
    fn counts_results_failures_with_reasons_and_broken_binaries() {
        let o = parse(RUN);
        assert_eq!(
            (o.passed, o.ignored),
            (4, 1),
            "quick counts though its binary died"
        );
        assert_eq!(
            o.failures,
            [(
                "b".to_string(),
                "src/lib.rs:10:5: assertion `left == right` failed".to_string()
            )]
        );
        assert_eq!(o.broken_binaries.len(), 1);
        assert_eq!(o.broken_binaries[0].0, "--test it");
        assert_eq!(
            o.broken_binaries[0].1,
            "test slow ... veridian-run: timed out after 300 s; QEMU killed"
        );
        assert_eq!(o.failed(), 2);
        assert_eq!(o.build_error, None);
    }

    #[test]
    fn a_build_error_is_reported() {
        let o = parse("   Compiling x v1.0.0\nerror[E0432]: unresolved import `unistd`\n --> src/x.rs\nerror: could not compile `x`\n");
        assert_eq!(
            o.build_error.as_deref(),
            Some("error[E0432]: unresolved import `unistd`")
        );
        assert_eq!(o.failed(), 0);
    }

    #[test]
    fn a_cargo_error_is_a_build_error_until_tests_run() {
        let o = parse("error: current package believes it's in a workspace when it's not:\n");
        assert!(o.build_error.unwrap().contains("believes"));
        let o = parse(&format!("{RUN}error: 1 target failed:\n    `--lib`\n"));
        assert_eq!(o.build_error, None);
    }

    #[test]
    fn a_failed_doctest_gives_its_stderr() {
        let o = parse("test src/lib.rs - f (line 3) ... FAILED\n\nfailures:\n\n---- src/lib.rs - f (line 3) stdout ----\nTest executable failed (exit status: 1).\n\nstderr:\nError: Os { code: 19 }\n\n");
        assert_eq!(o.failures[0].1, "Error: Os { code: 19 }");
    }

    #[test]
    fn a_binary_killed_during_a_test_names_it() {
        let o = parse("     Running test/test.rs (t)\n\nrunning 3 tests\ntest a ... ok\ntest s::sigwait ... error: test failed, to rerun pass `--test test`\n\nCaused by:\n  process didn't exit successfully: `veridian-run t` (exit status: 138)\n");
        assert_eq!(o.passed, 1);
        assert_eq!(o.broken_binaries.len(), 1);
        assert!(
            o.broken_binaries[0]
                .1
                .starts_with("died in s::sigwait: process didn't exit"),
            "{:?}",
            o.broken_binaries
        );
    }

    #[test]
    fn a_failure_without_a_panic_keeps_its_first_line() {
        let o = parse("test t ... FAILED\n\nfailures:\n\n---- t stdout ----\nError: custom\n\nfailures:\n    t\n");
        assert_eq!(o.failures, [("t".to_string(), "Error: custom".to_string())]);
    }
}
