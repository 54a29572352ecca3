//! 16550 UARTs: COM1 (kernel log and /dev/console), COM2 and COM3 (raw
//! /dev/ttyS1, /dev/ttyS2).

use x86_64::instructions::port::Port;

/// I/O base ports of COM1..COM3.
pub const COM_BASES: [u16; 3] = [0x3F8, 0x2F8, 0x3E8];

/// One UART, addressed by its I/O base.
#[derive(Clone, Copy)]
pub struct Uart {
    base: u16,
}

impl Uart {
    pub const fn new(base: u16) -> Self {
        Uart { base }
    }

    fn out(&self, reg: u16, v: u8) {
        // SAFETY: the UART registers are I/O ports owned by this driver.
        unsafe { Port::<u8>::new(self.base + reg).write(v) }
    }

    fn inp(&self, reg: u16) -> u8 {
        // SAFETY: as in `out`; reading a UART register has no memory effects.
        unsafe { Port::<u8>::new(self.base + reg).read() }
    }

    /// 115200 8N1, FIFOs on, interrupts off.
    pub fn init(&self) {
        self.out(1, 0x00);
        self.out(3, 0x80);
        self.out(0, 0x01);
        self.out(1, 0x00);
        self.out(3, 0x03);
        self.out(2, 0xC7);
        self.out(4, 0x03);
    }

    /// Writes one byte, waiting for the transmitter (bounded, so a missing
    /// UART cannot hang the kernel).
    pub fn put(&self, b: u8) {
        for _ in 0..100_000 {
            if self.inp(5) & 0x20 != 0 {
                break;
            }
        }
        self.out(0, b);
    }

    /// A received byte, if one is waiting.
    pub fn try_get(&self) -> Option<u8> {
        if self.inp(5) & 0x01 != 0 {
            Some(self.inp(0))
        } else {
            None
        }
    }

    /// Whether a received byte is waiting.
    pub fn has_input(&self) -> bool {
        self.inp(5) & 0x01 != 0
    }

    /// Writes bytes unchanged.
    pub fn write_raw(&self, bytes: &[u8]) {
        for &b in bytes {
            self.put(b);
        }
    }
}

/// Initialises the three UARTs.
pub fn init() {
    for base in COM_BASES {
        Uart::new(base).init();
    }
}

/// COM1..COM3 by index 0..2.
pub fn port(index: usize) -> Uart {
    Uart::new(COM_BASES[index])
}
