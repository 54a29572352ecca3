//! A one-shot or periodic timer whose expirations are counted when asked
//! rather than when they happen (timerfd): the count up to any moment
//! follows from the next deadline and the period alone.

/// A timer's setting, in nanoseconds of one clock: the next expiry (0:
/// disarmed) and the period (0: once).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timer {
    pub next: u64,
    pub interval: u64,
}

impl Timer {
    /// Expirations from `next` up to `now`; afterwards the timer is
    /// disarmed (one-shot) or `next` is its first deadline after `now`.
    pub fn expire_until(&mut self, now: u64) -> u64 {
        if self.next == 0 || now < self.next {
            return 0;
        }
        if self.interval == 0 {
            self.next = 0;
            return 1;
        }
        let n = 1 + (now - self.next) / self.interval;
        self.next = self.next.saturating_add(n.saturating_mul(self.interval));
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_shot_timer_expires_once_then_disarms() {
        let mut t = Timer {
            next: 100,
            interval: 0,
        };
        assert_eq!(t.expire_until(99), 0);
        assert_eq!(t.expire_until(100), 1);
        assert_eq!(t, Timer::default());
        assert_eq!(t.expire_until(1_000), 0, "disarmed stays quiet");
    }

    #[test]
    fn a_periodic_timer_counts_every_deadline_passed() {
        let mut t = Timer {
            next: 100,
            interval: 10,
        };
        assert_eq!(t.expire_until(100), 1);
        assert_eq!(t.next, 110);
        assert_eq!(t.expire_until(135), 3, "110, 120, 130");
        assert_eq!(t.next, 140);
        assert_eq!(t.expire_until(139), 0);
    }

    #[test]
    fn counts_never_overflow() {
        let mut t = Timer {
            next: 1,
            interval: 1,
        };
        assert_eq!(t.expire_until(u64::MAX), u64::MAX);
        assert_eq!(t.next, u64::MAX);
        let mut t = Timer {
            next: u64::MAX - 5,
            interval: u64::MAX / 2,
        };
        assert_eq!(t.expire_until(u64::MAX), 1);
        assert_eq!(t.next, u64::MAX);
    }
}
