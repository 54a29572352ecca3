//! A range of bit indices as 64-bit words and masks, for bitmaps that
//! change a whole range at once (the frame allocator adding RAM).

use core::ops::Range;

/// `(word index, mask of the range's bits in that word)` for each word the
/// bit range `bits` touches, in order.
pub fn word_masks(bits: Range<usize>) -> impl Iterator<Item = (usize, u64)> {
    let mut at = bits.start;
    core::iter::from_fn(move || {
        if at >= bits.end {
            return None;
        }
        let word = at / 64;
        let lo = at % 64;
        let hi = (bits.end - word * 64).min(64);
        let width = hi - lo;
        let mask = if width == 64 {
            u64::MAX
        } else {
            ((1u64 << width) - 1) << lo
        };
        at = word * 64 + hi;
        Some((word, mask))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn partial_and_whole_words() {
        let got: Vec<_> = word_masks(60..130).collect();
        assert_eq!(got, [(0, 0xF << 60), (1, u64::MAX), (2, 0b11)]);
        assert_eq!(word_masks(5..5).count(), 0);
        assert_eq!(word_masks(64..128).collect::<Vec<_>>(), [(1, u64::MAX)]);
    }

    proptest::proptest! {
        #[test]
        fn masks_cover_exactly_the_range(start in 0usize..300, len in 0usize..300) {
            let range = start..start + len;
            let mut set = Vec::new();
            for (word, mask) in word_masks(range.clone()) {
                proptest::prop_assert!(mask != 0);
                for bit in 0..64 {
                    if mask & (1 << bit) != 0 {
                        set.push(word * 64 + bit);
                    }
                }
            }
            proptest::prop_assert_eq!(set, range.collect::<Vec<_>>());
        }
    }
}
