//! Program loading: static, static-PIE and dynamically linked ELF
//! executables (several PT_LOAD segments; PT_TLS is the C library's
//! business), the `PT_INTERP` interpreter of a dynamic one, and the initial
//! stack with argv, envp and the auxiliary vector. Segments become regions
//! backed by their file and are paged in on first touch (a compiler of
//! 100 MiB runs without reading all of itself); only a page two segments
//! share is filled at exec.

use alloc::sync::Arc;
use alloc::vec::Vec;
use veridian_kcore::elf::{self, ElfError};
use veridian_kcore::stack;
use veridian_syscall::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};
use veridian_vfs::Errno;
use x86_64::structures::paging::PageTableFlags as F;

use crate::fs::OpenFile;
use crate::mm::vma::{Backing, Mm, STACK_SIZE, STACK_TOP};
use crate::mm::{frame, page_down, page_up, PAGE_SIZE};

/// Where ET_DYN (static-pie) images are placed.
pub const PIE_BASE: u64 = 0x0000_5555_5555_4000;

/// Entry state of a loaded program.
pub struct Loaded {
    pub entry: u64,
    pub sp: u64,
}

/// A refused executable: logged at debug level, `ENOEXEC` for the caller.
fn noexec(e: ElfError) -> Errno {
    crate::kdebug!("veridian: exec: {}", e);
    Errno::ENOEXEC
}

/// Reads file bytes at an offset (short only at end of file).
pub type Reader<'a> = &'a dyn Fn(u64, &mut [u8]) -> Result<usize, Errno>;

fn read_exact(read: Reader<'_>, off: u64, buf: &mut [u8]) -> Result<(), Errno> {
    let mut done = 0;
    while done < buf.len() {
        let n = read(off + done as u64, &mut buf[done..])?;
        if n == 0 {
            return Err(Errno::ENOEXEC);
        }
        done += n;
    }
    Ok(())
}

/// Opens the interpreter a `PT_INTERP` names: the file and its size.
pub type OpenInterp<'a> = &'a dyn Fn(&[u8]) -> Result<(OpenFile, u64), Errno>;

/// Reads the file header and program headers of a `size`-byte file.
/// `Ok(Err(_))` is a malformed file; `Err(_)` a failed or short read of the
/// 64-byte file header.
fn read_headers(read: Reader<'_>, size: u64) -> Result<Result<elf::Elf, ElfError>, Errno> {
    let mut head = alloc::vec![0u8; elf::EHDR_SIZE];
    read_exact(read, 0, &mut head)?;
    let hlen = match elf::headers_len(&head) {
        Ok(n) => n,
        Err(e) => return Ok(Err(e)),
    };
    if hlen as u64 > size {
        return Ok(Err(ElfError::Truncated));
    }
    head.resize(hlen, 0);
    read_exact(read, 0, &mut head)?;
    Ok(elf::parse(&head))
}

