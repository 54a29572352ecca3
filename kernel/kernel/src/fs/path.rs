//! Path strings: joining with the working directory and normalising `.`,
//! `..` and repeated slashes (symlinks are left to the file system).

use alloc::vec::Vec;

/// `path` made absolute against `cwd` and normalised.
pub fn absolute(cwd: &[u8], path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let iter_base: &[u8] = if path.first() == Some(&b'/') { b"" } else { cwd };
    for comp in iter_base.split(|&b| b == b'/').chain(path.split(|&b| b == b'/')) {
        match comp {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = Vec::with_capacity(path.len() + cwd.len() + 1);
    for p in &parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// Splits an absolute normalised path into (parent, last name).
pub fn split_last(abs: &[u8]) -> (&[u8], &[u8]) {
    match abs.iter().rposition(|&b| b == b'/') {
        Some(0) => (b"/", &abs[1..]),
        Some(i) => (&abs[..i], &abs[i + 1..]),
        None => (b"/", abs),
    }
}
