//! An epoll instance over any readiness source: the interest list,
//! `epoll_ctl` rules and `epoll_wait` collection, level-triggered, with
//! `EPOLLET` and `EPOLLONESHOT`. The kernel keeps one per epoll fd, keyed
//! by whatever identifies a watched file (fd number, open-file id).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::ops::Bound;

use crate::abi::*;
use crate::errno::{Errno, Result};

/// Size of `struct epoll_event` (packed on x86_64: `u32` events, `u64` data).
pub const EPOLL_EVENT_SIZE: usize = 12;

/// Readiness of the watched files.
pub trait ReadySource<K> {
    /// The file's poll events and a counter that changes whenever new
    /// readiness arrives (data, connection, state change; for
    /// `EPOLLET`). `None`: the file is gone, and its entry is dropped.
    /// A source without such a counter may return a fresh value per call
    /// (edge-triggered waiters then behave level-triggered: spurious
    /// wake-ups, never lost ones).
    fn ready(&mut self, key: &K) -> Option<(u16, u64)>;
}

/// `struct epoll_event` (packed, 12 bytes on x86_64).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpollEvent {
    pub events: u32,
    pub data: u64,
}

impl EpollEvent {
    /// Decodes the user's `struct epoll_event`.
    pub fn decode(b: &[u8]) -> Result<Self> {
        if b.len() < EPOLL_EVENT_SIZE {
            return Err(Errno::EFAULT);
        }
        let mut d = [0u8; 8];
        d.copy_from_slice(&b[4..12]);
        Ok(EpollEvent {
            events: u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            data: u64::from_ne_bytes(d),
        })
    }

    /// The 12 bytes to copy out.
    pub fn encode(&self) -> [u8; EPOLL_EVENT_SIZE] {
        let mut out = [0u8; EPOLL_EVENT_SIZE];
        out[..4].copy_from_slice(&self.events.to_ne_bytes());
        out[4..].copy_from_slice(&self.data.to_ne_bytes());
        out
    }
}

#[derive(Debug, Clone, Copy)]
struct Interest {
    events: u32,
    data: u64,
    /// Counter value last reported (edge-triggered).
    seen: Option<u64>,
    /// A one-shot entry that fired (until `EPOLL_CTL_MOD`).
    disabled: bool,
}

/// Event bits `epoll_ctl` accepts.
const VALID: u32 = EPOLLIN
    | EPOLLPRI
    | EPOLLOUT
    | EPOLLERR
    | EPOLLHUP
    | EPOLLRDNORM
    | EPOLLRDBAND
    | EPOLLWRNORM
    | EPOLLWRBAND
    | EPOLLMSG
    | EPOLLRDHUP
    | EPOLLEXCLUSIVE
    | EPOLLWAKEUP
    | EPOLLONESHOT
    | EPOLLET;

/// One epoll instance.
pub struct EpollSet<K: Ord + Clone> {
    entries: BTreeMap<K, Interest>,
    /// Where the next wait starts, so a small `maxevents` does not starve
    /// later entries.
    cursor: Option<K>,
    max_entries: usize,
}

impl<K: Ord + Clone> EpollSet<K> {
    /// An empty instance holding at most `max_entries` watches (`ENOSPC`
    /// past it, as Linux's `max_user_watches`).
    pub fn new(max_entries: usize) -> Self {
        EpollSet {
            entries: BTreeMap::new(),
            cursor: None,
            max_entries,
        }
    }

    /// Number of watched files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is watched.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `epoll_ctl(op, key, event)`. `event` is ignored for `DEL`.
    /// `EEXIST`/`ENOENT` for adding a watched / changing an unwatched
    /// key, `EINVAL` for an unknown op or `EPOLLEXCLUSIVE` with `MOD`.
    /// The kernel checks `EBADF`, `EPERM` (files that cannot be polled)
    /// and `EINVAL` for the epoll fd itself or `ELOOP` for nested loops.
    pub fn ctl(&mut self, op: i32, key: K, event: EpollEvent) -> Result<()> {
        match op {
            EPOLL_CTL_ADD => {
                if self.entries.contains_key(&key) {
                    return Err(Errno::EEXIST);
                }
                if self.entries.len() >= self.max_entries {
                    return Err(Errno::ENOSPC);
                }
                self.entries.insert(key, new_interest(event));
                Ok(())
            }
            EPOLL_CTL_MOD => {
                if event.events & EPOLLEXCLUSIVE != 0 {
                    return Err(Errno::EINVAL);
                }
                let e = self.entries.get_mut(&key).ok_or(Errno::ENOENT)?;
                if e.events & EPOLLEXCLUSIVE != 0 {
                    return Err(Errno::EINVAL);
                }
                *e = new_interest(event);
                Ok(())
            }
            EPOLL_CTL_DEL => {
                self.entries.remove(&key).ok_or(Errno::ENOENT)?;
                Ok(())
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// Drops a key (its file was closed).
    pub fn forget(&mut self, key: &K) {
        self.entries.remove(key);
    }

    /// `epoll_wait`: up to `max` ready events, now. An empty result means
    /// "would block": the kernel sleeps until a watched file may have
    /// changed (or the timeout) and calls again. `EINVAL` if `max` is 0.
    pub fn wait(&mut self, src: &mut impl ReadySource<K>, max: usize) -> Result<Vec<EpollEvent>> {
        if max == 0 {
            return Err(Errno::EINVAL);
        }
        let mut out = Vec::new();
        let mut gone = Vec::new();
        let keys = self.keys_from_cursor();
        let mut last = None;
        for key in keys {
            if out.len() >= max {
                break;
            }
            let Some(e) = self.entries.get_mut(&key) else {
                continue;
            };
            if e.disabled {
                continue;
            }
            let Some((ready, seq)) = src.ready(&key) else {
                gone.push(key);
                continue;
            };
            let mask = ready as u32 & (e.events | EPOLLERR | EPOLLHUP);
            if mask == 0 {
                continue;
            }
            if e.events & EPOLLET != 0 {
                if e.seen == Some(seq) {
                    continue;
                }
                e.seen = Some(seq);
            }
            if e.events & EPOLLONESHOT != 0 {
                e.disabled = true;
            }
            out.push(EpollEvent {
                events: mask,
                data: e.data,
            });
            last = Some(key);
        }
        for k in gone {
            self.entries.remove(&k);
        }
        if last.is_some() {
            self.cursor = last;
        }
        Ok(out)
    }

    /// Whether a wait would return something now (the epoll fd's own
    /// readability for `poll`), without consuming edge events.
    pub fn any_ready(&mut self, src: &mut impl ReadySource<K>) -> bool {
        self.entries.iter().any(|(k, e)| {
            if e.disabled {
                return false;
            }
            match src.ready(k) {
                Some((ready, seq)) => {
                    ready as u32 & (e.events | EPOLLERR | EPOLLHUP) != 0
                        && (e.events & EPOLLET == 0 || e.seen != Some(seq))
                }
                None => false,
            }
        })
    }

    fn keys_from_cursor(&self) -> Vec<K> {
        match &self.cursor {
            None => self.entries.keys().cloned().collect(),
            Some(c) => self
                .entries
                .range((Bound::Excluded(c.clone()), Bound::Unbounded))
                .chain(
                    self.entries
                        .range((Bound::Unbounded, Bound::Included(c.clone()))),
                )
                .map(|(k, _)| k.clone())
                .collect(),
        }
    }
}

fn new_interest(ev: EpollEvent) -> Interest {
    Interest {
        events: ev.events & VALID,
        data: ev.data,
        seen: None,
        disabled: false,
    }
}
