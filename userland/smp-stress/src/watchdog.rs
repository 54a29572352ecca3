//! A whole-part time limit: a part that hangs despite its bounded waits
//! (a join that never returns, a blocking call the kernel never ends) is
//! reported as a failure and the program exits, instead of hanging.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The part running now and when it started.
static CURRENT: Mutex<Option<(&'static str, Instant)>> = Mutex::new(None);

/// Starts the watchdog thread: `limit` per part.
pub fn start(limit: Duration) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(200));
        let overdue = CURRENT
            .lock()
            .ok()
            .and_then(|c| *c)
            .filter(|(_, since)| since.elapsed() > limit);
        if let Some((part, _)) = overdue {
            println!("SMP-STRESS: FAIL {part}: not finished after {limit:?} (hang)");
            let _ = std::io::stdout().flush();
            std::process::exit(1);
        }
    });
}

/// Marks `part` as running (None: between parts).
pub fn set(part: Option<&'static str>) {
    if let Ok(mut c) = CURRENT.lock() {
        *c = part.map(|p| (p, Instant::now()));
    }
}
