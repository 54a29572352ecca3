//! ioctl(2) request numbers (`asm-generic/ioctls.h`, `linux/sockios.h`):
//! terminal and generic file requests.

constants! {
    // Terminals.
    TCGETS: u32 = 0x5401;
    TCSETS: u32 = 0x5402;
    /// TCSETS after the output drained.
    TCSETSW: u32 = 0x5403;
    /// TCSETS after the output drained, discarding pending input.
    TCSETSF: u32 = 0x5404;
    TIOCSCTTY: u32 = 0x540E;
    TIOCGPGRP: u32 = 0x540F;
    TIOCSPGRP: u32 = 0x5410;
    /// Bytes in the output queue.
    TIOCOUTQ: u32 = 0x5411;
    TIOCGWINSZ: u32 = 0x5413;
    TIOCSWINSZ: u32 = 0x5414;
    TIOCNOTTY: u32 = 0x5422;

    // Any file.
    /// Bytes ready to read (`TIOCINQ`).
    FIONREAD: u32 = 0x541B;
    /// Set or clear `O_NONBLOCK` from an `int`.
    FIONBIO: u32 = 0x5421;
    /// Clear close-on-exec.
    FIONCLEX: u32 = 0x5450;
    /// Set close-on-exec.
    FIOCLEX: u32 = 0x5451;

    // Sockets.
    /// Bytes ready to read (same value as `FIONREAD`).
    SIOCINQ: u32 = FIONREAD;
    /// Bytes not yet sent or acknowledged (same value as `TIOCOUTQ`).
    SIOCOUTQ: u32 = TIOCOUTQ;
    /// Any socket: the name of the interface whose index is in `struct ifreq`.
    SIOCGIFNAME: u32 = 0x8910;
    /// Any socket: the index of the interface named in `struct ifreq`.
    SIOCGIFINDEX: u32 = 0x8933;
    /// Size of `struct ifreq`.
    IFREQ_SIZE: usize = 40;
    /// Bytes of an interface name, its NUL included (`IFNAMSIZ`).
    IFNAMSIZ: usize = 16;
}
