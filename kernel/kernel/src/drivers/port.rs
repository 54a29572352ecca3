//! Byte access to the legacy ISA ports the kernel owns (PIC, PIT, CMOS,
//! keyboard-controller gate): safe wrappers so timer and clock code need no
//! `unsafe`.

use x86_64::instructions::port::Port;

/// Ports this wrapper may touch: PIC (0x20/0x21/0xA0/0xA1), PIT
/// (0x40..0x43), port B (0x61), CMOS (0x70/0x71).
fn owned(port: u16) -> bool {
    matches!(
        port,
        0x20 | 0x21 | 0xA0 | 0xA1 | 0x40..=0x43 | 0x61 | 0x70 | 0x71
    )
}

pub fn outb(port: u16, v: u8) {
    assert!(
        owned(port),
        "port {port:#x} is not a legacy port of the kernel"
    );
    // SAFETY: the legacy timer/interrupt/clock ports have no memory effects.
    unsafe { Port::<u8>::new(port).write(v) }
}

pub fn inb(port: u16) -> u8 {
    assert!(
        owned(port),
        "port {port:#x} is not a legacy port of the kernel"
    );
    // SAFETY: as in `outb`.
    unsafe { Port::<u8>::new(port).read() }
}
