//! The initial user stack of a new program (System V x86_64 ABI): argc,
//! the argv and envp pointer arrays, the auxiliary vector, and above them
//! the 16 `AT_RANDOM` bytes, the platform string, the executable's path
//! and the argument and environment strings.

use alloc::vec::Vec;

use crate::page::PAGE_SIZE;

use veridian_syscall::auxv::{
    AT_BASE, AT_CLKTCK, AT_EGID, AT_ENTRY, AT_EUID, AT_EXECFN, AT_FLAGS, AT_GID, AT_HWCAP,
    AT_HWCAP2, AT_NULL, AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PLATFORM, AT_RANDOM, AT_SECURE,
    AT_UID,
};
use veridian_syscall::time::USER_HZ;

/// The `AT_PLATFORM` string.
pub const PLATFORM: &[u8] = b"x86_64";
/// Most bytes of strings (random bytes, platform, path, argv, envp) the
/// stack takes.
pub const MAX_STRINGS: usize = 256 * 1024;

/// What the auxiliary vector says about the loaded program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramInfo {
    /// Address of the program headers in memory (`AT_PHDR`).
    pub phdr: u64,
    pub phent: u64,
    pub phnum: u64,
    /// The program's entry point (`AT_ENTRY`).
    pub entry: u64,
    /// The interpreter's load address (`AT_BASE`), 0 without one.
    pub base: u64,
    /// CPUID.1:EDX (`AT_HWCAP`).
    pub hwcap: u64,
}

/// The auxiliary vector without the entries that point into the stack's
/// strings (`AT_RANDOM`, `AT_PLATFORM`, `AT_EXECFN`) and without `AT_NULL`;
/// [`build`] adds those.
pub fn auxv(p: &ProgramInfo) -> Vec<(u64, u64)> {
    alloc::vec![
        (AT_PHDR, p.phdr),
        (AT_PHENT, p.phent),
        (AT_PHNUM, p.phnum),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_BASE, p.base),
        (AT_FLAGS, 0),
        (AT_ENTRY, p.entry),
        (AT_UID, 0),
        (AT_EUID, 0),
        (AT_GID, 0),
        (AT_EGID, 0),
        (AT_HWCAP, p.hwcap),
        (AT_HWCAP2, 0),
        (AT_CLKTCK, USER_HZ),
        (AT_SECURE, 0),
    ]
}

/// The argument and environment strings do not fit ([`MAX_STRINGS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooBig;

/// The stack's contents: `words` goes at `sp`, `strings` at `strings_at`
/// (above the words, below the stack top).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackImage {
    /// The initial stack pointer (16-byte aligned); it points at argc.
    pub sp: u64,
    pub words: Vec<u8>,
    pub strings_at: u64,
    pub strings: Vec<u8>,
}

/// Lays out the stack below `top` (16 bytes are left free under it).
pub fn build(
    top: u64,
    random: &[u8; 16],
    path: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    aux: &[(u64, u64)],
) -> Result<StackImage, TooBig> {
    let mut strings: Vec<u8> = Vec::new();
    strings.extend_from_slice(random);
    let plat_off = strings.len();
    strings.extend_from_slice(PLATFORM);
    strings.push(0);
    let execfn_off = strings.len();
    strings.extend_from_slice(path);
    strings.push(0);
    let mut offs = Vec::with_capacity(argv.len() + envp.len());
    for s in argv.iter().chain(envp.iter()) {
        offs.push(strings.len());
        strings.extend_from_slice(s);
        strings.push(0);
    }
    if strings.len() > MAX_STRINGS {
        return Err(TooBig);
    }
    let str_base = (top - 16 - strings.len() as u64) & !15;
    let nwords = 1 + argv.len() + 1 + envp.len() + 1 + 2 * (aux.len() + 4);
    let sp = (str_base - nwords as u64 * 8) & !15;
    let mut words: Vec<u64> = Vec::with_capacity(nwords);
    words.push(argv.len() as u64);
    words.extend(offs[..argv.len()].iter().map(|&o| str_base + o as u64));
    words.push(0);
    words.extend(offs[argv.len()..].iter().map(|&o| str_base + o as u64));
    words.push(0);
    for &(k, v) in aux {
        words.extend_from_slice(&[k, v]);
    }
    words.extend_from_slice(&[AT_RANDOM, str_base]);
    words.extend_from_slice(&[AT_PLATFORM, str_base + plat_off as u64]);
    words.extend_from_slice(&[AT_EXECFN, str_base + execfn_off as u64]);
    words.extend_from_slice(&[AT_NULL, 0]);
    Ok(StackImage {
        sp,
        words: words.iter().flat_map(|w| w.to_le_bytes()).collect(),
        strings_at: str_base,
        strings,
    })
}

#[cfg(test)]
mod tests;
