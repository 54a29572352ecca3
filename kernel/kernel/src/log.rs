//! The kernel log on COM1 (`kprintln!`), with a level from `loglevel=`.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU8, Ordering};

use crate::drivers::serial;

/// 0 quiet .. 7 debug; messages above the level are dropped.
static LEVEL: AtomicU8 = AtomicU8::new(6);
static LOCK: spin::Mutex<()> = spin::Mutex::new(());

pub fn set_level(level: u8) {
    LEVEL.store(level, Ordering::Relaxed);
}

pub fn enabled(level: u8) -> bool {
    level <= LEVEL.load(Ordering::Relaxed)
}

struct Com1;

impl Write for Com1 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                serial::port(0).put(b'\r');
            }
            serial::port(0).put(b);
        }
        Ok(())
    }
}

#[doc(hidden)]
pub fn print(args: fmt::Arguments) {
    let _g = LOCK.lock();
    let _ = Com1.write_fmt(args);
}

/// Writes console bytes (user output) with `\n` -> `\r\n`.
pub fn console_write(bytes: &[u8]) {
    let _g = LOCK.lock();
    for &b in bytes {
        if b == b'\n' {
            serial::port(0).put(b'\r');
        }
        serial::port(0).put(b);
    }
}

/// Unconditional log line.
#[macro_export]
macro_rules! kprintln {
    ($($arg:tt)*) => { $crate::log::print(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Log line shown when `loglevel` >= 7.
#[macro_export]
macro_rules! kdebug {
    ($($arg:tt)*) => { if $crate::log::enabled(7) { $crate::kprintln!($($arg)*) } };
}
