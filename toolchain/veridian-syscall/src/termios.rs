//! Terminal mode flags of `struct termios` (`asm-generic/termbits.h`).

constants! {
    // c_iflag.
    /// Translate a received NL to CR.
    INLCR: u32 = 0o100;
    /// Drop a received CR.
    IGNCR: u32 = 0o200;
    /// Translate a received CR to NL.
    ICRNL: u32 = 0o400;
    /// XON/XOFF flow control on output.
    IXON: u32 = 0o2000;
    /// Input is UTF-8 (ERASE removes a whole character).
    IUTF8: u32 = 0o40000;

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
    /// Echo NL even without ECHO.
    ECHONL: u32 = 0o100;
    /// No input flush after INTR, QUIT or SUSP.
    NOFLSH: u32 = 0o200;
    /// KILL erases the line character by character.
    ECHOKE: u32 = 0o4000;
    /// Implementation-defined input processing (`LNEXT`, `WERASE`, ...).
    IEXTEN: u32 = 0o100000;
}

constants! {
    // Indices into c_cc.
    /// Restart output (`^Q`, with IXON).
    VSTART: usize = 8;
    /// Stop output (`^S`, with IXON).
    VSTOP: usize = 9;
    /// Interrupt: SIGINT (`^C`).
    VINTR: usize = 0;
    /// Quit: SIGQUIT (`^\\`).
    VQUIT: usize = 1;
    /// Erase one character (DEL).
    VERASE: usize = 2;
    /// Erase the line (`^U`).
    VKILL: usize = 3;
    /// End of file (`^D`).
    VEOF: usize = 4;
    /// Non-canonical read timeout, tenths of a second.
    VTIME: usize = 5;
    /// Non-canonical read minimum byte count.
    VMIN: usize = 6;
    /// Suspend: SIGTSTP (`^Z`).
    VSUSP: usize = 10;
    /// An extra end-of-line character.
    VEOL: usize = 11;
    /// Erase a word (`^W`, with IEXTEN).
    VWERASE: usize = 14;
    /// A second extra end-of-line character (with IEXTEN).
    VEOL2: usize = 16;
}
