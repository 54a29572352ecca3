//! Copies between the current process's memory and kernel buffers.
//! Addresses are checked against the process's memory map and pages are
//! faulted in first, so a bad pointer yields `EFAULT`, never a kernel fault.

use alloc::vec;
use alloc::vec::Vec;
use veridian_vfs::Errno;

use super::current_mm;

/// Bound on argv + envp bytes for execve (Linux's ARG_MAX is 2 MiB).
const MAX_ARG_BYTES: usize = 2 << 20;

/// Copies `len` bytes from user `va`.
pub fn read_bytes(va: u64, len: usize) -> Result<Vec<u8>, Errno> {
    if len > (1 << 24) {
        return Err(Errno::EFAULT);
    }
    let mut buf = vec![0u8; len];
    if len > 0 && !current_mm().lock().read(va, &mut buf) {
        return Err(Errno::EFAULT);
    }
    Ok(buf)
}

/// Copies into `buf` from user `va`.
pub fn read_into(va: u64, buf: &mut [u8]) -> Result<(), Errno> {
    if buf.is_empty() || current_mm().lock().read(va, buf) {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

/// Copies `data` to user `va`.
pub fn write_bytes(va: u64, data: &[u8]) -> Result<(), Errno> {
    if data.is_empty() || current_mm().lock().write(va, data) {
        Ok(())
    } else {
        Err(Errno::EFAULT)
    }
}

pub fn read_u64(va: u64) -> Result<u64, Errno> {
    let mut b = [0u8; 8];
    read_into(va, &mut b)?;
    Ok(u64::from_le_bytes(b))
}

pub fn write_u64(va: u64, v: u64) -> Result<(), Errno> {
    write_bytes(va, &v.to_le_bytes())
}

pub fn read_u32(va: u64) -> Result<u32, Errno> {
    let mut b = [0u8; 4];
    read_into(va, &mut b)?;
    Ok(u32::from_le_bytes(b))
}

pub fn write_u32(va: u64, v: u32) -> Result<(), Errno> {
    write_bytes(va, &v.to_le_bytes())
}

/// A NUL-terminated user string of at most `max` bytes (without the NUL).
pub fn read_cstr(va: u64, max: usize) -> Result<Vec<u8>, Errno> {
    if va == 0 {
        return Err(Errno::EFAULT);
    }
    let mut out = Vec::new();
    let mut cur = va;
    loop {
        let chunk = (4096 - (cur % 4096)) as usize;
        let mut buf = vec![0u8; chunk];
        read_into(cur, &mut buf)?;
        if let Some(p) = buf.iter().position(|&b| b == 0) {
            out.extend_from_slice(&buf[..p]);
            return if out.len() > max {
                Err(Errno::ENAMETOOLONG)
            } else {
                Ok(out)
            };
        }
        out.extend_from_slice(&buf);
        if out.len() > max {
            return Err(Errno::ENAMETOOLONG);
        }
        cur += chunk as u64;
    }
}

/// A NULL-terminated array of user string pointers (argv/envp).
pub fn read_str_array(va: u64) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    let mut total = 0usize;
    if va == 0 {
        return Ok(out);
    }
    for i in 0..4096u64 {
        let p = read_u64(va + i * 8)?;
        if p == 0 {
            return Ok(out);
        }
        let s = read_cstr(p, 128 * 1024)?;
        total += s.len() + 9;
        if total > MAX_ARG_BYTES {
            return Err(Errno::E2BIG);
        }
        out.push(s);
    }
    Err(Errno::E2BIG)
}