/// Loads the executable that `read` reads (`size` bytes) into the empty
/// `mm`, and its interpreter if it has a `PT_INTERP` (found through
/// `open_interp`), then builds the stack. As in Linux, the interpreter's own
/// `PT_INTERP` is not followed, so no chain or loop of interpreters forms;
/// an interpreter that cannot be opened gives the open's error (`ENOENT`,
/// `EACCES`, ...), one shorter than an ELF header `EIO`, and a malformed one
/// `ELIBBAD`. The program itself, malformed, gives `ENOEXEC`.
pub fn load(
    mm: &mut Mm,
    program: &Arc<OpenFile>,
    size: u64,
    open_interp: OpenInterp<'_>,
    path: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> Result<Loaded, Errno> {
    let read: Reader<'_> = &|off, buf| crate::fs::pread(program, off, buf);
    let image = read_headers(read, size)
        .map_err(|_| Errno::ENOEXEC)?
        .map_err(noexec)?;
    let bias = if image.kind == elf::ET_DYN {
        PIE_BASE
    } else {
        0
    };
    let layout = image
        .layout(size, bias, STACK_TOP - STACK_SIZE)
        .map_err(noexec)?;
    let interp = match layout.interp {
        Some(range) => {
            let mut bytes = alloc::vec![0u8; range.len as usize];
            read_exact(read, range.offset, &mut bytes)?;
            let name = elf::interp_path(&bytes).map_err(noexec)?;
            Some(open_interp(name)?)
        }
        None => None,
    };
    let mut page = alloc::vec![0u8; PAGE_SIZE as usize];
    let backing = crate::fs::backing(program.clone());
    map_segments(mm, read, &backing, &layout, &mut page)?;
    let (entry, base) = match interp {
        Some((file, isize)) => {
            let file = Arc::new(file);
            let iread = &|off, buf: &mut [u8]| crate::fs::pread(&file, off, buf);
            let ilayout = place_interp(mm, iread, isize)?;
            let ibacking = crate::fs::backing(file.clone());
            map_segments(mm, iread, &ibacking, &ilayout, &mut page)?;
            (ilayout.entry, ilayout.bias)
        }
        None => (layout.entry, 0),
    };
    // Write-protect read-only segments now that they are filled.
    let ro: Vec<(u64, u64, u32)> = mm.vmas.iter().map(|(&s, v)| (s, v.end, v.prot)).collect();
    for (s, e, prot) in ro {
        if prot & PROT_WRITE == 0 {
            mm.space.update_range(s, e, |f| f - F::WRITABLE);
        }
    }
    mm.brk_start = page_up(layout.end()) + PAGE_SIZE;
    mm.brk = mm.brk_start;
    mm.insert(
        STACK_TOP - STACK_SIZE,
        STACK_TOP,
        PROT_READ | PROT_WRITE,
        None,
        0,
    );
    let aux = stack::auxv(&stack::ProgramInfo {
        phdr: layout.phdr_addr,
        phent: layout.phent,
        phnum: layout.phnum,
        entry: layout.entry,
        base,
        hwcap: hwcap(),
    });
    let mut random = [0u8; 16];
    crate::random::fill(&mut random);
    let img = stack::build(STACK_TOP, &random, path, argv, envp, &aux).map_err(|_| Errno::E2BIG)?;
    if !mm.write(img.sp, &img.words) || !mm.write(img.strings_at, &img.strings) {
        return Err(Errno::ENOMEM);
    }
    Ok(Loaded { entry, sp: img.sp })
}

/// A refused interpreter: logged at debug level, `ELIBBAD` for the caller.
fn libbad(e: ElfError) -> Errno {
    crate::kdebug!("veridian: exec: interpreter: {}", e);
    Errno::ELIBBAD
}

/// Checks the interpreter's headers and chooses where it goes: an `ET_DYN`
/// interpreter in the first free range of the mmap area, an `ET_EXEC` one
/// at its own addresses, which must lie above everything mapped so far.
fn place_interp(mm: &Mm, read: Reader<'_>, size: u64) -> Result<elf::Layout, Errno> {
    let image = read_headers(read, size)
        .map_err(|_| Errno::EIO)?
        .map_err(libbad)?;
    let limit = STACK_TOP - STACK_SIZE;
    let mapped_end = mm.vmas.iter().map(|(_, v)| v.end).max().unwrap_or(0);
    let bias = if image.kind == elf::ET_DYN {
        let (lo, hi) = image.load_span(PAGE_SIZE).ok_or(Errno::ELIBBAD)?;
        let at = mm.find_free(hi - lo).ok_or(Errno::ENOMEM)?;
        at - lo
    } else {
        0
    };
    let layout = image.layout(size, bias, limit).map_err(libbad)?;
    if page_down(layout.segments[0].vaddr) < mapped_end {
        return Err(libbad(ElfError::SegmentOverlap { index: 0 }));
    }
    Ok(layout)
}

/// Records every segment of `layout` as a region backed by `backing`
/// (paged in on demand), filling now the pages that must be: a page two
/// segments share (it holds bytes of both), and every page of a segment
/// whose file offset and address disagree within a page (no file page
/// lines up with its pages).
fn map_segments(
    mm: &mut Mm,
    read: Reader<'_>,
    backing: &Arc<dyn Backing>,
    layout: &elf::Layout,
    page: &mut [u8],
) -> Result<(), Errno> {
    let spans: Vec<(u64, u64)> = layout
        .segments
        .iter()
        .map(|s| (page_down(s.vaddr), page_up(s.end())))
        .collect();
    let shared = |va: u64| spans.iter().filter(|&&(a, b)| a <= va && va < b).count() > 1;
    for seg in &layout.segments {
        let (start, stop) = (page_down(seg.vaddr), page_up(seg.end()));
        let head = seg.vaddr - start;
        let aligned = seg.file.offset % PAGE_SIZE == head;
        let mut va = start;
        while va < stop {
            if !aligned || shared(va) {
                fill_page(mm, read, seg, va, page)?;
            }
            // Segments are disjoint, so only the first and last pages can
            // be shared: skip to the last.
            va = if aligned && va == start {
                (stop - PAGE_SIZE).max(start + PAGE_SIZE)
            } else {
                va + PAGE_SIZE
            };
        }
        let file = (aligned && seg.file.len > 0).then(|| (backing.clone(), seg.file.offset - head));
        mm.vmas
            .add_segment(start, stop, seg.prot, file, head + seg.file.len);
    }
    Ok(())
}

/// Maps the page at `va` of `seg` (writable while loading; reusing the
/// page a previous segment mapped) and copies in the file bytes of `seg`
/// that land in it.
fn fill_page(
    mm: &mut Mm,
    read: Reader<'_>,
    seg: &elf::Segment,
    va: u64,
    page: &mut [u8],
) -> Result<(), Errno> {
    let (vaddr, filesz, off) = (seg.vaddr, seg.file.len, seg.file.offset);
    let mut pte = F::PRESENT | F::USER_ACCESSIBLE | F::WRITABLE;
    if seg.prot & PROT_EXEC == 0 {
        pte |= F::NO_EXECUTE;
    }
    match mm.space.lookup(va) {
        Some((_, old)) => {
            let mut f = old | pte;
            if seg.prot & PROT_EXEC != 0 {
                f -= F::NO_EXECUTE;
            }
            mm.space.set_flags(va, f);
        }
        None => {
            let fresh = frame::alloc().ok_or(Errno::ENOMEM)?;
            mm.space.map(va, fresh, pte).map_err(|_| Errno::ENOMEM)?;
        }
    }
    let seg_lo = vaddr.max(va);
    let seg_hi = (vaddr + filesz).min(va + PAGE_SIZE);
    if seg_lo < seg_hi {
        let n = (seg_hi - seg_lo) as usize;
        read_exact(read, off + (seg_lo - vaddr), &mut page[..n])?;
        if !mm.space.write_page(seg_lo, &page[..n]) {
            return Err(Errno::ENOMEM);
        }
    }
    Ok(())
}

fn hwcap() -> u64 {
    core::arch::x86_64::__cpuid(1).edx as u64
}
