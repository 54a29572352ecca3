//! A checked ELF64 header and program-header parser: every offset and size
//! from the file is validated, so a damaged or hostile executable yields
//! `ENOEXEC`, never a panic.

use alloc::vec::Vec;
use veridian_syscall::errno::ENOEXEC;

pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;
const EM_X86_64: u16 = 62;
const PHDR_SIZE: usize = 56;
/// Bytes of the file the caller must pass: the header plus this many
/// program headers at most.
pub const MAX_PHNUM: usize = 256;

#[derive(Clone, Copy, Debug)]
pub struct Phdr {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
}

pub struct Elf {
    pub kind: u16,
    pub entry: u64,
    pub phoff: u64,
    pub phentsize: u16,
    pub phdrs: Vec<Phdr>,
}

fn u16_at(b: &[u8], o: usize) -> Result<u16, i32> {
    b.get(o..o + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or(ENOEXEC)
}

fn u32_at(b: &[u8], o: usize) -> Result<u32, i32> {
    b.get(o..o + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or(ENOEXEC)
}

fn u64_at(b: &[u8], o: usize) -> Result<u64, i32> {
    b.get(o..o + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or(ENOEXEC)
}

/// Where the program-header table ends, from the first 64 bytes.
pub fn headers_len(head: &[u8]) -> Result<usize, i32> {
    let phoff = u64_at(head, 32)?;
    let phnum = u16_at(head, 56)? as u64;
    if phnum as usize > MAX_PHNUM || phoff > (1 << 20) {
        return Err(ENOEXEC);
    }
    Ok((phoff + phnum * PHDR_SIZE as u64) as usize)
}

/// Parses `data` (at least [`headers_len`] bytes of the file).
pub fn parse(data: &[u8]) -> Result<Elf, i32> {
    if data.get(0..4) != Some(b"\x7fELF") || data.get(4) != Some(&2) || data.get(5) != Some(&1) {
        return Err(ENOEXEC);
    }
    let kind = u16_at(data, 16)?;
    if u16_at(data, 18)? != EM_X86_64 || (kind != ET_EXEC && kind != ET_DYN) {
        return Err(ENOEXEC);
    }
    let entry = u64_at(data, 24)?;
    let phoff = u64_at(data, 32)?;
    let phentsize = u16_at(data, 54)?;
    let phnum = u16_at(data, 56)? as usize;
    if phentsize as usize != PHDR_SIZE || phnum == 0 || phnum > MAX_PHNUM {
        return Err(ENOEXEC);
    }
    let mut phdrs = Vec::with_capacity(phnum);
    for i in 0..phnum {
        let o = (phoff as usize).checked_add(i * PHDR_SIZE).ok_or(ENOEXEC)?;
        phdrs.push(Phdr {
            p_type: u32_at(data, o)?,
            flags: u32_at(data, o + 4)?,
            offset: u64_at(data, o + 8)?,
            vaddr: u64_at(data, o + 16)?,
            filesz: u64_at(data, o + 32)?,
            memsz: u64_at(data, o + 40)?,
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
