//! Clocks and sleeping: Instant, SystemTime, thread::sleep.
use conformance::Suite;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let mut suite = Suite::new("time");
    suite.check("instant-monotonic", || {
        let mut last = Instant::now();
        for _ in 0..10_000 {
            let now = Instant::now();
            assert!(now >= last);
            last = now;
        }
    });
    suite.check("sleep", || {
        let start = Instant::now();
        std::thread::sleep(Duration::from_millis(50));
        let slept = start.elapsed();
        assert!(slept >= Duration::from_millis(50), "slept only {slept:?}");
        assert!(slept < Duration::from_secs(30), "slept {slept:?}");
    });
    suite.check("system-time", || {
        let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        // After 2020-01-01 and before 2100-01-01.
        assert!(since_epoch.as_secs() > 1_577_836_800, "{since_epoch:?}");
        assert!(since_epoch.as_secs() < 4_102_444_800, "{since_epoch:?}");
    });
    suite.check("system-time-arith", || {
        let now = SystemTime::now();
        let later = now + Duration::from_secs(90);
        assert_eq!(later.duration_since(now).unwrap(), Duration::from_secs(90));
        assert!(now.duration_since(later).is_err());
    });
    suite.check("elapsed-across-sleep", || {
        let a = Instant::now();
        std::thread::sleep(Duration::from_millis(5));
        let b = Instant::now();
        assert!(b.duration_since(a) >= Duration::from_millis(5));
        assert_eq!(a.checked_duration_since(b), None);
    });
    suite.done();
}
