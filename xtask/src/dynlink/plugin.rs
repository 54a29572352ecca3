//! A cdylib for the dlopen check: std inside a shared object (formatting,
//! a thread-local that counts calls).

use std::cell::Cell;

thread_local! {
    static CALLS: Cell<u32> = const { Cell::new(0) };
}

/// Writes "plugin: A + B = SUM (call N)" into `out` (at most `cap` bytes)
/// and returns its length.
///
/// # Safety
/// `out` must be valid for `cap` bytes of writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn plugin_add(a: u32, b: u32, out: *mut u8, cap: usize) -> usize {
    let n = CALLS.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    let text = format!("plugin: {a} + {b} = {} (call {n})", a + b);
    let len = text.len().min(cap);
    // SAFETY: the caller gives `cap` writable bytes at `out`.
    unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), out, len) };
    len
}
