//! VeridianOS: a small x86_64 kernel speaking the Linux syscall ABI, booted
//! by QEMU's `-kernel` (Multiboot), with a BlockFS root on virtio-blk.
//!
//! `unsafe` is denied in the whole crate and allowed only in the modules
//! that talk to the hardware: `arch` (boot, descriptor tables, entry
//! paths, CPU registers), `mm::{frame, heap, paging}` (physical memory and
//! page tables) and the drivers that program I/O ports or DMA.
#![no_std]
#![no_main]
#![feature(abi_x86_interrupt)]
#![deny(unsafe_code)]

extern crate alloc;

#[allow(unsafe_code)]
mod arch;
mod drivers;
mod fs;
mod log;
mod mm;
mod net;
mod random;
mod smp;
mod stats;
mod syscall;
mod task;
mod time;
mod wait;

use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

use arch::entry::{FpuState, TrapFrame};
use fs::{Caller, FdTable, FsContext};
use mm::vma::Mm;
use veridian_kcore::cmdline;
use veridian_kcore::multiboot::{BootInfo, Region};

/// Stops the machine after a kernel failure, with [`drivers::power::FATAL_STATUS`].
pub fn fatal(args: core::fmt::Arguments) -> ! {
    x86_64::instructions::interrupts::disable();
    kprintln!("veridian: FATAL: {}", args);
    drivers::power::power_off(drivers::power::FATAL_STATUS);
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    fatal(format_args!("kernel panic: {}", info));
}

/// The kernel proper, called by the entry in `arch::boot` with what it
/// copied of the Multiboot information (`Err(magic)` when the loader was
/// not Multiboot).
fn kernel_main(boot: Result<BootInfo, u32>) -> ! {
    drivers::serial::init();
    arch::gdt::init(0);
    arch::idt::load();
    arch::entry::init(0);
    smp::init_boot_cpu();
    let boot = match boot {
        Ok(b) => b,
        Err(magic) => fatal(format_args!(
            "not started by a Multiboot loader (magic {:#x})",
            magic
        )),
    };
    init_memory(boot.regions());
    let cmd = cmdline::parse(&alloc::string::String::from_utf8_lossy(boot.cmdline()));
    log::set_level(cmd.loglevel);
    if cmd.stats {
        stats::enable();
    }
    kprintln!("veridian: boot ok");
    time::init();
    kdebug!("veridian: tsc {} kHz", time::tsc_per_ms());
    smp::start_aps(smp::MAX_CPUS, boot.acpi_regions());
    kprintln!("veridian: {} CPUs online", smp::online());
    mm::paging::drop_identity_map();
    time::start_cpu_timer();

    drivers::pci::assign_unset_memory_bars();
    let disks = drivers::virtio_blk::probe();
    kprintln!("veridian: {} virtio-blk disk(s)", disks.len());
    *fs::disk::DISKS.lock() = disks;
    match fs::init(Arc::new(task::procinfo::KernelProcs)) {
        Ok(blocks) => kprintln!("veridian: mounted / (blockfs, {} blocks)", blocks),
        Err(e) => fatal(format_args!("cannot mount the root file system: {:?}", e)),
    }
    net::init();
    start_init(&cmd)
}

/// Frame allocator from the memory map, with the kernel image, the boot
/// information and a heap carved out.
fn init_memory(regions: &[Region]) {
    let kend = arch::boot::kernel_end_phys();
    // QEMU puts the Multiboot info and command line right after the image.
    let reserved_end = mm::page_up(kend) + (1 << 20);
    let mut total = 0u64;
    for r in regions {
        total += r.end - r.start;
    }
    let heap_size = (total / 4).clamp(16 << 20, 256 << 20);
    let mut heap_start = None;
    // First what the boot code mapped (the heap comes from there) ...
    let low_end = mm::BOOT_DIRECT_MAP;
    for r in regions {
        let start = r.start.max(reserved_end).max(1 << 20);
        let end = r.end.min(low_end);
        if start >= end {
            continue;
        }
        let mut s = start;
        if heap_start.is_none() && end - s > heap_size * 2 {
            heap_start = Some(s);
            s += heap_size;
        }
        mm::frame::add_region(s, end);
    }
    // ... then RAM above 4 GiB, once the direct map covers it.
    let top = regions.iter().map(|r| r.end).max().unwrap_or(0);
    if top > low_end {
        mm::paging::extend_direct_map(top);
        for r in regions {
            let (s, e) = (r.start.max(low_end), r.end.min(mm::direct_map_end()));
            if s < e {
                mm::frame::add_region(s, e);
            }
        }
    }
    match heap_start {
        Some(h) => mm::heap::init(h, heap_size),
        None => fatal(format_args!(
            "no memory region large enough for the kernel heap"
        )),
    }
}

