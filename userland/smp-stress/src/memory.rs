//! The address space changed from many threads at once: churners map,
//! fill, write-protect, re-enable, check and unmap anonymous memory while
//! touchers keep rewriting and checking mappings of their own, which no
//! other thread's munmap or mprotect may disturb.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use crate::common::{join_all, Outcome, THREADS};
use crate::sys;

const PAGE: usize = 4096;
const CHURN_PAGES: usize = 8;
const CHURN_ROUNDS: usize = 150;
const TOUCH_PAGES: usize = 16;
/// Upper bound of a toucher's passes (it stops earlier once the churners are done).
const TOUCH_PASSES: u64 = 1_000_000;

pub fn map_churn() -> Outcome {
    let churners = THREADS / 2;
    let done = Arc::new(AtomicBool::new(false));
    let touchers: Vec<_> = (0..THREADS - churners)
        .map(|t| {
            let done = Arc::clone(&done);
            thread::spawn(move || touch(t as u64, &done))
        })
        .collect();
    let churn: Vec<_> = (0..churners)
        .map(|c| thread::spawn(move || churn(c as u8)))
        .collect();
    let churned = join_all(churn);
    done.store(true, Ordering::SeqCst);
    let passes: Vec<u64> = join_all(touchers)?;
    churned?;
    if passes.contains(&0) {
        return Err(format!("a toucher made no pass: {passes:?}"));
    }
    Ok(format!(
        "{churners} threads x {CHURN_ROUNDS} map/protect/unmap rounds of {CHURN_PAGES} pages; \
         {} toucher passes over their own {TOUCH_PAGES} pages intact",
        passes.iter().sum::<u64>()
    ))
}

/// One churner: every round a fresh mapping must read as zeros, keep what
/// was written across mprotect(R) and back to RW, and unmap cleanly.
fn churn(id: u8) -> Result<(), String> {
    let len = CHURN_PAGES * PAGE;
    for round in 0..CHURN_ROUNDS {
        let base = sys::mmap_anon(len).map_err(|e| format!("mmap: errno {e}"))?;
        // SAFETY: `base..base+len` is this thread's fresh mapping; the
        // slice is dropped before the range is write-protected.
        let mem = unsafe { std::slice::from_raw_parts_mut(base, len) };
        if let Some(i) = mem.iter().position(|&b| b != 0) {
            return Err(format!("round {round}: fresh mapping not zero at byte {i}"));
        }
        let fill = id.wrapping_mul(67).wrapping_add(round as u8) | 1;
        for page in mem.chunks_mut(PAGE) {
            page.fill(fill);
        }
        // SAFETY: no mutable reference is used while the range is read-only.
        unsafe { sys::mprotect(base, len, false) }.map_err(|e| format!("mprotect R: errno {e}"))?;
        // SAFETY: reading the now read-only range through a shared slice.
        let ro = unsafe { std::slice::from_raw_parts(base, len) };
        if ro.iter().any(|&b| b != fill) {
            return Err(format!(
                "round {round}: contents changed by mprotect(PROT_READ)"
            ));
        }
        // SAFETY: as above; the range becomes writable again.
        unsafe { sys::mprotect(base, len, true) }.map_err(|e| format!("mprotect RW: errno {e}"))?;
        // SAFETY: this thread's writable mapping.
        let mem = unsafe { std::slice::from_raw_parts_mut(base, len) };
        mem[len - 1] = !fill;
        if mem[0] != fill || mem[len - 1] != !fill {
            return Err(format!("round {round}: write after mprotect(RW) lost"));
        }
        // SAFETY: nothing refers to the range after this.
        unsafe { sys::munmap(base, len) }.map_err(|e| format!("munmap: errno {e}"))?;
    }
    Ok(())
}

/// One toucher: each pass checks the word the previous pass stamped into
/// each of its pages and stamps the next, until the churners finish; returns its passes.
fn touch(id: u64, done: &AtomicBool) -> Result<u64, String> {
    let len = TOUCH_PAGES * PAGE;
    let base = sys::mmap_anon(len).map_err(|e| format!("mmap: errno {e}"))?;
    // SAFETY: this thread's own mapping, unmapped only at the end.
    let mem = unsafe { std::slice::from_raw_parts_mut(base.cast::<u64>(), len / 8) };
    let words_per_page = PAGE / 8;
    let mut pass = 0;
    let slot = |pass: u64, page: usize| page * words_per_page + (pass as usize % words_per_page);
    let stamp = |pass: u64, page: usize| (id << 48) | (pass << 8) | page as u64;
    while pass < TOUCH_PASSES && !(done.load(Ordering::SeqCst) && pass > 0) {
        // What the previous pass wrote must still be there.
        for page in (0..TOUCH_PAGES).filter(|_| pass > 0) {
            let got = mem[slot(pass, page)];
            if got != stamp(pass, page) {
                return Err(format!(
                    "pass {pass}: page {page} holds {got:#x}, not {:#x}",
                    stamp(pass, page)
                ));
            }
        }
        pass += 1;
        for page in 0..TOUCH_PAGES {
            mem[slot(pass, page)] = stamp(pass, page);
        }
    }
    // SAFETY: `mem` is not used after this.
    unsafe { sys::munmap(base, len) }.map_err(|e| format!("munmap: errno {e}"))?;
    Ok(pass)
}
