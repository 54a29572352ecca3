use super::*;
use alloc::vec;
use proptest::prelude::*;

const LIMIT: u64 = 0x7fff_ff7f_f000;

/// A program header as the tests write it.
#[derive(Clone, Copy)]
struct Ph {
    p_type: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
}

fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Ph {
    Ph {
        p_type: PT_LOAD,
        flags,
        offset,
        vaddr,
        filesz,
        memsz,
    }
}

/// An ELF64 x86_64 file of `size` bytes with `phdrs` right after the header.
fn image(kind: u16, entry: u64, phdrs: &[Ph], size: usize) -> Vec<u8> {
    let mut f = vec![0u8; size.max(EHDR_SIZE + phdrs.len() * PHDR_SIZE)];
    f[0..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    f[6] = 1;
    f[16..18].copy_from_slice(&kind.to_le_bytes());
    f[18..20].copy_from_slice(&EM_X86_64.to_le_bytes());
    f[24..32].copy_from_slice(&entry.to_le_bytes());
    f[32..40].copy_from_slice(&(EHDR_SIZE as u64).to_le_bytes());
    f[52..54].copy_from_slice(&(EHDR_SIZE as u16).to_le_bytes());
    f[54..56].copy_from_slice(&(PHDR_SIZE as u16).to_le_bytes());
    f[56..58].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
    for (i, p) in phdrs.iter().enumerate() {
        let o = EHDR_SIZE + i * PHDR_SIZE;
        f[o..o + 4].copy_from_slice(&p.p_type.to_le_bytes());
        f[o + 4..o + 8].copy_from_slice(&p.flags.to_le_bytes());
        f[o + 8..o + 16].copy_from_slice(&p.offset.to_le_bytes());
        f[o + 16..o + 24].copy_from_slice(&p.vaddr.to_le_bytes());
        f[o + 24..o + 32].copy_from_slice(&p.vaddr.to_le_bytes());
        f[o + 32..o + 40].copy_from_slice(&p.filesz.to_le_bytes());
        f[o + 40..o + 48].copy_from_slice(&p.memsz.to_le_bytes());
        f[o + 48..o + 56].copy_from_slice(&0x1000u64.to_le_bytes());
    }
    f
}

/// A typical static executable: text (with the headers) and data.
fn static_exe() -> Vec<u8> {
    image(
        ET_EXEC,
        0x401000,
        &[
            load(PF_R | PF_X, 0, 0x400000, 0x2000, 0x2000),
            load(PF_R | PF_W, 0x2000, 0x402000, 0x100, 0x3000),
        ],
        0x2100,
    )
}

fn layout_of(f: &[u8]) -> Result<Layout, ElfError> {
    let hlen = headers_len(&f[..EHDR_SIZE])?;
    let elf = parse(&f[..hlen.min(f.len())])?;
    let bias = if elf.kind == ET_DYN {
        0x5555_5555_4000
    } else {
        0
    };
    elf.layout(f.len() as u64, bias, LIMIT)
}

#[test]
fn a_static_executable_lays_out() {
    let f = static_exe();
    assert_eq!(headers_len(&f[..64]), Ok(64 + 2 * 56));
    let l = layout_of(&f).unwrap();
    assert_eq!(l.entry, 0x401000);
    assert_eq!(l.phdr_addr, 0x400040);
    assert_eq!((l.phent, l.phnum), (56, 2));
    assert_eq!(l.interp, None);
    assert_eq!(l.end(), 0x405000);
    assert_eq!(
        l.segments[1],
        Segment {
            vaddr: 0x402000,
            memsz: 0x3000,
            file: FileRange {
                offset: 0x2000,
                len: 0x100
            },
            prot: PROT_READ | PROT_WRITE,
        }
    );
    assert_eq!(l.segments[0].prot, PROT_READ | PROT_EXEC);
}

#[test]
fn a_static_pie_is_biased_and_pt_phdr_wins() {
    let phdr = Ph {
        p_type: PT_PHDR,
        flags: PF_R,
        offset: 64,
        vaddr: 0x40,
        filesz: 112,
        memsz: 112,
    };
    let f = image(
        ET_DYN,
        0x1000,
        &[phdr, load(PF_R | PF_X, 0, 0, 0x1100, 0x1100)],
        0x1100,
    );
    let l = layout_of(&f).unwrap();
    assert_eq!(l.bias, 0x5555_5555_4000);
    assert_eq!(l.entry, 0x5555_5555_5000);
    assert_eq!(l.phdr_addr, 0x5555_5555_4040);
    assert_eq!(l.segments.len(), 1);
}

#[test]
fn pt_interp_is_reported_with_its_path() {
    let interp = Ph {
        p_type: PT_INTERP,
        flags: PF_R,
        offset: 0x200,
        vaddr: 0x400200,
        filesz: 28,
        memsz: 28,
    };
    let mut f = image(
        ET_DYN,
        0x401000,
        &[interp, load(5, 0, 0x400000, 0x2000, 0x2000)],
        0x2000,
    );
    f[0x200..0x200 + 28].copy_from_slice(b"/lib/ld-musl-x86_64.so.1\0\0\0\0");
    let l = layout_of(&f).unwrap();
    let r = l.interp.unwrap();
    assert_eq!(
        r,
        FileRange {
            offset: 0x200,
            len: 28
        }
    );
    // Trailing NULs beyond the first are not one path.
    assert_eq!(interp_path(&f[0x200..0x200 + 28]), Err(ElfError::BadInterp));
    assert_eq!(
        interp_path(b"/lib/ld-musl-x86_64.so.1\0"),
        Ok(&b"/lib/ld-musl-x86_64.so.1"[..])
    );
    assert_eq!(interp_path(b"\0"), Err(ElfError::BadInterp));
    assert_eq!(interp_path(b""), Err(ElfError::BadInterp));
    assert_eq!(interp_path(b"/lib/ld.so"), Err(ElfError::BadInterp));
}

#[test]
fn bad_pt_interp_is_refused() {
    let interp = |offset, filesz| Ph {
        p_type: PT_INTERP,
        flags: 0,
        offset,
        vaddr: 0,
        filesz,
        memsz: filesz,
    };
    let text = load(5, 0, 0x400000, 0x1000, 0x1000);
    for (off, len) in [(0x1000, 1), (0x100, 0), (u64::MAX, 2), (0, MAX_INTERP + 1)] {
        let f = image(ET_EXEC, 0x400000, &[interp(off, len), text], 0x1000);
        assert_eq!(layout_of(&f), Err(ElfError::BadInterp), "{off:#x} {len}");
    }
    let f = image(
        ET_EXEC,
        0x400000,
        &[interp(0, 8), interp(0, 8), text],
        0x1000,
    );
    assert_eq!(layout_of(&f), Err(ElfError::DuplicateInterp));
}

#[test]
fn wrong_identification_is_refused() {
    let f = static_exe();
    let mut g = f.clone();
    g[1] = b'X';
    assert_eq!(parse(&g), Err(ElfError::NotElf));
    let mut g = f.clone();
    g[4] = 1;
    assert_eq!(parse(&g), Err(ElfError::WrongClass));
    let mut g = f.clone();
    g[5] = 2;
    assert_eq!(parse(&g), Err(ElfError::WrongClass));
    let mut g = f.clone();
    g[18] = 3;
    assert_eq!(parse(&g), Err(ElfError::WrongMachine(3)));
    let mut g = f.clone();
    g[16] = 4;
    assert_eq!(parse(&g), Err(ElfError::WrongType(4)));
}

#[test]
fn truncated_headers_are_refused() {
    let f = static_exe();
    for n in [0, 4, 40, 63] {
        assert_eq!(parse(&f[..n]), Err(ElfError::Truncated), "{n}");
        if n < 58 {
            assert_eq!(headers_len(&f[..n]), Err(ElfError::Truncated));
        }
    }
    // The header is whole but the program-header table is cut.
    assert_eq!(parse(&f[..64 + 56 + 30]), Err(ElfError::Truncated));
}

#[test]
fn bad_program_header_tables_are_refused() {
    let f = static_exe();
    let mut g = f.clone();
    g[54] = 32;
    assert_eq!(parse(&g), Err(ElfError::BadPhentsize(32)));
    let mut g = f.clone();
    g[56..58].copy_from_slice(&0u16.to_le_bytes());
    assert_eq!(parse(&g), Err(ElfError::BadPhnum(0)));
    let mut g = f.clone();
    g[56..58].copy_from_slice(&0xffffu16.to_le_bytes());
    assert_eq!(parse(&g), Err(ElfError::BadPhnum(0xffff)));
    assert_eq!(headers_len(&g[..64]), Err(ElfError::BadPhnum(0xffff)));
    let mut g = f.clone();
    g[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(parse(&g), Err(ElfError::BadPhoff(u64::MAX)));
    assert_eq!(headers_len(&g[..64]), Err(ElfError::BadPhoff(u64::MAX)));
}

#[test]
fn hostile_segments_are_refused() {
    let text = load(5, 0, 0x400000, 0x1000, 0x1000);
    let cases = [
        (
            load(6, 0x1000, 0x401000, 0x200, 0x100),
            ElfError::FileszOverMemsz { index: 1 },
        ),
        (
            load(6, 0x1000, 0x401000, 0x2000, 0x2000),
            ElfError::SegmentOutsideFile { index: 1 },
        ),
        (
            load(6, u64::MAX, 0x401000, 2, 2),
            ElfError::SegmentOutsideFile { index: 1 },
        ),
        (
            load(6, 0, u64::MAX - 4, 0, 0x10),
            ElfError::SegmentOutOfRange { index: 1 },
        ),
        (
            load(6, 0, LIMIT - 0x1000, 0, 0x2000),
            ElfError::SegmentOutOfRange { index: 1 },
        ),
        (
            load(6, 0, 0x1_0000_0000, 0, MAX_SEGMENT + 1),
            ElfError::SegmentOutOfRange { index: 1 },
        ),
        (
            load(6, 0, 0x400800, 0, 0x1000),
            ElfError::SegmentOverlap { index: 1 },
        ),
        (
            load(6, 0, 0x300000, 0, 0x1000),
            ElfError::SegmentOverlap { index: 1 },
        ),
    ];
    for (seg, err) in cases {
        let f = image(ET_EXEC, 0x400000, &[text, seg], 0x1100);
        assert_eq!(layout_of(&f), Err(err));
    }
}

#[test]
fn segments_may_share_a_page() {
    let text = load(5, 0, 0x400000, 0x1100, 0x1100);
    let data = load(6, 0x1100, 0x401100, 0x10, 0x20);
    let f = image(ET_EXEC, 0x400000, &[text, data], 0x1110);
    assert_eq!(layout_of(&f).unwrap().segments.len(), 2);
}

#[test]
fn the_entry_must_be_in_a_segment_and_one_must_exist() {
    let text = load(5, 0, 0x400000, 0x1000, 0x1000);
    let f = image(ET_EXEC, 0x401000, &[text], 0x1000);
    assert_eq!(layout_of(&f), Err(ElfError::EntryOutsideSegments(0x401000)));
    let note = Ph { p_type: 4, ..text };
    let f = image(ET_EXEC, 0x400000, &[note], 0x1000);
    assert_eq!(layout_of(&f), Err(ElfError::NoLoadSegment));
}

#[test]
fn the_load_span_covers_every_pt_load_in_whole_pages() {
    let f = image(
        ET_DYN,
        0x1000,
        &[
            Ph {
                p_type: PT_INTERP,
                flags: PF_R,
                offset: 0x200,
                vaddr: 0x20_0000,
                filesz: 8,
                memsz: 8,
            },
            load(PF_R | PF_X, 0, 0x10, 0x2000, 0x2000),
            load(PF_R | PF_W, 0x2000, 0x3100, 0x100, 0x5000),
        ],
        0x3000,
    );
    let elf = parse(&f).unwrap();
    assert_eq!(elf.load_span(0x1000), Some((0, 0x9000)));
    let no_load = parse(&image(ET_DYN, 0, &[], 0x100));
    assert!(no_load.is_err() || no_load.unwrap().load_span(0x1000).is_none());
    let overflowing = image(
        ET_DYN,
        0,
        &[load(PF_R, 0, u64::MAX - 0x10, 0, 0x100)],
        0x100,
    );
    assert_eq!(parse(&overflowing).unwrap().load_span(0x1000), None);
}

#[test]
fn errors_read_as_sentences() {
    assert_eq!(
        alloc::format!("{}", ElfError::SegmentOverlap { index: 2 }),
        "segment 2 overlaps or precedes the one before"
    );
}

fn check_layout(f: &[u8], l: &Layout) {
    let mut prev_end = 0;
    for s in &l.segments {
        assert!(s.vaddr >= prev_end);
        assert!(s.file.len <= s.memsz && s.memsz <= MAX_SEGMENT);
        assert!(s.file.offset + s.file.len <= f.len() as u64);
        assert!(s.end() <= LIMIT);
        prev_end = s.end();
    }
    assert!(l
        .segments
        .iter()
        .any(|s| s.vaddr <= l.entry && l.entry < s.end()));
}

proptest! {
    #[test]
    fn random_bytes_never_panic(f in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(elf) = parse(&f) {
            if let Ok(l) = elf.layout(f.len() as u64, 0, LIMIT) {
                check_layout(&f, &l);
            }
        }
        let _ = headers_len(&f);
    }

    #[test]
    fn mutated_executables_never_panic_and_layouts_hold(
        edits in proptest::collection::vec((0usize..0x2100, any::<u8>()), 1..12),
        cut in 0usize..0x2200,
    ) {
        let mut f = static_exe();
        for (at, b) in edits {
            f[at] = b;
        }
        f.truncate(cut.max(1));
        if let Ok(hlen) = headers_len(&f) {
            if let Ok(elf) = parse(&f[..hlen.min(f.len())]) {
                if let Ok(l) = elf.layout(f.len() as u64, 0, LIMIT) {
                    check_layout(&f, &l);
                }
            }
        }
    }

    #[test]
    fn random_segments_never_panic(
        segs in proptest::collection::vec(
            (0u32..8, any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()), 1..6),
        entry in any::<u64>(),
        size in 0u64..u64::MAX,
    ) {
        let phdrs: Vec<Ph> = segs
            .iter()
            .map(|&(t, offset, vaddr, filesz, memsz)| Ph { p_type: t, flags: 7, offset, vaddr, filesz, memsz })
            .collect();
        let f = image(ET_EXEC, entry, &phdrs, 0);
        let elf = parse(&f).unwrap();
        if let Ok(l) = elf.layout(size, 0, LIMIT) {
            let mut prev_end = 0;
            for s in &l.segments {
                prop_assert!(s.vaddr >= prev_end && s.end() <= LIMIT);
                prop_assert!(s.file.offset.checked_add(s.file.len).is_some_and(|e| e <= size));
                prev_end = s.end();
            }
        }
    }
}
