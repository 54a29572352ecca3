//! select(2) and pselect6(2) without user memory: `fd_set` bitmaps, the
//! poll bits that make a descriptor readable, writable or exceptional (as
//! Linux's `do_select` maps them), and the timeout arithmetic Linux applies.
//! The kernel copies the sets in and out and asks each fd's readiness.

use alloc::vec;
use alloc::vec::Vec;

use crate::abi::{
    POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRBAND,
    POLLWRNORM,
};
use crate::errno::{Errno, Result};

/// Poll bits that put an fd in the read set (Linux's `POLLIN_SET`).
pub const READ_BITS: u16 = POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR;
/// Poll bits that put an fd in the write set (`POLLOUT_SET`).
pub const WRITE_BITS: u16 = POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR;
/// Poll bits that put an fd in the exception set (`POLLEX_SET`).
pub const EXCEPT_BITS: u16 = POLLPRI;

const NS_PER_SEC: u64 = 1_000_000_000;

/// Bytes of each `fd_set` select reads and writes for `nfds` descriptors:
/// whole 64-bit words, as Linux copies them.
pub fn fd_set_bytes(nfds: usize) -> usize {
    nfds.div_ceil(64) * 8
}

/// One `fd_set` of `nfds` bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdSet {
    nfds: usize,
    words: Vec<u64>,
}

impl FdSet {
    /// A set with no fd in it.
    pub fn empty(nfds: usize) -> Self {
        FdSet {
            nfds,
            words: vec![0; nfds.div_ceil(64)],
        }
    }

    /// Decodes the user's [`fd_set_bytes`]`(nfds)` bytes (`EINVAL` if
    /// shorter); bits at or past `nfds` are ignored.
    pub fn decode(nfds: usize, bytes: &[u8]) -> Result<Self> {
        let len = fd_set_bytes(nfds);
        let bytes = bytes.get(..len).ok_or(Errno::EINVAL)?;
        let mut set = FdSet::empty(nfds);
        for (w, chunk) in set.words.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *w = u64::from_ne_bytes(b);
        }
        if !nfds.is_multiple_of(64) {
            if let Some(last) = set.words.last_mut() {
                *last &= (1u64 << (nfds % 64)) - 1;
            }
        }
        Ok(set)
    }

    /// The [`fd_set_bytes`]`(nfds)` bytes to copy back.
    pub fn encode(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }

    /// Whether `fd` is in the set.
    pub fn contains(&self, fd: usize) -> bool {
        fd < self.nfds && self.words[fd / 64] & (1 << (fd % 64)) != 0
    }

    /// Adds `fd` (ignored at or past `nfds`).
    pub fn insert(&mut self, fd: usize) {
        if fd < self.nfds {
            self.words[fd / 64] |= 1 << (fd % 64);
        }
    }

    /// The fds in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            (0..64)
                .filter(move |b| w & (1 << b) != 0)
                .map(move |b| i * 64 + b)
        })
    }
}

/// What one select call asks: read, write and exception sets, each `None`
/// for a NULL pointer.
#[derive(Clone, Debug)]
pub struct Selection {
    nfds: usize,
    sets: [Option<FdSet>; 3],
}

/// The outcome of one pass over a [`Selection`]: how many (fd, set) pairs
/// are ready (an fd both readable and writable counts twice, as on Linux),
/// and the sets to copy back (`None` where the call passed NULL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ready {
    pub count: u64,
    pub sets: [Option<FdSet>; 3],
}

impl Selection {
    /// The sets from the user's bytes (see [`FdSet::decode`]).
    pub fn decode(
        nfds: usize,
        read: Option<&[u8]>,
        write: Option<&[u8]>,
        except: Option<&[u8]>,
    ) -> Result<Self> {
        let dec = |b: Option<&[u8]>| b.map(|b| FdSet::decode(nfds, b)).transpose();
        Ok(Selection {
            nfds,
            sets: [dec(read)?, dec(write)?, dec(except)?],
        })
    }

    /// Every fd named in any set, ascending, once each.
    pub fn fds(&self) -> Vec<usize> {
        let mut all = FdSet::empty(self.nfds);
        for fd in self.sets.iter().flatten().flat_map(FdSet::iter) {
            all.insert(fd);
        }
        all.iter().collect()
    }