/// Loads the init program as pid 1 and starts scheduling.
fn start_init(cmd: &cmdline::CmdLine) -> ! {
    let path = cmd.init.as_bytes().to_vec();
    let files = FdTable::new();
    let fsx = FsContext::new(fs::vfs().root());
    let c = Caller {
        fds: &files,
        fs: &fsx,
    };
    let (file, size, path) = match fs::open_executable(c, veridian_vfs::abi::AT_FDCWD, &path) {
        Ok(r) => r,
        Err(e) => fatal(format_args!("cannot load init {}: {}", cmd.init, e)),
    };
    for fd in 0..3 {
        if let Err(e) = fs::vfs().openat(
            c,
            veridian_vfs::abi::AT_FDCWD,
            b"/dev/console",
            veridian_vfs::abi::O_RDWR,
            0,
        ) {
            fatal(format_args!("cannot open /dev/console as fd {}: {}", fd, e));
        }
    }
    let mut argv: Vec<Vec<u8>> = alloc::vec![cmd.init.as_bytes().to_vec()];
    argv.extend(cmd.args.iter().map(|a| a.as_bytes().to_vec()));
    let envp: Vec<Vec<u8>> = alloc::vec![
        b"PATH=/bin:/usr/bin:/usr/local/bin:/sbin".to_vec(),
        b"HOME=/".to_vec()
    ];
    let Some(mut mm) = Mm::new() else {
        fatal(format_args!("out of memory"))
    };
    let open_interp = |name: &[u8]| {
        fs::open_executable(c, veridian_vfs::abi::AT_FDCWD, name).map(|(f, size, _)| (f, size))
    };
    let file = alloc::sync::Arc::new(file);
    let loaded = match task::exec::load(&mut mm, &file, size, &open_interp, &path, &argv, &envp) {
        Ok(l) => l,
        Err(e) => fatal(format_args!("cannot load init {}: {}", cmd.init, e)),
    };
    drop(file);
    let pid = task::alloc_id();
    let t = task::Task::new(
        pid,
        pid,
        Arc::new(Mutex::new(mm)),
        Arc::new(files),
        Arc::new(fsx),
        FpuState::initial(),
    );
    *t.comm.lock() = task::comm_of(&path);
    t.ctx
        .prepare(t.kstack_top(), &TrapFrame::user(loaded.entry, loaded.sp));
    task::PROCS.lock().insert(
        pid,
        task::Process {
            pid,
            ppid: 0,
            pgid: pid,
            sid: pid,
            threads: alloc::vec![pid],
            zombie: None,
            exit_status: None,
            sigactions: Arc::new(Mutex::new(task::DEFAULT_SIGACTIONS)),
            pending: veridian_kcore::signal::Pending::new(),
            child_waiters: Vec::new(),
            pdeath_sig: 0,
            dumpable: true,
            child_subreaper: false,
            groups: Vec::new(),
            cmdline: argv
                .iter()
                .flat_map(|a| a.iter().copied().chain(core::iter::once(0)))
                .collect(),
            exe: path,
        },
    );
    task::TASKS.lock().insert(pid, t.clone());
    kprintln!("veridian: exec {}", cmd.init);
    let us = time::tsc_since_boot() * 1000 / time::tsc_per_ms();
    kprintln!("veridian: boot-to-user {} us", us);
    task::sched::start(t)
}
