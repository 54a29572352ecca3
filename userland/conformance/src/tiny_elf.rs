//! Hand-made ELF executables for the loader checks: one `ET_DYN` image whose
//! single read+execute `PT_LOAD` (the whole file, at address 0) holds code
//! that calls `exit(42)`, optionally with a `PT_INTERP`, and damaged
//! variants of it.

/// What the code of [`exit42`] exits with.
pub const EXIT_CODE: i32 = 42;

const EHDR: usize = 64;
const PHDR: usize = 56;
const PT_LOAD: u32 = 1;
const PT_INTERP: u32 = 3;
const PF_X: u32 = 1;
const PF_R: u32 = 4;
const ET_DYN: u16 = 3;
const EM_X86_64: u16 = 62;

/// `mov edi, 42; mov eax, 60 (exit); syscall`.
const CODE: [u8; 12] = [0xbf, 42, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05];

fn put(f: &mut [u8], at: usize, bytes: &[u8]) {
    f[at..at + bytes.len()].copy_from_slice(bytes);
}

fn phdr(f: &mut [u8], index: usize, kind: u32, flags: u32, offset: u64, size: u64) {
    let o = EHDR + index * PHDR;
    put(f, o, &kind.to_le_bytes());
    put(f, o + 4, &flags.to_le_bytes());
    put(f, o + 8, &offset.to_le_bytes());
    put(f, o + 16, &offset.to_le_bytes());
    put(f, o + 24, &offset.to_le_bytes());
    put(f, o + 32, &size.to_le_bytes());
    put(f, o + 40, &size.to_le_bytes());
    put(f, o + 48, &0x1000u64.to_le_bytes());
}

/// The exit(42) program, with `interp` as its `PT_INTERP` path if given.
pub fn exit42(interp: Option<&str>) -> Vec<u8> {
    let phnum = if interp.is_some() { 2 } else { 1 };
    let code_at = EHDR + phnum * PHDR;
    let path_at = code_at + CODE.len();
    let len = path_at + interp.map_or(0, |p| p.len() + 1);
    let mut f = vec![0u8; len];
    put(&mut f, 0, b"\x7fELF");
    f[4] = 2; // ELFCLASS64
    f[5] = 1; // little-endian
    f[6] = 1; // EV_CURRENT
    put(&mut f, 16, &ET_DYN.to_le_bytes());
    put(&mut f, 18, &EM_X86_64.to_le_bytes());
    put(&mut f, 20, &1u32.to_le_bytes());
    put(&mut f, 24, &(code_at as u64).to_le_bytes());
    put(&mut f, 32, &(EHDR as u64).to_le_bytes());
    put(&mut f, 52, &(EHDR as u16).to_le_bytes());
    put(&mut f, 54, &(PHDR as u16).to_le_bytes());
    put(&mut f, 56, &(phnum as u16).to_le_bytes());
    phdr(&mut f, 0, PT_LOAD, PF_R | PF_X, 0, len as u64);
    if let Some(p) = interp {
        phdr(
            &mut f,
            1,
            PT_INTERP,
            PF_R,
            path_at as u64,
            p.len() as u64 + 1,
        );
        put(&mut f, path_at, p.as_bytes());
    }
    put(&mut f, code_at, &CODE);
    f
}

/// [`exit42`] whose `PT_LOAD` claims 64 KiB more file bytes than there are.
pub fn truncated_segment(interp: Option<&str>) -> Vec<u8> {
    let mut f = exit42(interp);
    let claimed = f.len() as u64 + 0x10000;
    put(&mut f, EHDR + 32, &claimed.to_le_bytes());
    put(&mut f, EHDR + 40, &claimed.to_le_bytes());
    f
}

/// [`exit42`] cut inside its program-header table.
pub fn truncated_headers() -> Vec<u8> {
    let mut f = exit42(Some("/lib/ld-musl-x86_64.so.1"));
    f.truncate(EHDR + PHDR / 2);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_is_self_consistent() {
        let f = exit42(Some("/x"));
        assert_eq!(&f[..4], b"\x7fELF");
        let entry = u64::from_le_bytes(f[24..32].try_into().unwrap()) as usize;
        assert_eq!(&f[entry..entry + CODE.len()], &CODE);
        assert_eq!(&f[f.len() - 3..], b"/x\0");
        assert_eq!(truncated_headers().len(), EHDR + PHDR / 2);
    }
}
