//! The kernel's devices as the VFS sees them: COM1 as the console (tty,
//! `\n` -> `\r\n` on output), COM2/COM3 raw, the virtio disks as raw block
//! devices, and the kernel RNG.

use alloc::sync::Arc;
use veridian_syscall::poll::{POLLIN, POLLOUT};
use veridian_vfs::{CharDevice, DevFs, Errno, RandomSource, RawBlock, Result};

use crate::drivers::serial;

/// A UART as a character device.
pub struct SerialDev {
    port: usize,
    console: bool,
}

impl CharDevice for SerialDev {
    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let uart = serial::port(self.port);
        let mut n = 0;
        while n < buf.len() {
            match uart.try_get() {
                Some(b) => {
                    buf[n] = if self.console && b == b'\r' { b'\n' } else { b };
                    n += 1;
                    if self.console && buf[n - 1] == b'\n' {
                        break;
                    }
                }
                None => break,
            }
        }
        if n == 0 {
            Err(Errno::EAGAIN)
        } else {
            Ok(n)
        }
    }

    fn write(&self, data: &[u8]) -> Result<usize> {
        if self.console {
            crate::log::console_write(data);
        } else {
            serial::port(self.port).write_raw(data);
        }
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
    let console: Arc<dyn CharDevice> = Arc::new(SerialDev {
        port: 0,
        console: true,
    });
    dev.register_char(b"console", 5, 1, console.clone())?;
    dev.register_char(b"tty", 5, 0, console.clone())?;
    dev.register_char(b"ttyS0", 4, 64, console)?;
    dev.register_char(
        b"ttyS1",
        4,
        65,
        Arc::new(SerialDev {
            port: 1,
            console: false,
        }),
    )?;
    dev.register_char(
        b"ttyS2",
        4,
        66,
        Arc::new(SerialDev {
            port: 2,
            console: false,
        }),
    )?;
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
