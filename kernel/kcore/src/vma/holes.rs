//! The free address ranges between a process's regions, indexed by length
//! as well as by address, so that a free range of a given length is found
//! in logarithmic time however many regions a process has.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use crate::page::page_up;

/// Maximal free ranges `[start, end)`; at first the whole address space.
#[derive(Clone, Debug)]
pub struct Holes {
    /// start → end.
    by_start: BTreeMap<u64, u64>,
    /// (length, start).
    by_len: BTreeSet<(u64, u64)>,
}

impl Default for Holes {
    fn default() -> Self {
        let mut holes = Holes {
            by_start: BTreeMap::new(),
            by_len: BTreeSet::new(),
        };
        holes.add(0, u64::MAX);
        holes
    }
}

impl Holes {
    fn add(&mut self, start: u64, end: u64) {
        self.by_start.insert(start, end);
        self.by_len.insert((end - start, start));
    }

    fn take(&mut self, start: u64) -> Option<u64> {
        let end = self.by_start.remove(&start)?;
        self.by_len.remove(&(end - start, start));
        Some(end)
    }

    /// Marks `[start, end)` as used (parts already used stay so).
    pub fn occupy(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let hit: Vec<(u64, u64)> = self
            .by_start
            .range(..end)
            .rev()
            .take_while(|&(_, &e)| e > start)
            .map(|(&s, &e)| (s, e))
            .collect();
        for (s, e) in hit {
            self.take(s);
            if s < start {
                self.add(s, start);
            }
            if e > end {
                self.add(end, e);
            }
        }
    }

    /// Marks `[start, end)` as free, joining the free ranges it touches.
    pub fn release(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let touching: Vec<u64> = self
            .by_start
            .range(..=end)
            .rev()
            .take_while(|&(_, &e)| e >= start)
            .map(|(&s, _)| s)
            .collect();
        let (mut lo, mut hi) = (start, end);
        for s in touching {
            if let Some(e) = self.take(s) {
                lo = lo.min(s);
                hi = hi.max(e);
            }
        }
        self.add(lo, hi);
    }

    /// The start of a page-aligned free range of `len` bytes inside
    /// `[floor, ceiling)`, taken from the shortest free range that holds
    /// one (the lowest such range among equally long ones).
    pub fn best_fit(&self, len: u64, floor: u64, ceiling: u64) -> Option<u64> {
        self.by_len.range((len, 0)..).find_map(|&(n, s)| {
            let at = page_up(s.max(floor));
            let end = (s + n).min(ceiling);
            (at.checked_add(len)? <= end).then_some(at)
        })
    }
}
