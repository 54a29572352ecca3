//! Shared helpers for the conformance programs.
//!
//! Every program runs its checks in order and prints one marker line per
//! check that passed, `CONF <suite> <check> ok`, then `CONF <suite> done <n>`.
//! A failed check panics; the target's panic strategy is abort, so the
//! process dies with SIGABRT and the last marker shows where it stopped.

use std::path::PathBuf;

/// A suite of checks, printing its markers.
pub struct Suite {
    name: &'static str,
    passed: usize,
}

impl Suite {
    pub fn new(name: &'static str) -> Self {
        Suite { name, passed: 0 }
    }

    /// Runs one check; it asserts what it checks and panics on failure.
    pub fn check(&mut self, check: &str, f: impl FnOnce()) {
        f();
        self.passed += 1;
        println!("CONF {} {} ok", self.name, check);
    }

    /// Prints the closing marker the harnesses look for.
    pub fn done(self) {
        println!("CONF {} done {}", self.name, self.passed);
    }
}

/// A fresh scratch folder for this process (under `$TMPDIR` or /tmp),
/// removed and re-created so that reruns start clean.
pub fn scratch_dir(suite: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("conformance-{suite}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}
