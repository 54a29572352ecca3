//! What /proc shows about processes, read from the task tables. `main`
//! hands [`KernelProcs`] to `fs::init`, which mounts procfs over it, so
//! the file system needs no access to the task tables.

use alloc::sync::Arc;
use alloc::vec::Vec;
use veridian_vfs::{FdTable, MemInfo, ProcessInfo, Timespec};

use super::{PROCS, TASKS};

/// The [`ProcessInfo`] provider over the kernel's task and process tables.
pub struct KernelProcs;

impl ProcessInfo for KernelProcs {
    fn current_pid(&self) -> u32 {
        super::current_pid()
    }

    fn pids(&self) -> Vec<u32> {
        PROCS
            .lock()
            .values()
            .filter(|p| p.zombie.is_none())
            .map(|p| p.pid)
            .collect()
    }

    fn exe(&self, pid: u32) -> Option<Vec<u8>> {
        PROCS.lock().get(&pid).map(|p| p.exe.clone())
    }

    fn cmdline(&self, pid: u32) -> Option<Vec<u8>> {
        PROCS.lock().get(&pid).map(|p| p.cmdline.clone())
    }

    fn fd_table(&self, pid: u32) -> Option<Arc<FdTable>> {
        let t = TASKS.lock().values().find(|t| t.pid == pid).cloned()?;
        Some(t.files())
    }

    fn cwd(&self, pid: u32) -> Option<Vec<u8>> {
        let t = TASKS.lock().values().find(|t| t.pid == pid).cloned()?;
        let (fds, fsx) = (t.files(), t.fsctx());
        crate::fs::vfs()
            .getcwd(veridian_vfs::Caller {
                fds: &fds,
                fs: &fsx,
            })
            .ok()
    }

    fn cpu_flags(&self) -> Vec<u8> {
        // What user code may use: SSE state is saved by the kernel, AVX is
        // not (XSAVE is left off), so no AVX flags.
        let l1 = core::arch::x86_64::__cpuid(1);
        let bits: [(u32, u32, &str); 11] = [
            (l1.edx, 0, "fpu"),
            (l1.edx, 4, "tsc"),
            (l1.edx, 15, "cmov"),
            (l1.edx, 23, "mmx"),
            (l1.edx, 25, "sse"),
            (l1.edx, 26, "sse2"),
            (l1.ecx, 0, "pni"),
            (l1.ecx, 9, "ssse3"),
            (l1.ecx, 19, "sse4_1"),
            (l1.ecx, 20, "sse4_2"),
            (l1.ecx, 23, "popcnt"),
        ];
        let names: Vec<&str> = bits
            .iter()
            .filter(|(r, b, _)| r & (1 << b) != 0)
            .map(|(_, _, n)| *n)
            .collect();
        names.join(" ").into_bytes()
    }

    fn meminfo(&self) -> MemInfo {
        let (free, total) = crate::mm::frame::stats();
        MemInfo {
            total_kib: total as u64 * 4,
            free_kib: free as u64 * 4,
            available_kib: free as u64 * 4,
        }
    }

    fn cpu_count(&self) -> u32 {
        crate::smp::online() as u32
    }

    fn cpu_model(&self) -> Vec<u8> {
        b"VeridianOS virtual x86_64 CPU".to_vec()
    }

    fn uptime(&self) -> (Timespec, Timespec) {
        let ns = crate::time::monotonic_ns();
        let t = Timespec {
            sec: (ns / 1_000_000_000) as i64,
            nsec: (ns % 1_000_000_000) as u32,
        };
        (t, Timespec::default())
    }
}
