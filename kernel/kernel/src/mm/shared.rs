//! Anonymous shared memory (`MAP_SHARED | MAP_ANONYMOUS`): pages that
//! belong to the mapping rather than to one process, so a forked child and
//! its parent see each other's writes. Each page is allocated, zeroed, at
//! its first fault, by whichever process touches it first.

use alloc::collections::BTreeMap;
use spin::Mutex;

use super::frame::{self, Frame};
use super::vma::Backing;

/// The pages of one anonymous shared mapping, by offset; each holds one
/// reference, and every page-table entry mapping it one more.
#[derive(Default)]
pub struct SharedMemory {
    pages: Mutex<BTreeMap<u64, Frame>>,
}

impl SharedMemory {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new reference to the page at `off`, allocating it if need be.
    fn page(&self, off: u64) -> Option<u64> {
        let mut pages = self.pages.lock();
        let pa = match pages.get(&off) {
            Some(f) => f.phys(),
            None => {
                let f = frame::alloc()?;
                let pa = f.phys();
                pages.insert(off, f);
                pa
            }
        };
        frame::share(pa)
    }
}

impl Backing for SharedMemory {
    /// Nothing is read: the pages are only ever mapped ([`Self::share_page`]
    /// fails only when memory is exhausted).
    fn read_at(&self, _off: u64, _buf: &mut [u8]) -> usize {
        0
    }

    fn share_page(&self, off: u64) -> Option<u64> {
        self.page(off)
    }

    fn lend_page(&self, off: u64) -> Option<u64> {
        self.page(off)
    }
}
