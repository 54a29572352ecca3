//! System information: uname, getrandom, rlimits, sysinfo, affinity, usage.

use super::KResult;
use crate::task::user;
use veridian_vfs::Errno;

pub fn uname(buf: u64) -> KResult {
    let mut u = [0u8; 65 * 6];
    let fields: [&[u8]; 6] = [
        b"VeridianOS",
        b"veridian",
        b"0.1.0",
        b"#1 VeridianOS",
        b"x86_64",
        b"(none)",
    ];
    for (i, f) in fields.iter().enumerate() {
        u[i * 65..i * 65 + f.len()].copy_from_slice(f);
    }
    user::write_bytes(buf, &u)?;
    Ok(0)
}

pub fn getrandom(buf: u64, len: u64, flags: u32) -> KResult {
    if flags & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    let n = len.min(1 << 20) as usize;
    let mut k = alloc::vec![0u8; n];
    crate::random::fill(&mut k);
    user::write_bytes(buf, &k)?;
    Ok(n as u64)
}

/// (soft, hard) limits reported for each resource.
fn limit(res: u32) -> Result<(u64, u64), Errno> {
    const INF: u64 = u64::MAX;
    match res {
        3 => Ok((8 << 20, INF)),
        7 => Ok((1024, 1024)),
        6 => Ok((crate::task::MAX_TASKS as u64, crate::task::MAX_TASKS as u64)),
        0..=15 => Ok((INF, INF)),
        _ => Err(Errno::EINVAL),
    }
}

pub fn getrlimit(res: u32, out: u64) -> KResult {
    let (s, h) = limit(res)?;
    let mut b = [0u8; 16];
    b[0..8].copy_from_slice(&s.to_le_bytes());
    b[8..16].copy_from_slice(&h.to_le_bytes());
    user::write_bytes(out, &b)?;
    Ok(0)
}

pub fn prlimit64(pid: u32, res: u32, new: u64, old: u64) -> KResult {
    if pid != 0 && pid != crate::task::current().pid {
        return Err(Errno::ESRCH);
    }
    if old != 0 {
        getrlimit(res, old)?;
    }
    if new != 0 {
        user::read_bytes(new, 16)?;
    }
    limit(res).map(|_| 0)
}

pub fn getrusage(out: u64) -> KResult {
    user::write_bytes(out, &[0u8; 144])?;
    Ok(0)
}

pub fn sysinfo(out: u64) -> KResult {
    let (free, total) = crate::mm::frame::stats();
    let mut b = [0u8; 112];
    b[0..8].copy_from_slice(&(crate::time::monotonic_ns() / 1_000_000_000).to_le_bytes());
    b[32..40].copy_from_slice(&(total as u64 * 4096).to_le_bytes());
    b[40..48].copy_from_slice(&(free as u64 * 4096).to_le_bytes());
    b[80..82].copy_from_slice(&(crate::task::TASKS.lock().len() as u16).to_le_bytes());
    b[104..108].copy_from_slice(&1u32.to_le_bytes());
    user::write_bytes(out, &b)?;
    Ok(0)
}

pub fn sched_getaffinity(pid: u64, size: u64, mask: u64) -> KResult {
    let _ = pid;
    if size < 8 || !size.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let mut b = alloc::vec![0u8; size.min(128) as usize];
    b[0] = 1;
    user::write_bytes(mask, &b)?;
    Ok(b.len() as u64)
}

/// prctl: thread names are accepted and kept nowhere; other options EINVAL.
pub fn prctl(option: u64, arg: u64) -> KResult {
    const PR_SET_PDEATHSIG: u64 = 1;
    const PR_GET_DUMPABLE: u64 = 3;
    const PR_SET_DUMPABLE: u64 = 4;
    const PR_SET_NAME: u64 = 15;
    const PR_GET_NAME: u64 = 16;
    match option {
        PR_SET_NAME => user::read_bytes(arg, 16).map(|_| 0),
        PR_GET_NAME => user::write_bytes(arg, b"veridian\0\0\0\0\0\0\0\0").map(|_| 0),
        PR_SET_PDEATHSIG | PR_SET_DUMPABLE => Ok(0),
        PR_GET_DUMPABLE => Ok(1),
        _ => Err(Errno::EINVAL),
    }
}

/// getcpu: always CPU 0, node 0.
pub fn getcpu(cpu: u64, node: u64) -> KResult {
    if cpu != 0 {
        user::write_u32(cpu, 0)?;
    }
    if node != 0 {
        user::write_u32(node, 0)?;
    }
    Ok(0)
}
