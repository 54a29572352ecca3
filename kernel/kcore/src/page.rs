//! Page size and rounding (x86_64 4 KiB pages).

pub const PAGE_SIZE: u64 = 4096;

/// `v` rounded down to a page boundary.
pub fn page_down(v: u64) -> u64 {
    v & !(PAGE_SIZE - 1)
}

/// `v` rounded up to a page boundary (saturating: near `u64::MAX` the
/// result is the last page boundary).
pub fn page_up(v: u64) -> u64 {
    v.saturating_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(page_down(0x1fff), 0x1000);
        assert_eq!(page_up(0x1001), 0x2000);
        assert_eq!(page_up(0x2000), 0x2000);
        assert_eq!(page_up(u64::MAX), !0xfff);
    }
}
