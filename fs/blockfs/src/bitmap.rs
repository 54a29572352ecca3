//! An in-memory bitmap (LSB first, set = used) with lowest-free allocation.

use alloc::vec;
use alloc::vec::Vec;

/// A bitmap over `len` items; bits past `len` are never handed out.
#[derive(Debug, Clone)]
pub struct Bitmap {
    bytes: Vec<u8>,
    len: u32,
    /// Every item below `hint` is known to be used.
    hint: u32,
    used: u32,
}

impl Bitmap {
    /// An all-free bitmap of `len` items.
    pub fn new(len: u32) -> Self {
        Bitmap {
            bytes: vec![0; (len as usize).div_ceil(8)],
            len,
            hint: 0,
            used: 0,
        }
    }

    /// An all-used bitmap of `len` items.
    pub fn all_used(len: u32) -> Self {
        let mut bytes = vec![0xFF; (len as usize).div_ceil(8)];
        if !len.is_multiple_of(8) {
            if let Some(last) = bytes.last_mut() {
                *last = (1u8 << (len % 8)) - 1;
            }
        }
        Bitmap {
            bytes,
            len,
            hint: len,
            used: len,
        }
    }

    /// Builds from on-disk bytes; bits past `len` are ignored.
    pub fn from_bytes(raw: &[u8], len: u32) -> Self {
        let mut bytes = vec![0u8; (len as usize).div_ceil(8)];
        let n = bytes.len().min(raw.len());
        bytes[..n].copy_from_slice(&raw[..n]);
        if !len.is_multiple_of(8) {
            if let Some(last) = bytes.last_mut() {
                *last &= (1u8 << (len % 8)) - 1;
            }
        }
        let used = bytes.iter().map(|b| b.count_ones()).sum();
        let mut b = Bitmap {
            bytes,
            len,
            hint: 0,
            used,
        };
        b.hint = b.find_free(0).unwrap_or(len);
        b
    }

    /// The bytes as stored on disk (unused trailing bits are zero).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Number of items.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Items whose bit is set.
    #[cfg(test)]
    pub fn used(&self) -> u32 {
        self.used
    }

    /// Items whose bit is clear.
    pub fn free(&self) -> u32 {
        self.len - self.used
    }

    /// Whether item `i` is used; items out of range read as used.
    pub fn get(&self, i: u32) -> bool {
        if i >= self.len {
            return true;
        }
        self.bytes[(i / 8) as usize] & (1 << (i % 8)) != 0
    }

    /// Sets or clears item `i`; returns whether the bit changed.
    pub fn set(&mut self, i: u32, used: bool) -> bool {
        if i >= self.len || self.get(i) == used {
            return false;
        }
        let byte = &mut self.bytes[(i / 8) as usize];
        if used {
            *byte |= 1 << (i % 8);
            self.used += 1;
            if i == self.hint {
                self.hint = self.find_free(i).unwrap_or(self.len);
            }
        } else {
            *byte &= !(1 << (i % 8));
            self.used -= 1;
            self.hint = self.hint.min(i);
        }
        true
    }

    /// Marks and returns the lowest free item at or above `min`.
    pub fn alloc_from(&mut self, min: u32) -> Option<u32> {
        let found = self.find_free(self.hint.max(min))?;
        self.set(found, true);
        Some(found)
    }

    /// The lowest clear bit at or above `start`: 64 bits at a time where a
    /// whole word is in range (a full image has long runs of used blocks).
    fn find_free(&self, start: u32) -> Option<u32> {
        let mut i = start;
        while i < self.len {
            let at = (i / 8) as usize;
            if i.is_multiple_of(64) {
                if let Some(word) = self.bytes.get(at..at + 8) {
                    let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
                    if word == u64::MAX {
                        i += 64;
                        continue;
                    }
                    // Bits past `len` are zero, so the first clear bit may
                    // lie past the end: then none is free.
                    let first = i + word.trailing_ones();
                    return (first < self.len).then_some(first);
                }
            }
            let byte = self.bytes[at];
            if i.is_multiple_of(8) && byte == 0xFF {
                i += 8;
                continue;
            }
            if byte & (1 << (i % 8)) == 0 {
                return Some(i);
            }
            i += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_lowest_free_and_reuses_freed() {
        let mut b = Bitmap::new(20);
        for i in 0..5 {
            b.set(i, true);
        }
        assert_eq!(b.alloc_from(0), Some(5));
        assert_eq!(b.alloc_from(0), Some(6));
        b.set(2, false);
        assert_eq!(b.alloc_from(0), Some(2));
        assert_eq!(b.alloc_from(0), Some(7));
        assert_eq!(b.used(), 8);
        for _ in 8..20 {
            assert!(b.alloc_from(0).is_some());
        }
        assert_eq!(b.alloc_from(0), None);
        assert_eq!(b.free(), 0);
    }

    #[test]
    fn trailing_bits_are_ignored() {
        let b = Bitmap::from_bytes(&[0xFF, 0xFF], 10);
        assert_eq!(b.used(), 10);
        assert_eq!(b.as_bytes(), &[0xFF, 0x03]);
    }

    proptest::proptest! {
        #[test]
        fn allocation_takes_the_lowest_free_bit_at_or_above_min(
            raw in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just(0xFFu8),
                proptest::prelude::any::<u8>(),
            ], 0..64),
            len_cut in 0u32..16,
            min in 0u32..520,
        ) {
            let len = (raw.len() as u32 * 8).saturating_sub(len_cut);
            let mut b = Bitmap::from_bytes(&raw, len);
            let lowest = (min..len).find(|&i| raw[(i / 8) as usize] & (1 << (i % 8)) == 0);
            proptest::prop_assert_eq!(b.alloc_from(min), lowest);
        }
    }
}
