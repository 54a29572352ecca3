//! Terminal mode flags of `struct termios` (`asm-generic/termbits.h`).

constants! {
    // c_iflag.
    /// Translate a received CR to NL.
    ICRNL: u32 = 0o400;
    /// XON/XOFF flow control on output.
    IXON: u32 = 0o2000;

    // c_oflag.
    /// Post-process output (enables the other output flags).
    OPOST: u32 = 0o1;
    /// Write NL as CR NL.
    ONLCR: u32 = 0o4;

    // c_cflag.
    /// 38400 baud.
    B38400: u32 = 0o17;
    /// 8 bits per character.
    CS8: u32 = 0o60;
    /// Enable the receiver.
    CREAD: u32 = 0o200;
    /// Hang up on the last close.
    HUPCL: u32 = 0o2000;

    // c_lflag.
    /// INTR, QUIT and SUSP generate signals.
    ISIG: u32 = 0o1;
    /// Canonical (line-by-line) input.
    ICANON: u32 = 0o2;
    ECHO: u32 = 0o10;
    /// ERASE erases the previous character.
    ECHOE: u32 = 0o20;
    /// KILL erases the line.
    ECHOK: u32 = 0o40;
    /// Echo control characters as `^X`.
    ECHOCTL: u32 = 0o1000;
    /// KILL erases the line character by character.
    ECHOKE: u32 = 0o4000;
    /// Implementation-defined input processing (`LNEXT`, `WERASE`, ...).
    IEXTEN: u32 = 0o100000;
}
