//! A checked reader for ELF64 little-endian x86_64 executables: the file
//! header, the program headers, and the load layout derived from them.
//! Every offset, size and address from the file is checked, so a damaged
//! or hostile executable gives an [`ElfError`], never a panic or an
//! arithmetic overflow.
//!
//! Reading is in two steps, so a loader needs only the start of the file
//! in memory: [`headers_len`] says how many bytes hold the file header and
//! the program-header table, [`parse`] reads them, and [`Elf::layout`]
//! checks the `PT_LOAD` segments against the file size and the user
//! address range and returns what a loader maps: segments, entry point,
//! program-header address and the `PT_INTERP` location (whose path
//! [`interp_path`] checks once the loader has read those bytes).
//!
//! The fields are read by hand (bounds-checked little-endian reads, about
//! forty lines) rather than with `goblin` or `elf`: only ELF64 LE x86_64
//! program headers are needed, and the checks that matter here, segment
//! layout against the file and the address space, are not what those
//! crates do.

use alloc::vec::Vec;
use core::fmt;

use veridian_syscall::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};

pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;
pub const EM_X86_64: u16 = 62;
/// Size of the ELF64 file header.
pub const EHDR_SIZE: usize = 64;
/// Size of one ELF64 program header (`e_phentsize`).
pub const PHDR_SIZE: usize = 56;
/// Most program headers accepted.
pub const MAX_PHNUM: usize = 256;
/// Largest accepted `e_phoff`: the table must start in the first MiB.
pub const MAX_PHOFF: u64 = 1 << 20;
/// Largest accepted `p_memsz` of one segment (4 GiB).
pub const MAX_SEGMENT: u64 = 1 << 32;
/// Longest accepted `PT_INTERP` path, its NUL included (Linux's PATH_MAX).
pub const MAX_INTERP: u64 = 4096;

/// Why an executable was refused. The kernel answers `ENOEXEC` for all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Fewer bytes than the header or the program-header table needs.
    Truncated,
    /// No `\x7fELF` magic.
    NotElf,
    /// Not ELFCLASS64 little-endian.
    WrongClass,
    /// `e_machine` is not x86_64.
    WrongMachine(u16),
    /// `e_type` is neither `ET_EXEC` nor `ET_DYN`.
    WrongType(u16),
    BadPhentsize(u16),
    /// `e_phnum` is 0 or above [`MAX_PHNUM`].
    BadPhnum(u16),
    /// `e_phoff` is above [`MAX_PHOFF`].
    BadPhoff(u64),
    /// Segment `index`'s file bytes lie (partly) past the end of the file.
    SegmentOutsideFile {
        index: usize,
    },
    /// Segment `index` has `p_filesz > p_memsz`.
    FileszOverMemsz {
        index: usize,
    },
    /// Segment `index`'s address range overflows, exceeds [`MAX_SEGMENT`],
    /// or reaches past the user limit given to [`Elf::layout`].
    SegmentOutOfRange {
        index: usize,
    },
    /// Segment `index` starts below the end of the `PT_LOAD` before it
    /// (segments must be sorted and disjoint).
    SegmentOverlap {
        index: usize,
    },
    /// No `PT_LOAD` segment.
    NoLoadSegment,
    /// The entry point lies in no `PT_LOAD` segment.
    EntryOutsideSegments(u64),
    /// More than one `PT_INTERP`.
    DuplicateInterp,
    /// The `PT_INTERP` bytes are outside the file, empty, too long, or not
    /// one NUL-terminated path.
    BadInterp,
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::Truncated => write!(f, "file shorter than its headers"),
            ElfError::NotElf => write!(f, "not an ELF file"),
            ElfError::WrongClass => write!(f, "not ELF64 little-endian"),
            ElfError::WrongMachine(m) => write!(f, "machine {m} is not x86_64"),
            ElfError::WrongType(t) => write!(f, "type {t} is not an executable"),
            ElfError::BadPhentsize(n) => write!(f, "program header size {n}"),
            ElfError::BadPhnum(n) => write!(f, "{n} program headers"),
            ElfError::BadPhoff(o) => write!(f, "program headers at offset {o:#x}"),
            ElfError::SegmentOutsideFile { index } => {
                write!(f, "segment {index} reaches past the end of the file")
            }
            ElfError::FileszOverMemsz { index } => {
                write!(f, "segment {index} has more file bytes than memory")
            }
            ElfError::SegmentOutOfRange { index } => {
                write!(f, "segment {index} is outside the user address range")
            }
            ElfError::SegmentOverlap { index } => {
                write!(f, "segment {index} overlaps or precedes the one before")
            }
            ElfError::NoLoadSegment => write!(f, "no loadable segment"),
            ElfError::EntryOutsideSegments(e) => {
                write!(f, "entry point {e:#x} is in no loadable segment")
            }
            ElfError::DuplicateInterp => write!(f, "more than one PT_INTERP"),
            ElfError::BadInterp => write!(f, "malformed PT_INTERP"),
        }
    }
}

