//! Copies between the current process's memory and kernel buffers, and the
//! typed user pointers system calls take ([`UserPtr`], [`UserSlice`]).
//! Addresses are checked against the process's memory map and pages are
//! faulted in first, so a bad pointer yields `EFAULT`, never a kernel fault.

use alloc::vec;
use alloc::vec::Vec;
use core::marker::PhantomData;
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

/// A value with a fixed little-endian layout in user memory (Linux x86_64
/// C layout): integers, and arrays of them for structs made of equal
/// fields (`timespec` = `[i64; 2]`, `rlimit` = `[u64; 2]`, ...).
pub trait UserValue: Sized {
    /// Bytes the value takes in user memory.
    const SIZE: usize;
    /// The value in `bytes` (exactly `SIZE` of them).
    fn decode(bytes: &[u8]) -> Self;
    /// Writes the value into `out` (exactly `SIZE` bytes).
    fn encode(&self, out: &mut [u8]);
}

macro_rules! int_user_value {
    ($($t:ty),*) => {
        $(impl UserValue for $t {
            const SIZE: usize = core::mem::size_of::<$t>();
            fn decode(bytes: &[u8]) -> Self {
                let mut b = [0u8; core::mem::size_of::<$t>()];
                b.copy_from_slice(bytes);
                <$t>::from_le_bytes(b)
            }
            fn encode(&self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
        })*
    };
}

int_user_value!(u8, u16, u32, u64, i32, i64);

impl<T: UserValue, const N: usize> UserValue for [T; N] {
    const SIZE: usize = T::SIZE * N;
    fn decode(bytes: &[u8]) -> Self {
        core::array::from_fn(|i| T::decode(&bytes[i * T::SIZE..(i + 1) * T::SIZE]))
    }
    fn encode(&self, out: &mut [u8]) {
        for (v, chunk) in self.iter().zip(out.chunks_exact_mut(T::SIZE)) {
            v.encode(chunk);
        }
    }
}

/// A pointer into the current process's memory to one `T`. Reads and
/// writes go through the checked copies above: `EFAULT` for an address the
/// process has not mapped (or mapped without the needed access).
pub struct UserPtr<T> {
    addr: u64,
    value: PhantomData<fn() -> T>,
}

impl<T> Clone for UserPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for UserPtr<T> {}

impl<T: UserValue> UserPtr<T> {
    pub fn new(addr: u64) -> Self {
        UserPtr {
            addr,
            value: PhantomData,
        }
    }

    /// `None` for a NULL pointer (an optional argument left out).
    pub fn non_null(addr: u64) -> Option<Self> {
        (addr != 0).then(|| Self::new(addr))
    }

    pub fn read(self) -> Result<T, Errno> {
        let mut buf = vec![0u8; T::SIZE];
        read_into(self.addr, &mut buf)?;
        Ok(T::decode(&buf))
    }

    pub fn write(self, value: &T) -> Result<(), Errno> {
        let mut buf = vec![0u8; T::SIZE];
        value.encode(&mut buf);
        write_bytes(self.addr, &buf)
    }
}

/// Which way a [`UserSlice`] may be copied.
pub trait Direction {}
/// Data the kernel reads from the process (a `const` buffer).
pub enum In {}
/// Data the kernel writes for the process (an output buffer).
pub enum Out {}
/// A buffer the kernel reads and then writes back (`pollfd` arrays).
pub enum InOut {}
impl Direction for In {}
impl Direction for Out {}
impl Direction for InOut {}

/// Directions that allow reading.
pub trait Readable: Direction {}
impl Readable for In {}
impl Readable for InOut {}
/// Directions that allow writing.
pub trait Writable: Direction {}
impl Writable for Out {}
impl Writable for InOut {}

/// `len` bytes of the current process's memory at `addr`, to be read
/// (`D` = [`In`]), written ([`Out`]) or both ([`InOut`]). Copies are
/// checked: `EFAULT` for memory the process has not mapped.
pub struct UserSlice<D: Direction> {
    addr: u64,
    len: usize,
    dir: PhantomData<D>,
}

impl<D: Direction> UserSlice<D> {
    pub fn new(addr: u64, len: usize) -> Self {
        UserSlice {
            addr,
            len,
            dir: PhantomData,
        }
    }
}

impl<D: Readable> UserSlice<D> {
    /// All `len` bytes.
    pub fn read(&self) -> Result<Vec<u8>, Errno> {
        read_bytes(self.addr, self.len)
    }
}

impl<D: Writable> UserSlice<D> {
    /// Copies as much of `data` as fits (at most `len` bytes) to the start
    /// of the slice; returns the bytes copied.
    pub fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        let n = data.len().min(self.len);
        write_bytes(self.addr, &data[..n])?;
        Ok(n)
    }
}