    /// One pass: `ready(fd)` gives each named fd's poll bits (`POLLNVAL`
    /// for a closed fd, which makes the call `EBADF`).
    pub fn check(&self, mut ready: impl FnMut(i32) -> u16) -> Result<Ready> {
        let mut out: [Option<FdSet>; 3] = self
            .sets
            .clone()
            .map(|s| s.map(|_| FdSet::empty(self.nfds)));
        let mut count = 0;
        for fd in self.fds() {
            let bits = ready(fd as i32);
            if bits & POLLNVAL != 0 {
                return Err(Errno::EBADF);
            }
            for ((want, got), mask) in
                self.sets
                    .iter()
                    .zip(out.iter_mut())
                    .zip([READ_BITS, WRITE_BITS, EXCEPT_BITS])
            {
                if let (Some(want), Some(got)) = (want, got) {
                    if want.contains(fd) && bits & mask != 0 {
                        got.insert(fd);
                        count += 1;
                    }
                }
            }
        }
        Ok(Ready { count, sets: out })
    }
}

/// A `struct timeval` timeout in nanoseconds, normalized as Linux's
/// select does (whole seconds in `usec` carry into `sec`); `EINVAL` if the
/// result is negative.
pub fn timeval_ns(sec: i64, usec: i64) -> Result<u64> {
    timespec_ns(
        sec.saturating_add(usec / 1_000_000),
        (usec % 1_000_000) * 1000,
    )
}

/// A `struct timespec` timeout in nanoseconds (saturating); `EINVAL` unless
/// `sec >= 0` and `0 <= nsec < 10^9`.
pub fn timespec_ns(sec: i64, nsec: i64) -> Result<u64> {
    if sec < 0 || !(0..NS_PER_SEC as i64).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(NS_PER_SEC)
        .saturating_add(nsec as u64))
}

/// The time left before `deadline` at `now` (both in ns) as (seconds,
/// nanoseconds); zero once it has passed.
pub fn time_left(deadline: u64, now: u64) -> (i64, i64) {
    let left = deadline.saturating_sub(now);
    ((left / NS_PER_SEC) as i64, (left % NS_PER_SEC) as i64)
}

/// A `struct timeval` (microseconds rounded down) for select's write-back.
pub fn encode_timeval((sec, nsec): (i64, i64)) -> [u8; 16] {
    encode_pair(sec, nsec / 1000)
}

/// A `struct timespec` for pselect6's write-back.
pub fn encode_timespec((sec, nsec): (i64, i64)) -> [u8; 16] {
    encode_pair(sec, nsec)
}

