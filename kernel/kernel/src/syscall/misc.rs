//! System information: uname, getrandom, rlimits, sysinfo, affinity, usage.

use veridian_syscall::random::{GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM};
use veridian_syscall::resource::{
    RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_STACK, RLIM_INFINITY, RLIM_NLIMITS,
};
use veridian_vfs::Errno;

use super::KResult;
use crate::task::user::{Out, UserPtr, UserSlice};

/// Bytes of one `struct utsname` field (`__NEW_UTS_LEN` + 1).
const UTS_FIELD: usize = 65;
/// Bytes of a `struct sysinfo` on x86_64.
const SYSINFO_SIZE: usize = 112;

pub fn uname(buf: u64) -> KResult {
    let mut u = [0u8; UTS_FIELD * 6];
    let fields: [&[u8]; 6] = [
        b"VeridianOS",
        b"veridian",
        b"0.1.0",
        b"#1 VeridianOS",
        b"x86_64",
        b"(none)",
    ];
    for (i, f) in fields.iter().enumerate() {
        u[i * UTS_FIELD..i * UTS_FIELD + f.len()].copy_from_slice(f);
    }
    UserSlice::<Out>::new(buf, u.len()).write(&u)?;
    Ok(0)
}

pub fn getrandom(buf: u64, len: u64, flags: u32) -> KResult {
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0 {
        return Err(Errno::EINVAL);
    }
    let n = len.min(1 << 20) as usize;
    let mut k = alloc::vec![0u8; n];
    crate::random::fill(&mut k);
    UserSlice::<Out>::new(buf, n).write(&k)?;
    Ok(n as u64)
}

/// (soft, hard) limits reported for each resource.
fn limit(res: u32) -> Result<[u64; 2], Errno> {
    match res {
        RLIMIT_STACK => Ok([crate::mm::vma::STACK_SIZE, RLIM_INFINITY]),
        RLIMIT_NOFILE => Ok([crate::task::current().files().limit() as u64; 2]),
        RLIMIT_NPROC => Ok([crate::task::MAX_TASKS as u64; 2]),
        _ if res < RLIM_NLIMITS => Ok([RLIM_INFINITY; 2]),
        _ => Err(Errno::EINVAL),
    }
}

/// A `struct rlimit`: soft, then hard limit.
type Rlimit = UserPtr<[u64; 2]>;

pub fn getrlimit(res: u32, out: u64) -> KResult {
    Rlimit::new(out).write(&limit(res)?)?;
    Ok(0)
}

pub fn prlimit64(pid: u32, res: u32, new: u64, old: u64) -> KResult {
    if pid != 0 && pid != crate::task::current().pid {
        return Err(Errno::ESRCH);
    }
    if old != 0 {
        getrlimit(res, old)?;
    }
    if let Some(new) = Rlimit::non_null(new) {
        new.read()?;
    }
    limit(res).map(|_| 0)
}

pub fn getrusage(out: u64) -> KResult {
    super::process::no_rusage(out)?;
    Ok(0)
}

pub fn sysinfo(out: u64) -> KResult {
    let (free, total) = crate::mm::frame::stats();
    let mut b = [0u8; SYSINFO_SIZE];
    b[0..8].copy_from_slice(&(crate::time::monotonic_ns() / 1_000_000_000).to_le_bytes());
    b[32..40].copy_from_slice(&(total as u64 * 4096).to_le_bytes());
    b[40..48].copy_from_slice(&(free as u64 * 4096).to_le_bytes());
    b[80..82].copy_from_slice(&(crate::task::TASKS.lock().len() as u16).to_le_bytes());
    b[104..108].copy_from_slice(&1u32.to_le_bytes());
    UserSlice::<Out>::new(out, b.len()).write(&b)?;
    Ok(0)
}

pub fn sched_getaffinity(pid: u64, size: u64, mask: u64) -> KResult {
    let _ = pid;
    if size < 8 || !size.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let mut b = alloc::vec![0u8; size.min(128) as usize];
    for cpu in 0..crate::smp::online().min(b.len() * 8) {
        b[cpu / 8] |= 1 << (cpu % 8);
    }
    UserSlice::<Out>::new(mask, b.len()).write(&b)?;
    Ok(b.len() as u64)
}

/// getcpu: the CPU the caller runs on, node 0.
pub fn getcpu(cpu: u64, node: u64) -> KResult {
    if let Some(p) = UserPtr::<u32>::non_null(cpu) {
        p.write(&(crate::smp::cpu() as u32))?;
    }
    if let Some(p) = UserPtr::<u32>::non_null(node) {
        p.write(&0)?;
    }
    Ok(0)
}
