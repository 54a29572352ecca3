//! Clocks and sleeping: Instant, SystemTime, thread::sleep; timerfd.
use conformance::{raw, Suite};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const TIMERFD_CREATE: usize = 283;
const TIMERFD_SETTIME: usize = 286;
const TIMERFD_GETTIME: usize = 287;
const CLOCK_REALTIME: usize = 0;
const CLOCK_MONOTONIC: usize = 1;
const TFD_NONBLOCK: usize = 0o4000;
const TFD_TIMER_ABSTIME: usize = 1;
const EAGAIN: isize = 11;
const EBADF: isize = 9;
const EINVAL: isize = 22;
const MS: i64 = 1_000_000;

/// `struct itimerspec` from (interval, value) in nanoseconds.
fn spec(interval: i64, value: i64) -> [[i64; 2]; 2] {
    let ts = |ns: i64| [ns / 1_000_000_000, ns % 1_000_000_000];
    [ts(interval), ts(value)]
}

fn settime(fd: isize, flags: usize, new: &[[i64; 2]; 2], old: Option<&mut [[i64; 2]; 2]>) -> isize {
    let old = old.map_or(0, |o| o as *mut _ as usize);
    raw::sys(
        TIMERFD_SETTIME,
        [fd as usize, flags, new as *const _ as usize, old, 0, 0],
    )
}

fn gettime(fd: isize) -> [[i64; 2]; 2] {
    let mut cur = [[-1i64; 2]; 2];
    assert_eq!(
        raw::sys(
            TIMERFD_GETTIME,
            [fd as usize, &mut cur as *mut _ as usize, 0, 0, 0, 0]
        ),
        0
    );
    cur
}

/// read(2) of a timerfd: the expiration count, or `-errno`.
fn expirations(fd: isize) -> Result<u64, isize> {
    let mut n = 0u64;
    let r = raw::sys(0, [fd as usize, &mut n as *mut u64 as usize, 8, 0, 0, 0]);
    if r == 8 {
        Ok(n)
    } else {
        Err(r)
    }
}

fn timerfd_checks(suite: &mut Suite) {
    suite.check("timerfd-once", || {
        let fd = raw::sys(TIMERFD_CREATE, [CLOCK_MONOTONIC, TFD_NONBLOCK, 0, 0, 0, 0]);
        assert!(fd >= 0, "timerfd_create: {fd}");
        assert_eq!(expirations(fd), Err(-EAGAIN), "not armed yet");
        let start = Instant::now();
        assert_eq!(settime(fd, 0, &spec(0, 30 * MS), None), 0);
        let cur = gettime(fd);
        assert_eq!(cur[0], [0, 0]);
        assert!(
            cur[1][0] == 0 && cur[1][1] > 0 && cur[1][1] <= 30 * MS,
            "{cur:?}"
        );
        let mut pfd = [raw::PollFd {
            fd: fd as i32,
            events: 1,
            revents: 0,
        }];
        assert_eq!(raw::ppoll(&mut pfd, Some(10_000)), 1);
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert_eq!(expirations(fd), Ok(1));
        assert_eq!(expirations(fd), Err(-EAGAIN), "the count was read");
        assert_eq!(gettime(fd), [[0, 0], [0, 0]], "a one-shot timer disarms");
        raw::close(fd);
    });
    suite.check("timerfd-periodic-blocking", || {
        let fd = raw::sys(TIMERFD_CREATE, [CLOCK_MONOTONIC, 0, 0, 0, 0, 0]);
        assert!(fd >= 0, "timerfd_create: {fd}");
        let start = Instant::now();
        assert_eq!(settime(fd, 0, &spec(10 * MS, 20 * MS), None), 0);
        // A blocking read waits for the first expiry.
        assert!(expirations(fd).unwrap() >= 1);
        assert!(start.elapsed() >= Duration::from_millis(20));
        std::thread::sleep(Duration::from_millis(50));
        let n = expirations(fd).unwrap();
        assert!(n >= 4, "{n} expirations of a 10 ms timer in 50 ms");
        // Disarming returns the old setting; the count is dropped.
        let mut old = [[0i64; 2]; 2];
        assert_eq!(settime(fd, 0, &spec(0, 0), Some(&mut old)), 0);
        assert_eq!(old[0], [0, 10 * MS]);
        assert_eq!(gettime(fd), [[0, 0], [0, 0]]);
        raw::close(fd);
    });
    suite.check("timerfd-absolute-and-epoll", || {
        let fd = raw::sys(TIMERFD_CREATE, [CLOCK_REALTIME, TFD_NONBLOCK, 0, 0, 0, 0]);
        assert!(fd >= 0, "timerfd_create: {fd}");
        let ep = raw::sys(291, [0; 6]);
        assert!(ep >= 0, "epoll_create1: {ep}");
        assert_eq!(raw::epoll_ctl(ep, 1, fd as i32, 1, 77), 0);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let at = now.as_nanos() as i64 + 40 * MS;
        assert_eq!(settime(fd, TFD_TIMER_ABSTIME, &spec(0, at), None), 0);
        let mut ev = [raw::EpollEvent::default(); 2];
        assert_eq!(raw::epoll_wait(ep, &mut ev, 10_000), 1);
        let data = ev[0].data;
        assert_eq!(data, 77);
        assert_eq!(expirations(fd), Ok(1));
        // A time already past expires at once.
        assert_eq!(
            settime(fd, TFD_TIMER_ABSTIME, &spec(0, 1_000_000_000), None),
            0
        );
        assert_eq!(expirations(fd), Ok(1));
        raw::close(ep);
        raw::close(fd);
    });
    suite.check("timerfd-errors", || {
        assert_eq!(raw::sys(TIMERFD_CREATE, [99, 0, 0, 0, 0, 0]), -EINVAL);
        assert_eq!(
            raw::sys(TIMERFD_CREATE, [CLOCK_MONOTONIC, 1, 0, 0, 0, 0]),
            -EINVAL
        );
        let fd = raw::sys(TIMERFD_CREATE, [CLOCK_MONOTONIC, TFD_NONBLOCK, 0, 0, 0, 0]);
        assert!(fd >= 0);
        let bad_nsec = [[0, 0], [0, 1_000_000_000]];
        assert_eq!(settime(fd, 0, &bad_nsec, None), -EINVAL);
        assert_eq!(settime(fd, 8, &spec(0, MS), None), -EINVAL);
        let new = raw::sys(TIMERFD_SETTIME, [fd as usize, 0, 8, 0, 0, 0]);
        assert_eq!(new, -14, "a bad pointer is EFAULT");
        let mut small = [0u8; 4];
        assert_eq!(
            raw::sys(0, [fd as usize, small.as_mut_ptr() as usize, 4, 0, 0, 0]),
            -EINVAL
        );
        assert_eq!(settime(1_000_000, 0, &spec(0, MS), None), -EBADF);
        let mut pipe = [0i32; 2];
        assert_eq!(
            raw::sys(293, [pipe.as_mut_ptr() as usize, 0, 0, 0, 0, 0]),
            0
        );
        assert_eq!(settime(pipe[0] as isize, 0, &spec(0, MS), None), -EINVAL);
        for f in [fd, pipe[0] as isize, pipe[1] as isize] {
            raw::close(f);
        }
    });
}

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
    timerfd_checks(&mut suite);
    suite.done();
}
