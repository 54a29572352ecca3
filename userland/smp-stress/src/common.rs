//! What every part shares: its result type, the wait limit that turns a
//! lost wake-up into a failure, and joining worker threads.

use std::thread::JoinHandle;
use std::time::Duration;

/// A part's verdict: what it checked, or what went wrong.
pub type Outcome = Result<String, String>;

/// The longest any single wait may take before it counts as a lost
/// wake-up (every peer is runnable, so this is generous even under TCG).
pub const WAIT: Duration = Duration::from_secs(10);

/// Worker threads per part: more than the CPUs asked for, so they contend.
pub const THREADS: usize = 4;

/// Joins every handle; a worker's error or panic becomes the part's error.
pub fn join_all<T>(handles: Vec<JoinHandle<Result<T, String>>>) -> Result<Vec<T>, String> {
    let mut results = Vec::with_capacity(handles.len());
    let mut first_error = None;
    for (i, handle) in handles.into_iter().enumerate() {
        match handle.join() {
            Ok(Ok(v)) => results.push(v),
            Ok(Err(e)) => {
                first_error.get_or_insert(format!("thread {i}: {e}"));
            }
            Err(panic) => {
                first_error.get_or_insert(format!("thread {i} panicked: {}", panic_text(&*panic)));
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(results),
    }
}

/// The message of a panic payload.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Fails with `what` unless `got == want`.
pub fn expect_eq<T: PartialEq + std::fmt::Debug>(
    what: &str,
    got: T,
    want: T,
) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}
