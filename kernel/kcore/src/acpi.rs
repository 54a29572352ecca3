//! Where an ACPI root pointer (RSDP) may lie in a range of memory: the
//! signature `RSD PTR ` at a 16-byte boundary (ACPI 6.5, 5.2.5.1). The
//! checksums are the `acpi` crate's to validate.

/// The RSDP's first eight bytes.
pub const RSDP_SIGNATURE: &[u8; 8] = b"RSD PTR ";

/// The alignment of an RSDP.
pub const RSDP_ALIGN: usize = 16;

/// Offsets in `bytes` (which starts at a 16-byte boundary) where the
/// RSDP signature begins, in ascending order.
pub fn rsdp_candidates(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    (0..bytes.len())
        .step_by(RSDP_ALIGN)
        .filter(move |&at| bytes[at..].starts_with(RSDP_SIGNATURE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    #[test]
    fn only_aligned_whole_signatures_count() {
        let mut mem = vec![0u8; 256];
        mem[32..40].copy_from_slice(RSDP_SIGNATURE);
        mem[72..80].copy_from_slice(RSDP_SIGNATURE); // not 16-byte aligned
        mem[128..136].copy_from_slice(RSDP_SIGNATURE);
        mem[250..256].copy_from_slice(&RSDP_SIGNATURE[..6]); // cut by the end
        assert_eq!(rsdp_candidates(&mem).collect::<Vec<_>>(), [32, 128]);
        assert_eq!(rsdp_candidates(&[]).count(), 0);
    }
}
