//! The kernel's devices as the VFS sees them: COM1 as the console
//! terminal (a line discipline on input, `\n` -> `\r\n` on output), COM2
//! and COM3 raw, the virtio disks as raw block devices, and the kernel RNG.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, Ordering};
use spin::{Mutex, Once};
use veridian_syscall::poll::{POLLIN, POLLOUT};
use veridian_vfs::{
    CharDevice, DevFs, Errno, LineDiscipline, RandomSource, RawBlock, Result, Termios,
};

use crate::drivers::serial;

/// COM1 as the console terminal: what arrives goes through the line
/// discipline (echo, line editing, `^C` and the other signal keys for the
/// foreground process group).
pub struct Console {
    ldisc: Mutex<LineDiscipline>,
    foreground: AtomicI32,
}

static CONSOLE: Once<Arc<Console>> = Once::new();

fn console() -> &'static Arc<Console> {
    CONSOLE.call_once(|| {
        Arc::new(Console {
            ldisc: Mutex::new(LineDiscipline::new()),
            // The tty's group until a shell takes it (devfs starts at 1).
            foreground: AtomicI32::new(1),
        })
    })
}

/// Timer tick: takes what the console's UART received, so `^C` reaches
/// a program that does not read its terminal.
pub fn poll_console() {
    if let Some(c) = CONSOLE.get() {
        c.take_input();
    }
}

impl Console {
    /// Runs the received bytes through the line discipline, echoes, and
    /// signals the foreground process group.
    fn take_input(&self) {
        let uart = serial::port(0);
        if !uart.has_input() {
            return;
        }
        let mut echo = Vec::new();
        let mut signals = Vec::new();
        {
            let mut l = self.ldisc.lock();
            while let Some(b) = uart.try_get() {
                signals.extend(l.receive(b, &mut echo));
            }
        }
        if !echo.is_empty() {
            crate::log::console_write(&echo);
        }
        let group = self.foreground.load(Ordering::Relaxed);
        for sig in signals {
            // No process in the group: nobody to interrupt.
            let _ = crate::task::signal::post_group(group.unsigned_abs(), sig);
        }
    }
}

impl CharDevice for Console {
    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        self.take_input();
        self.ldisc.lock().read(buf).ok_or(Errno::EAGAIN)
    }

    fn write(&self, data: &[u8]) -> Result<usize> {
        crate::log::console_write(data);
        Ok(data.len())
    }

    fn poll(&self) -> u16 {
        self.take_input();
        if self.ldisc.lock().readable() {
            POLLIN | POLLOUT
        } else {
            POLLOUT
        }
    }

    fn is_tty(&self) -> bool {
        true
    }

    fn termios_changed(&self, t: &Termios) {
        self.ldisc.lock().set_termios(*t);
    }

    fn foreground_changed(&self, pgrp: i32) {
        self.foreground.store(pgrp, Ordering::Relaxed);
    }

    fn flush_input(&self) {
        self.ldisc.lock().flush_input();
    }
}

/// COM2 or COM3 as a raw character device.
pub struct SerialDev {
    port: usize,
}

impl CharDevice for SerialDev {
    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let uart = serial::port(self.port);
        let mut n = 0;
        while n < buf.len() {
            match uart.try_get() {
                Some(b) => {
                    buf[n] = b;
                    n += 1;
                }
                None => break,
            }
        }
        if n == 0 && !buf.is_empty() {
            Err(Errno::EAGAIN)
        } else {
            Ok(n)
        }
    }

    fn write(&self, data: &[u8]) -> Result<usize> {
        serial::port(self.port).write_raw(data);
        Ok(data.len())
    }

    fn poll(&self) -> u16 {
        if serial::port(self.port).has_input() {
            POLLIN | POLLOUT
        } else {
            POLLOUT
        }
    }

    fn is_tty(&self) -> bool {
        true
    }
}

/// A virtio disk as a raw block device.
pub struct DiskBlock(pub usize);

impl RawBlock for DiskBlock {
    fn size(&self) -> u64 {
        super::disk::disk_size(self.0).unwrap_or(0)
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<usize> {
        super::disk::read_raw(self.0, off, buf).map_err(Errno)
    }

    fn write_at(&self, off: u64, data: &[u8]) -> Result<usize> {
        super::disk::write_raw(self.0, off, data).map_err(Errno)
    }
}

/// The kernel CSPRNG for /dev/random and /dev/urandom.
pub struct KernelRandom;

impl RandomSource for KernelRandom {
    fn fill(&self, buf: &mut [u8]) {
        crate::random::fill(buf);
    }
}

/// Adds the consoles, serial ports and disks to /dev.
pub fn register(dev: &DevFs) -> Result<()> {
    let console: Arc<dyn CharDevice> = console().clone();
    dev.register_char(b"console", 5, 1, console.clone())?;
    dev.register_char(b"tty", 5, 0, console.clone())?;
    dev.register_char(b"ttyS0", 4, 64, console)?;
    dev.register_char(b"ttyS1", 4, 65, Arc::new(SerialDev { port: 1 }))?;
    dev.register_char(b"ttyS2", 4, 66, Arc::new(SerialDev { port: 2 }))?;
    let disks = super::disk::DISKS.lock().len();
    for (i, name) in [&b"vda"[..], b"vdb", b"vdc", b"vdd"]
        .iter()
        .enumerate()
        .take(disks)
    {
        dev.register_block(name, 254, 16 * i as u32, Arc::new(DiskBlock(i)))?;
    }
    Ok(())
}
