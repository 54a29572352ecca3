//! One direction of a pair: the receiving end's queue of units (stream
//! writes or datagrams), each charged to the sender's send buffer until
//! it is fully read, as Linux charges an skb's true size.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Linux's per-skb overhead on top of the cache-line-rounded payload
/// (`sizeof(sk_buff) + sizeof(skb_shared_info)` on x86_64): a 1-byte
/// unit costs 768 bytes, so 278 of them fill the default 212992.
const UNIT_OVERHEAD: usize = 704;

/// What a unit of `len` payload bytes costs against the send buffer.
pub fn charge(len: usize) -> usize {
    len.max(1).div_ceil(64) * 64 + UNIT_OVERHEAD
}

/// A queued write (stream) or message (datagram, seqpacket).
struct Unit {
    data: Vec<u8>,
    /// Bytes already read (stream only).
    off: usize,
    charge: usize,
}

/// A receive queue and what it costs its sender.
#[derive(Default)]
pub struct RxQueue {
    units: VecDeque<Unit>,
    /// Sum of the units' charges (the sender's `sk_wmem_alloc`).
    pub used: usize,
    /// Unread payload bytes.
    pub bytes: usize,
}

impl RxQueue {
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Appends a unit.
    pub fn push(&mut self, data: Vec<u8>) {
        let c = charge(data.len());
        self.used += c;
        self.bytes += data.len();
        self.units.push_back(Unit {
            data,
            off: 0,
            charge: c,
        });
    }

    /// Length of the first unit's unread part (`FIONREAD` for messages).
    pub fn first_len(&self) -> usize {
        self.units.front().map_or(0, |u| u.data.len() - u.off)
    }

    /// Stream read: copies across units; unless `peek`, consumes what it
    /// copied. Returns the count and the charge freed.
    pub fn read_stream(&mut self, buf: &mut [u8], peek: bool) -> (usize, usize) {
        let mut n = 0;
        let mut freed = 0;
        let mut i = 0;
        while n < buf.len() && i < self.units.len() {
            let u = &mut self.units[i];
            let k = (u.data.len() - u.off).min(buf.len() - n);
            buf[n..n + k].copy_from_slice(&u.data[u.off..u.off + k]);
            n += k;
            if peek {
                i += 1;
                continue;
            }
            u.off += k;
            if u.off == u.data.len() {
                freed += u.charge;
                self.units.pop_front();
            }
        }
        if !peek {
            self.used -= freed;
            self.bytes -= n;
        }
        (n, freed)
    }

    /// Message read: copies the first unit (truncated to `buf`); unless
    /// `peek`, removes it whole. Returns (copied, message length, freed),
    /// `None` when empty.
    pub fn read_message(&mut self, buf: &mut [u8], peek: bool) -> Option<(usize, usize, usize)> {
        let u = self.units.front()?;
        let full = u.data.len();
        let k = full.min(buf.len());
        buf[..k].copy_from_slice(&u.data[..k]);
        if peek {
            return Some((k, full, 0));
        }
        let c = u.charge;
        self.units.pop_front();
        self.used -= c;
        self.bytes -= full;
        Some((k, full, c))
    }

    /// Drops everything; returns whether anything was queued.
    pub fn purge(&mut self) -> bool {
        let had = !self.units.is_empty();
        self.units.clear();
        self.used = 0;
        self.bytes = 0;
        had
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn stream_reads_cross_units_and_free_whole_units_only() {
        let mut q = RxQueue::default();
        q.push(b"abc".to_vec());
        q.push(b"de".to_vec());
        assert_eq!(q.used, 2 * charge(3));
        let mut b = [0u8; 4];
        assert_eq!(q.read_stream(&mut b, true), (4, 0));
        assert_eq!(&b, b"abcd");
        assert_eq!(q.read_stream(&mut b, false), (4, charge(3)));
        assert_eq!((q.bytes, q.used), (1, charge(2)));
        assert_eq!(q.read_stream(&mut b, false), (1, charge(2)));
        assert!(q.is_empty());
    }

    #[test]
    fn messages_keep_boundaries_and_truncate() {
        let mut q = RxQueue::default();
        q.push(vec![1, 2, 3]);
        q.push(vec![]);
        let mut b = [0u8; 2];
        assert_eq!(q.read_message(&mut b, true), Some((2, 3, 0)));
        assert_eq!(q.read_message(&mut b, false), Some((2, 3, charge(3))));
        assert_eq!(q.first_len(), 0);
        assert_eq!(q.read_message(&mut b, false), Some((0, 0, charge(0))));
        assert_eq!(q.read_message(&mut b, false), None);
        assert_eq!(q.used, 0);
    }

    #[test]
    fn one_byte_units_cost_like_linux_skbs() {
        assert_eq!(charge(1), 768);
        assert_eq!(charge(0), 768);
        assert_eq!(charge(65), 832);
    }
}