fn encode_pair(a: i64, b: i64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&a.to_ne_bytes());
    out[8..].copy_from_slice(&b.to_ne_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(words: &[u64]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }

    proptest::proptest! {
        #[test]
        fn decode_keeps_exactly_the_bits_below_nfds(
            nfds in 0usize..300,
            raw in proptest::collection::vec(proptest::num::u8::ANY, 40),
        ) {
            let input = &raw[..fd_set_bytes(nfds)];
            let set = FdSet::decode(nfds, input).unwrap();
            let bit = |fd: usize| input[fd / 8] & (1 << (fd % 8)) != 0;
            let want: Vec<usize> = (0..nfds).filter(|&fd| bit(fd)).collect();
            proptest::prop_assert_eq!(set.iter().collect::<Vec<_>>(), want.clone());
            let mut rebuilt = FdSet::empty(nfds);
            want.iter().for_each(|&fd| rebuilt.insert(fd));
            proptest::prop_assert_eq!(rebuilt.encode(), set.encode());
            proptest::prop_assert_eq!(set.encode().len(), input.len());
        }
    }

    #[test]
    fn fd_set_sizes_are_whole_words() {
        assert_eq!(fd_set_bytes(0), 0);
        assert_eq!(fd_set_bytes(1), 8);
        assert_eq!(fd_set_bytes(64), 8);
        assert_eq!(fd_set_bytes(65), 16);
        assert_eq!(fd_set_bytes(1024), 128);
    }

    #[test]
    fn decode_ignores_bits_past_nfds_and_rejects_short_input() {
        let s = FdSet::decode(70, &bytes(&[1 | 1 << 63, 0b11_1111 | 1 << 6 | 1 << 40])).unwrap();
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [0, 63, 64, 65, 66, 67, 68, 69]
        );
        assert!(!s.contains(70) && !s.contains(104));
        assert_eq!(s.encode(), bytes(&[1 | 1 << 63, 0b11_1111]));
        assert_eq!(FdSet::decode(65, &[0; 8]), Err(Errno::EINVAL));
        assert_eq!(FdSet::decode(0, &[]).unwrap().encode(), Vec::<u8>::new());
    }

    #[test]
    fn readiness_maps_to_sets_as_linux() {
        // fd 3: read+write+except asked; fd 4: read only; fd 5: write only.
        let sel = Selection::decode(
            6,
            Some(&bytes(&[1 << 3 | 1 << 4])),
            Some(&bytes(&[1 << 3 | 1 << 5])),
            Some(&bytes(&[1 << 3])),
        )
        .unwrap();
        assert_eq!(sel.fds(), [3, 4, 5]);
        let r = sel
            .check(|fd| match fd {
                3 => POLLIN | POLLOUT | POLLPRI,
                4 => POLLHUP,
                5 => POLLERR,
                _ => unreachable!(),
            })
            .unwrap();
        assert_eq!(r.count, 5, "each (fd, set) pair counts");
        let enc = |i: usize| r.sets[i].as_ref().unwrap().encode();
        assert_eq!(enc(0), bytes(&[1 << 3 | 1 << 4]), "POLLHUP is readable");
        assert_eq!(enc(1), bytes(&[1 << 3 | 1 << 5]), "POLLERR is writable");
        assert_eq!(enc(2), bytes(&[1 << 3]));
        // Nothing ready: the sets come back empty.
        let r = sel.check(|_| 0).unwrap();
        assert_eq!(r.count, 0);
        assert!(r
            .sets
            .iter()
            .all(|s| s.as_ref().unwrap().iter().next().is_none()));
        // POLLPRI alone does not make an fd readable or writable.
        assert_eq!(
            sel.check(|fd| if fd == 4 { POLLPRI } else { 0 })
                .unwrap()
                .count,
            0
        );
    }

    #[test]
    fn null_sets_stay_null_and_closed_fds_are_ebadf() {
        let sel = Selection::decode(64, None, Some(&bytes(&[1 << 9])), None).unwrap();
        let r = sel.check(|_| POLLIN | POLLOUT).unwrap();
        assert_eq!(r.count, 1);
        assert!(r.sets[0].is_none() && r.sets[2].is_none());
        assert_eq!(sel.check(|_| POLLNVAL), Err(Errno::EBADF));
        let none = Selection::decode(64, None, None, None).unwrap();
        assert_eq!(none.check(|_| unreachable!()).unwrap().count, 0);
    }

    #[test]
    fn timeouts_normalize_as_linux() {
        assert_eq!(timeval_ns(1, 500_000), Ok(1_500_000_000));
        assert_eq!(
            timeval_ns(0, 2_000_000),
            Ok(2_000_000_000),
            "carried into seconds"
        );
        assert_eq!(
            timeval_ns(1, -1_000_000),
            Ok(0),
            "a zero timeout after the carry"
        );
        assert_eq!(timeval_ns(0, -1), Err(Errno::EINVAL));
        assert_eq!(timeval_ns(-1, 0), Err(Errno::EINVAL));
        assert_eq!(timeval_ns(i64::MAX, 999_999), Ok(u64::MAX), "saturates");
        assert_eq!(timespec_ns(2, 5), Ok(2_000_000_005));
        assert_eq!(timespec_ns(0, 1_000_000_000), Err(Errno::EINVAL));
        assert_eq!(timespec_ns(0, -1), Err(Errno::EINVAL));
    }

    #[test]
    fn time_left_and_its_encodings() {
        assert_eq!(time_left(5_250_000_000, 1_000_000_000), (4, 250_000_000));
        assert_eq!(time_left(5, 9), (0, 0));
        assert_eq!(encode_timeval((4, 250_999_999)), encode_pair(4, 250_999));
        assert_eq!(encode_timespec((4, 7))[8..], 7i64.to_ne_bytes());
    }
}
