//! Program loading: static and static-PIE ELF executables (several PT_LOAD
//! segments; PT_TLS is musl's business) and the initial stack with argv,
//! envp and the auxiliary vector.

use alloc::vec::Vec;
use veridian_syscall::errno::{E2BIG, ENOEXEC, ENOMEM};
use x86_64::structures::paging::PageTableFlags as F;

use super::elf;

use crate::mm::vma::{Mm, Vma, PROT_EXEC, PROT_READ, PROT_WRITE, STACK_SIZE, STACK_TOP};
use crate::mm::{frame, page_down, page_up, PAGE_SIZE};

pub type KResult<T> = Result<T, i32>;

/// Where ET_DYN (static-pie) images are placed.
pub const PIE_BASE: u64 = 0x0000_5555_5555_4000;

/// Entry state of a loaded program.
pub struct Loaded {
    pub entry: u64,
    pub sp: u64,
}

const AT_NULL: u64 = 0;
const AT_PHDR: u64 = 3;
const AT_PHENT: u64 = 4;
const AT_PHNUM: u64 = 5;
const AT_PAGESZ: u64 = 6;
const AT_BASE: u64 = 7;
const AT_FLAGS: u64 = 8;
const AT_ENTRY: u64 = 9;
const AT_UID: u64 = 11;
const AT_EUID: u64 = 12;
const AT_GID: u64 = 13;
const AT_EGID: u64 = 14;
const AT_PLATFORM: u64 = 15;
const AT_HWCAP: u64 = 16;
const AT_CLKTCK: u64 = 17;
const AT_SECURE: u64 = 23;
const AT_RANDOM: u64 = 25;
const AT_HWCAP2: u64 = 26;
const AT_EXECFN: u64 = 31;

/// Reads file bytes at an offset (short only at end of file).
pub type Reader<'a> = &'a dyn Fn(u64, &mut [u8]) -> Result<usize, i32>;

fn read_exact(read: Reader<'_>, off: u64, buf: &mut [u8]) -> KResult<()> {
    let mut done = 0;
    while done < buf.len() {
        let n = read(off + done as u64, &mut buf[done..])?;
        if n == 0 {
            return Err(ENOEXEC);
        }
        done += n;
    }
    Ok(())
}