/// One program header (the fields a loader uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramHeader {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

/// The file header and program headers of an executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Elf {
    /// `ET_EXEC` or `ET_DYN`.
    pub kind: u16,
    /// `e_entry` as in the file (before any load bias).
    pub entry: u64,
    pub phoff: u64,
    pub phentsize: u16,
    pub phdrs: Vec<ProgramHeader>,
}

/// A byte range of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileRange {
    pub offset: u64,
    pub len: u64,
}

/// A `PT_LOAD` segment placed at its load address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Load address of the first byte (load bias included).
    pub vaddr: u64,
    pub memsz: u64,
    /// The file bytes that fill `[vaddr, vaddr + filesz)`; the rest of
    /// `memsz` is zero.
    pub file: FileRange,
    /// `PROT_READ | PROT_WRITE | PROT_EXEC` bits from `p_flags`.
    pub prot: u32,
}

impl Segment {
    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.vaddr + self.memsz
    }
}

/// What a loader maps, all addresses with the load bias applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The load bias added to every address of the file.
    pub bias: u64,
    /// `PT_LOAD` segments in address order, pairwise disjoint.
    pub segments: Vec<Segment>,
    pub entry: u64,
    /// Where the program headers are in memory (`PT_PHDR`, else the
    /// `PT_LOAD` that contains them), 0 if they are not loaded.
    pub phdr_addr: u64,
    /// `e_phentsize` and `e_phnum`, for `AT_PHENT` and `AT_PHNUM`.
    pub phent: u64,
    pub phnum: u64,
    /// The `PT_INTERP` path's bytes in the file (NUL included).
    pub interp: Option<FileRange>,
}

impl Layout {
    /// The end of the highest segment.
    pub fn end(&self) -> u64 {
        self.segments.iter().map(Segment::end).max().unwrap_or(0)
    }
}

fn field<const N: usize>(b: &[u8], o: usize) -> Result<[u8; N], ElfError> {
    let end = o.checked_add(N).ok_or(ElfError::Truncated)?;
    b.get(o..end)
        .and_then(|s| s.try_into().ok())
        .ok_or(ElfError::Truncated)
}

fn u16_at(b: &[u8], o: usize) -> Result<u16, ElfError> {
    field(b, o).map(u16::from_le_bytes)
}

fn u32_at(b: &[u8], o: usize) -> Result<u32, ElfError> {
    field(b, o).map(u32::from_le_bytes)
}

fn u64_at(b: &[u8], o: usize) -> Result<u64, ElfError> {
    field(b, o).map(u64::from_le_bytes)
}

/// How many bytes from the start of the file hold the header and the
/// program-header table, from the first [`EHDR_SIZE`] bytes (never less
/// than [`EHDR_SIZE`]).
pub fn headers_len(head: &[u8]) -> Result<usize, ElfError> {
    let phoff = u64_at(head, 32)?;
    let phnum = u16_at(head, 56)?;
    if phnum as usize > MAX_PHNUM {
        return Err(ElfError::BadPhnum(phnum));
    }
    if phoff > MAX_PHOFF {
        return Err(ElfError::BadPhoff(phoff));
    }
    Ok((phoff as usize + phnum as usize * PHDR_SIZE).max(EHDR_SIZE))
}

/// Parses the file header and program headers from `data`, the first
/// [`headers_len`] bytes of the file (or more).
pub fn parse(data: &[u8]) -> Result<Elf, ElfError> {
    if data.len() < EHDR_SIZE {
        return Err(ElfError::Truncated);
    }
    if data[0..4] != *b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if data[4] != 2 || data[5] != 1 {
        return Err(ElfError::WrongClass);
    }
    let kind = u16_at(data, 16)?;
    let machine = u16_at(data, 18)?;
    if machine != EM_X86_64 {
        return Err(ElfError::WrongMachine(machine));
    }
    if kind != ET_EXEC && kind != ET_DYN {
        return Err(ElfError::WrongType(kind));
    }
    let entry = u64_at(data, 24)?;
    let phoff = u64_at(data, 32)?;
    let phentsize = u16_at(data, 54)?;
    let phnum = u16_at(data, 56)?;
    if phentsize as usize != PHDR_SIZE {
        return Err(ElfError::BadPhentsize(phentsize));
    }
    if phnum == 0 || phnum as usize > MAX_PHNUM {
        return Err(ElfError::BadPhnum(phnum));
    }
    if phoff > MAX_PHOFF {
        return Err(ElfError::BadPhoff(phoff));
    }
    let mut phdrs = Vec::with_capacity(phnum as usize);
    for i in 0..phnum as usize {
        let o = phoff as usize + i * PHDR_SIZE;
        phdrs.push(ProgramHeader {
            p_type: u32_at(data, o)?,
            flags: u32_at(data, o + 4)?,
            offset: u64_at(data, o + 8)?,
            vaddr: u64_at(data, o + 16)?,
            filesz: u64_at(data, o + 32)?,
            memsz: u64_at(data, o + 40)?,
            align: u64_at(data, o + 48)?,
        });
    }
    Ok(Elf {
        kind,
        entry,
        phoff,
        phentsize,
        phdrs,
    })
}

