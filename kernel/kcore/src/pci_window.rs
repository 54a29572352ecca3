//! Placing PCI memory BARs that the firmware left unassigned.
//!
//! SeaBIOS gives every BAR an address; a minimal firmware such as qboot
//! leaves some at 0 (virtio's 64-bit BAR 4). The kernel then places
//! those itself: each BAR naturally aligned to its size, inside the PCI
//! hole, overlapping no range already decoded.

use alloc::vec::Vec;
use core::ops::Range;

/// Where the kernel places BARs: the top of the i440fx PCI hole, between
/// the end of low RAM (at most 3.5 GiB on QEMU's `pc` machine) and the
/// I/O APIC at 0xFEC0_0000.
pub const PCI_HOLE: Range<u64> = 0xE000_0000..0xFEC0_0000;

/// Address ranges already taken, and the window new BARs are placed in.
pub struct BarWindow {
    window: Range<u64>,
    taken: Vec<Range<u64>>,
}

impl BarWindow {
    /// A window with nothing taken yet.
    pub fn new(window: Range<u64>) -> Self {
        Self {
            window,
            taken: Vec::new(),
        }
    }

    /// Marks `range` as decoded by a device (a BAR the firmware assigned).
    pub fn reserve(&mut self, range: Range<u64>) {
        if !range.is_empty() {
            self.taken.push(range);
        }
    }

    /// The lowest address for a BAR of `size` bytes (a power of two) that is
    /// aligned to its size, lies in the window and overlaps nothing taken;
    /// the range is then taken. `None` when the size is not a power of two
    /// or no such place is left.
    pub fn place(&mut self, size: u64) -> Option<u64> {
        if !size.is_power_of_two() {
            return None;
        }
        let mut at = self.window.start.checked_next_multiple_of(size)?;
        loop {
            let end = at.checked_add(size)?;
            if end > self.window.end {
                return None;
            }
            match self
                .taken
                .iter()
                .filter(|t| t.start < end && at < t.end)
                .map(|t| t.end)
                .max()
            {
                // Skip past the furthest overlapping range and realign.
                Some(past) => at = past.checked_next_multiple_of(size)?,
                None => {
                    self.taken.push(at..end);
                    return Some(at);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_aligned_to_their_size_and_do_not_overlap() {
        let mut w = BarWindow::new(PCI_HOLE);
        let a = w.place(0x4000).unwrap();
        let b = w.place(0x1000).unwrap();
        let c = w.place(0x4000).unwrap();
        assert_eq!(a, 0xE000_0000);
        assert_eq!(b, 0xE000_4000);
        assert_eq!(c, 0xE000_8000);
    }

    #[test]
    fn firmware_ranges_are_stepped_over() {
        let mut w = BarWindow::new(PCI_HOLE);
        w.reserve(0xE000_0000..0xE000_1000);
        w.reserve(0xE000_2000..0xE000_2100);
        assert_eq!(w.place(0x1000), Some(0xE000_1000));
        assert_eq!(w.place(0x4000), Some(0xE000_4000));
        assert_eq!(w.place(0x1000), Some(0xE000_3000));
    }

    #[test]
    fn a_full_window_or_an_odd_size_gives_none() {
        let mut w = BarWindow::new(0x1000..0x3000);
        assert_eq!(w.place(0x3000), None);
        assert_eq!(w.place(0x2000), None);
        let mut w = BarWindow::new(0x2000..0x4000);
        assert_eq!(w.place(0x2000), Some(0x2000));
        assert_eq!(w.place(0x1000), None);
        assert_eq!(w.place(0), None);
    }

    proptest::proptest! {
        #[test]
        fn placed_bars_are_aligned_inside_and_disjoint(
            firmware in proptest::collection::vec((0u64..0x100, 1u64..0x10), 0..8),
            sizes in proptest::collection::vec(0u32..16, 0..16),
        ) {
            let window = 0x10_0000..0x20_0000u64;
            let mut w = BarWindow::new(window.clone());
            let mut taken: Vec<Range<u64>> = Vec::new();
            for (page, pages) in firmware {
                let r = window.start + page * 0x1000..window.start + (page + pages) * 0x1000;
                w.reserve(r.clone());
                taken.push(r);
            }
            for shift in sizes {
                let size = 0x10u64 << shift;
                if let Some(at) = w.place(size) {
                    proptest::prop_assert_eq!(at % size, 0);
                    proptest::prop_assert!(window.start <= at && at + size <= window.end);
                    proptest::prop_assert!(taken.iter().all(|t| t.end <= at || at + size <= t.start));
                    taken.push(at..at + size);
                }
            }
        }
    }
}