/// Loads the executable that `read` reads (`size` bytes) into the empty
/// `mm` and builds the stack.
pub fn load(
    mm: &mut Mm,
    read: Reader<'_>,
    size: u64,
    path: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> KResult<Loaded> {
    let mut head = alloc::vec![0u8; 64];
    read_exact(read, 0, &mut head)?;
    let hlen = elf::headers_len(&head)?;
    if hlen as u64 > size {
        return Err(ENOEXEC);
    }
    head.resize(hlen.max(64), 0);
    read_exact(read, 0, &mut head)?;
    let elf = elf::parse(&head)?;
    let base = if elf.kind == elf::ET_DYN { PIE_BASE } else { 0 };
    let mut phdr_addr = 0u64;
    let mut top = 0u64;
    let mut last_end = 0u64;
    let mut page = alloc::vec![0u8; PAGE_SIZE as usize];
    for ph in &elf.phdrs {
        match ph.p_type {
            elf::PT_INTERP => return Err(ENOEXEC),
            elf::PT_PHDR => phdr_addr = base.wrapping_add(ph.vaddr),
            elf::PT_LOAD => {}
            _ => continue,
        }
        if ph.p_type != elf::PT_LOAD {
            continue;
        }
        let (off, filesz, memsz) = (ph.offset, ph.filesz, ph.memsz);
        let vaddr = base.checked_add(ph.vaddr).ok_or(ENOEXEC)?;
        if filesz > memsz || off.checked_add(filesz).map(|e| e > size).unwrap_or(true) {
            return Err(ENOEXEC);
        }
        let end = vaddr.checked_add(memsz).ok_or(ENOEXEC)?;
        if end > STACK_TOP - STACK_SIZE || memsz > (1 << 32) {
            return Err(ENOEXEC);
        }
        let mut prot = 0;
        if ph.flags & elf::PF_R != 0 {
            prot |= PROT_READ;
        }
        if ph.flags & elf::PF_W != 0 {
            prot |= PROT_WRITE;
        }
        if ph.flags & elf::PF_X != 0 {
            prot |= PROT_EXEC;
        }
        if phdr_addr == 0 && off <= elf.phoff && elf.phoff < off + filesz {
            phdr_addr = vaddr + (elf.phoff - off);
        }
        let (start, stop) = (page_down(vaddr), page_up(end));
        let mut pte = F::PRESENT | F::USER_ACCESSIBLE | F::WRITABLE;
        if prot & PROT_EXEC == 0 {
            pte |= F::NO_EXECUTE;
        }
        let mut va = start;
        while va < stop {
            let pa = match mm.space.lookup(va) {
                Some((pa, old)) => {
                    let mut f = old | pte;
                    if prot & PROT_EXEC != 0 {
                        f -= F::NO_EXECUTE;
                    }
                    mm.space.set_flags(va, f);
                    pa
                }
                None => {
                    let pa = frame::alloc().ok_or(ENOMEM)?;
                    if mm.space.map(va, pa, pte).is_err() {
                        frame::decref(pa);
                        return Err(ENOMEM);
                    }
                    pa
                }
            };
            // Copy the part of the file image that lands in this page.
            let seg_lo = vaddr.max(va);
            let seg_hi = (vaddr + filesz).min(va + PAGE_SIZE);
            if seg_lo < seg_hi {
                let n = (seg_hi - seg_lo) as usize;
                read_exact(read, off + (seg_lo - vaddr), &mut page[..n])?;
                crate::mm::write_frame(pa, (seg_lo - va) as usize, &page[..n]);
            }
            va += PAGE_SIZE;
        }
        let vstart = start.max(last_end);
        if let Some((_, prev)) = mm.vmas.range_mut(..vstart).next_back() {
            if prev.end > start {
                prev.prot |= prot;
            }
        }
        if vstart < stop {
            mm.vmas.insert(
                vstart,
                Vma {
                    end: stop,
                    prot,
                    file: None,
                    file_len: 0,
                    droppable: false,
                },
            );
        }
        last_end = last_end.max(stop);
        top = top.max(stop);
    }
    if top == 0 {
        return Err(ENOEXEC);
    }
    // Write-protect read-only segments now that they are filled.
    let ro: Vec<(u64, u64, u32)> = mm.vmas.iter().map(|(&s, v)| (s, v.end, v.prot)).collect();
    for (s, e, prot) in ro {
        if prot & PROT_WRITE == 0 {
            mm.space.update_range(s, e, |f| f - F::WRITABLE);
        }
    }
    mm.brk_start = top + PAGE_SIZE;
    mm.brk = mm.brk_start;
    let entry = base.wrapping_add(elf.entry);
    if entry >= STACK_TOP {
        return Err(ENOEXEC);
    }
    mm.vmas.insert(
        STACK_TOP - STACK_SIZE,
        Vma {
            end: STACK_TOP,
            prot: PROT_READ | PROT_WRITE,
            file: None,
            file_len: 0,
            droppable: true,
        },
    );
    let aux = [
        (AT_PHDR, phdr_addr),
        (AT_PHENT, elf.phentsize as u64),
        (AT_PHNUM, elf.phdrs.len() as u64),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, entry),
        (AT_UID, 0),
        (AT_EUID, 0),
        (AT_GID, 0),
        (AT_EGID, 0),
        (AT_HWCAP, hwcap()),
        (AT_HWCAP2, 0),
        (AT_CLKTCK, 100),
        (AT_SECURE, 0),
    ];
    let sp = build_stack(mm, path, argv, envp, &aux)?;
    Ok(Loaded { entry, sp })
}

fn hwcap() -> u64 {
    core::arch::x86_64::__cpuid(1).edx as u64
}

/// Lays out strings, then argc/argv/envp/auxv, 16-byte aligned.
fn build_stack(
    mm: &mut Mm,
    path: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    aux: &[(u64, u64)],
) -> KResult<u64> {
    let mut strings: Vec<u8> = Vec::new();
    let mut rand = [0u8; 16];
    crate::random::fill(&mut rand);
    strings.extend_from_slice(&rand);
    let plat_off = strings.len();
    strings.extend_from_slice(b"x86_64\0");
    let execfn_off = strings.len();
    strings.extend_from_slice(path);
    strings.push(0);
    let mut offs = Vec::new();
    for s in argv.iter().chain(envp.iter()) {
        offs.push(strings.len());
        strings.extend_from_slice(s);
        strings.push(0);
    }
    if strings.len() > 256 * 1024 {
        return Err(E2BIG);
    }
    let str_base = (STACK_TOP - 16 - strings.len() as u64) & !15;
    let nwords = 1 + argv.len() + 1 + envp.len() + 1 + 2 * (aux.len() + 4);
    let sp = (str_base - nwords as u64 * 8) & !15;
    let mut words: Vec<u64> = Vec::with_capacity(nwords);
    words.push(argv.len() as u64);
    for (i, _) in argv.iter().enumerate() {
        words.push(str_base + offs[i] as u64);
    }
    words.push(0);
    for (i, _) in envp.iter().enumerate() {
        words.push(str_base + offs[argv.len() + i] as u64);
    }
    words.push(0);
    for &(k, v) in aux {
        words.push(k);
        words.push(v);
    }
    words.extend_from_slice(&[AT_RANDOM, str_base, AT_PLATFORM, str_base + plat_off as u64]);
    words.extend_from_slice(&[AT_EXECFN, str_base + execfn_off as u64, AT_NULL, 0]);
    let mut bytes = Vec::with_capacity(words.len() * 8);
    for w in words {
        bytes.extend_from_slice(&w.to_le_bytes());
    }
    if !mm.write(sp, &bytes) || !mm.write(str_base, &strings) {
        return Err(ENOMEM);
    }
    Ok(sp)
}
