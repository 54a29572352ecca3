//! What `native-build bench` does first when it is a Linux guest's init
//! (`cargo xtask bench compile` boots Debian's kernel with an initramfs
//! holding only this program and the kernel modules of a virtio disk):
//! load the modules, mount the ext4 disk that holds the same tree
//! VeridianOS boots from, make it the root, and mount /proc and /dev there.
//! Inside VeridianOS none of this is needed and nothing is done.

use std::ffi::CString;
use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use std::os::veridian::syscall::{decode, nr, syscall1, syscall3, syscall5};

/// The kernel command-line parameter (Linux hands unknown `name=value`
/// parameters to init as environment variables) naming the root disk.
pub const ROOT_PARAMETER: &str = "bench_root";

/// The initramfs folder holding the modules, and the file listing them in
/// load order (dependencies first), one file name per line.
const MODULES_DIR: &str = "/modules";
const MODULES_ORDER: &str = "/modules/order";

/// Where the root disk is mounted before it becomes `/`.
const NEW_ROOT: &str = "/newroot";

/// How long the disk's device node may take to appear after its driver loads.
const DEVICE_WAIT: Duration = Duration::from_secs(10);

/// Sets up a Linux guest: with [`ROOT_PARAMETER`] set, switches the root
/// to that ext4 disk first. A no-op where /proc and /dev already exist.
pub fn setup() -> Result<(), String> {
    if let Ok(disk) = std::env::var(ROOT_PARAMETER) {
        mount_if_missing("devtmpfs", "/dev", "devtmpfs", "/dev/null")?;
        load_modules()?;
        wait_for(&disk)?;
        switch_root(&disk)?;
    }
    // rustc's loader needs /proc/self/exe (its `$ORIGIN`), cargo /dev/null.
    mount_if_missing("proc", "/proc", "proc", "/proc/self")?;
    mount_if_missing("devtmpfs", "/dev", "devtmpfs", "/dev/null")
}

fn mount_if_missing(source: &str, target: &str, fstype: &str, probe: &str) -> Result<(), String> {
    if Path::new(probe).exists() {
        return Ok(());
    }
    let _ = fs::create_dir_all(target);
    mount(source, target, fstype)
}

/// Loads every module [`MODULES_ORDER`] lists, in its order.
fn load_modules() -> Result<(), String> {
    let order = fs::read_to_string(MODULES_ORDER)
        .map_err(|e| format!("{ROOT_PARAMETER} is set but {MODULES_ORDER} is unreadable: {e}"))?;
    for name in order.lines().filter(|l| !l.is_empty()) {
        let path = Path::new(MODULES_DIR).join(name);
        let file = File::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let params = c_string("");
        // SAFETY: finit_module(2) reads the open module file and the
        // NUL-terminated (empty) parameter string, both alive for the call.
        let ret = unsafe {
            syscall3(
                nr::FINIT_MODULE,
                file.as_raw_fd() as usize,
                params.as_ptr() as usize,
                0,
            )
        };
        decode(ret).map_err(|e| format!("cannot load module {name}: errno {e}"))?;
    }
    Ok(())
}

/// Waits until the driver has created the disk's device node.
fn wait_for(disk: &str) -> Result<(), String> {
    let start = Instant::now();
    while !Path::new(disk).exists() {
        if start.elapsed() > DEVICE_WAIT {
            return Err(format!(
                "{disk} did not appear within {DEVICE_WAIT:?} of loading the modules"
            ));
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Mounts `disk` (ext4) and makes it `/`.
fn switch_root(disk: &str) -> Result<(), String> {
    fs::create_dir_all(NEW_ROOT).map_err(|e| format!("cannot create {NEW_ROOT}: {e}"))?;
    mount(disk, NEW_ROOT, "ext4")?;
    std::env::set_current_dir(NEW_ROOT).map_err(|e| format!("cannot enter {NEW_ROOT}: {e}"))?;
    let dot = c_string(".");
    // SAFETY: chroot(2) reads the NUL-terminated path, alive for the call.
    let ret = unsafe { syscall1(nr::CHROOT, dot.as_ptr() as usize) };
    decode(ret).map_err(|e| format!("cannot chroot into {NEW_ROOT}: errno {e}"))?;
    std::env::set_current_dir("/").map_err(|e| format!("cannot enter the new root: {e}"))
}

fn mount(source: &str, target: &str, fstype: &str) -> Result<(), String> {
    let (source_c, target_c, fstype_c) = (c_string(source), c_string(target), c_string(fstype));
    // SAFETY: mount(2) reads the three NUL-terminated strings, which live
    // until the call returns; flags 0 and a null data pointer.
    let ret = unsafe {
        syscall5(
            nr::MOUNT,
            source_c.as_ptr() as usize,
            target_c.as_ptr() as usize,
            fstype_c.as_ptr() as usize,
            0,
            0,
        )
    };
    decode(ret)
        .map(|_| ())
        .map_err(|e| format!("cannot mount {source} on {target} ({fstype}): errno {e}"))
}

fn c_string(s: &str) -> CString {
    CString::new(s).expect("no NUL inside the fixed strings used here")
}
