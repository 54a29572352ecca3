//! What /proc shows about processes, from the kernel's tables.

use alloc::sync::Arc;
use alloc::vec::Vec;
use veridian_vfs::{FdTable, MemInfo, ProcessInfo, Timespec};

use crate::task::{self, PROCS, TASKS};

pub struct KernelProcs;

impl ProcessInfo for KernelProcs {
    fn current_pid(&self) -> u32 {
        task::current_pid()
    }

    fn pids(&self) -> Vec<u32> {
        PROCS.lock().values().filter(|p| p.zombie.is_none()).map(|p| p.pid).collect()
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

    fn meminfo(&self) -> MemInfo {
        let (free, total) = crate::mm::frame::stats();
        MemInfo { total_kib: total as u64 * 4, free_kib: free as u64 * 4, available_kib: free as u64 * 4 }
    }

    fn cpu_model(&self) -> Vec<u8> {
        b"VeridianOS virtual x86_64 CPU".to_vec()
    }

    fn uptime(&self) -> (Timespec, Timespec) {
        let ns = crate::time::monotonic_ns();
        let t = Timespec { sec: (ns / 1_000_000_000) as i64, nsec: (ns % 1_000_000_000) as u32 };
        (t, Timespec::default())
    }
}