/// `PROT_*` bits for ELF `p_flags`.
pub fn prot_of(flags: u32) -> u32 {
    let mut prot = 0;
    if flags & PF_R != 0 {
        prot |= PROT_READ;
    }
    if flags & PF_W != 0 {
        prot |= PROT_WRITE;
    }
    if flags & PF_X != 0 {
        prot |= PROT_EXEC;
    }
    prot
}

impl Elf {
    /// Checks the segments of a `file_size`-byte file loaded with `bias`
    /// added to every address, all of which must stay below `limit`.
    pub fn layout(&self, file_size: u64, bias: u64, limit: u64) -> Result<Layout, ElfError> {
        let mut segments: Vec<Segment> = Vec::new();
        let mut phdr_addr = None;
        let mut interp = None;
        for (index, ph) in self.phdrs.iter().enumerate() {
            match ph.p_type {
                PT_LOAD => {}
                PT_PHDR => {
                    phdr_addr.get_or_insert(bias.wrapping_add(ph.vaddr));
                    continue;
                }
                PT_INTERP => {
                    if interp.is_some() {
                        return Err(ElfError::DuplicateInterp);
                    }
                    let in_file = ph
                        .offset
                        .checked_add(ph.filesz)
                        .is_some_and(|e| e <= file_size);
                    if !in_file || ph.filesz == 0 || ph.filesz > MAX_INTERP {
                        return Err(ElfError::BadInterp);
                    }
                    interp = Some(FileRange {
                        offset: ph.offset,
                        len: ph.filesz,
                    });
                    continue;
                }
                _ => continue,
            }
            if ph.filesz > ph.memsz {
                return Err(ElfError::FileszOverMemsz { index });
            }
            let in_file = ph
                .offset
                .checked_add(ph.filesz)
                .is_some_and(|e| e <= file_size);
            if !in_file {
                return Err(ElfError::SegmentOutsideFile { index });
            }
            let vaddr = bias
                .checked_add(ph.vaddr)
                .ok_or(ElfError::SegmentOutOfRange { index })?;
            let end = vaddr
                .checked_add(ph.memsz)
                .ok_or(ElfError::SegmentOutOfRange { index })?;
            if end > limit || ph.memsz > MAX_SEGMENT {
                return Err(ElfError::SegmentOutOfRange { index });
            }
            if segments.last().is_some_and(|p| vaddr < p.end()) {
                return Err(ElfError::SegmentOverlap { index });
            }
            segments.push(Segment {
                vaddr,
                memsz: ph.memsz,
                file: FileRange {
                    offset: ph.offset,
                    len: ph.filesz,
                },
                prot: prot_of(ph.flags),
            });
        }
        if segments.is_empty() {
            return Err(ElfError::NoLoadSegment);
        }
        let entry = bias.wrapping_add(self.entry);
        if !segments.iter().any(|s| s.vaddr <= entry && entry < s.end()) {
            return Err(ElfError::EntryOutsideSegments(entry));
        }
        // Without PT_PHDR: the segment whose file bytes hold the table.
        let phdr_addr = phdr_addr.unwrap_or_else(|| {
            segments
                .iter()
                .find(|s| s.file.offset <= self.phoff && self.phoff - s.file.offset < s.file.len)
                .map(|s| s.vaddr + (self.phoff - s.file.offset))
                .unwrap_or(0)
        });
        Ok(Layout {
            bias,
            segments,
            entry,
            phdr_addr,
            phent: self.phentsize as u64,
            phnum: self.phdrs.len() as u64,
            interp,
        })
    }
}

impl Elf {
    /// The pages the `PT_LOAD` segments cover before any bias: the lowest
    /// `p_vaddr` rounded down and the highest `p_vaddr + p_memsz` rounded
    /// up to `page` (a power of two). `None` without a `PT_LOAD` or when an
    /// end overflows. A loader reserves this many bytes for an `ET_DYN`
    /// image and biases it so that the span starts where it chose.
    pub fn load_span(&self, page: u64) -> Option<(u64, u64)> {
        let mut lo = u64::MAX;
        let mut hi = 0u64;
        for ph in self.phdrs.iter().filter(|p| p.p_type == PT_LOAD) {
            lo = lo.min(ph.vaddr & !(page - 1));
            let end = ph.vaddr.checked_add(ph.memsz)?.checked_add(page - 1)? & !(page - 1);
            hi = hi.max(end);
        }
        (lo < hi).then_some((lo, hi))
    }
}

/// The interpreter path from the bytes of [`Layout::interp`]: one
/// non-empty path ending in its only NUL (returned without the NUL).
pub fn interp_path(bytes: &[u8]) -> Result<&[u8], ElfError> {
    match bytes.split_last() {
        Some((0, path)) if !path.is_empty() && !path.contains(&0) => Ok(path),
        _ => Err(ElfError::BadInterp),
    }
}

#[cfg(test)]
mod tests;
