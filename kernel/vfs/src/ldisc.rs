//! The terminal line discipline, with the semantics of Linux's N_TTY:
//! input translation (`ICRNL`, `INLCR`, `IGNCR`), canonical line editing
//! (`ERASE`, `WERASE`, `KILL`, `EOF`, `EOL`), echo (`ECHO`, `ECHOE`,
//! `ECHOK`, `ECHOKE`, `ECHOCTL`, `ECHONL`) and the characters that raise
//! signals (`ISIG`: `INTR`, `QUIT`, `SUSP`, flushing input unless
//! `NOFLSH`).
//!
//! A driver feeds each received byte to [`LineDiscipline::receive`], writes
//! the echo bytes it appends, sends the signal it returns to the terminal's
//! foreground process group, and serves `read` with
//! [`LineDiscipline::read`]. Not modelled: output flow control (`IXON`
//! consumes `START`/`STOP` but never pauses output), `LNEXT`, `REPRINT`,
//! `ECHOPRT`, parity marking, and the `VTIME` timer (a non-canonical read
//! with `VMIN` = 0 and `VTIME` > 0 waits for one byte, as with `VMIN` = 1).
//! Erasing a tab assumes the line started at column 0.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use veridian_syscall::signal::{SIGINT, SIGQUIT, SIGTSTP};
use veridian_syscall::termios::{
    ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ICANON, ICRNL, IEXTEN, IGNCR, INLCR, ISIG, IUTF8,
    IXON, NOFLSH, VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VMIN, VQUIT, VSTART, VSTOP, VSUSP,
    VTIME, VWERASE,
};

use crate::ioctl::Termios;

/// The longest canonical line; further characters are dropped until a
/// line terminator (Linux's limit).
pub const MAX_CANON: usize = 4095;

/// Bytes waiting for readers at most; further input is dropped.
pub const INPUT_LIMIT: usize = 4096;

/// One terminal's input state.
#[derive(Debug, Clone, Default)]
pub struct LineDiscipline {
    termios: Termios,
    /// The canonical line being edited.
    line: Vec<u8>,
    /// Finished canonical lines, terminator included (an `EOF` ends a line
    /// without one; an empty line is end of file).
    lines: VecDeque<Vec<u8>>,
    /// Non-canonical input.
    raw: VecDeque<u8>,
}

/// What erasing does: one character, a word, or the line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Erase {
    Char,
    Word,
    Line,
}

impl LineDiscipline {
    /// A terminal with Linux's default attributes (cooked, echoing).
    pub fn new() -> Self {
        Self::default()
    }

    /// The attributes in force.
    pub fn termios(&self) -> &Termios {
        &self.termios
    }

    /// New attributes (`TCSETS*`). Leaving canonical mode makes everything
    /// typed readable at once; entering it makes what is pending one line.
    pub fn set_termios(&mut self, t: Termios) {
        let was_canon = self.canonical();
        self.termios = t;
        if was_canon == self.canonical() {
            return;
        }
        let mut pending: Vec<u8> = self.raw.drain(..).collect();
        for l in self.lines.drain(..) {
            pending.extend_from_slice(&l);
        }
        pending.append(&mut self.line);
        if self.canonical() {
            if !pending.is_empty() {
                self.lines.push_back(pending);
            }
        } else {
            self.raw.extend(pending);
        }
    }

    /// Takes one received byte: appends its echo to `echo` and returns the
    /// signal it raises for the foreground process group, if any.
    pub fn receive(&mut self, byte: u8, echo: &mut Vec<u8>) -> Option<i32> {
        let t = self.termios;
        let cc = |i: usize| Some(t.cc[i]).filter(|&c| c != 0);
        let is = |i: usize| cc(i) == Some(byte);
        let lflag = |f: u32| t.lflag & f != 0;
        if t.iflag & IXON != 0 && (is(VSTART) || is(VSTOP)) {
            return None;
        }
        if lflag(ISIG) {
            let signal = [(VINTR, SIGINT), (VQUIT, SIGQUIT), (VSUSP, SIGTSTP)]
                .into_iter()
                .find(|&(i, _)| is(i))
                .map(|(_, s)| s);
            if let Some(s) = signal {
                if !lflag(NOFLSH) {
                    self.flush_input();
                }
                if lflag(ECHO) {
                    self.echo_char(byte, echo);
                }
                return Some(s);
            }
        }
        let mut c = byte;
        if c == b'\r' {
            if t.iflag & IGNCR != 0 {
                return None;
            }
            if t.iflag & ICRNL != 0 {
                c = b'\n';
            }
        } else if c == b'\n' && t.iflag & INLCR != 0 {
            c = b'\r';
        }
        if !self.canonical() {
            if lflag(ECHO) {
                // Linux echoes a CR that became NL as is, a typed NL like
                // any control character.
                if c == b'\n' && byte == b'\r' {
                    echo.push(c);
                } else {
                    self.echo_char(c, echo);
                }
            }
            if self.raw.len() < INPUT_LIMIT {
                self.raw.push_back(c);
            }
            return None;
        }
        let is = |i: usize| cc(i) == Some(c);
        if is(VERASE) {
            self.erase(Erase::Char, c, echo);
        } else if is(VKILL) {
            self.erase(Erase::Line, c, echo);
        } else if is(VWERASE) && lflag(IEXTEN) {
            self.erase(Erase::Word, c, echo);
        } else if c == b'\n' {
            if lflag(ECHO) || lflag(ECHONL) {
                echo.push(b'\n');
            }
            self.line.push(c);
            self.finish_line();
        } else if is(VEOF) {
            self.finish_line();
        } else if is(VEOL) || (is(VEOL2) && lflag(IEXTEN)) {
            if lflag(ECHO) {
                self.echo_char(c, echo);
            }
            self.line.push(c);
            self.finish_line();
        } else if self.line.len() < MAX_CANON {
            if lflag(ECHO) {
                self.echo_char(c, echo);
            }
            self.line.push(c);
        }
        None
    }

    /// Moves up to `buf.len()` bytes of input into `buf`: in canonical
    /// mode at most one line (`Some(0)` at end of file). `None` when a
    /// reader must wait for input.
    pub fn read(&mut self, buf: &mut [u8]) -> Option<usize> {
        if buf.is_empty() {
            return Some(0);
        }
        if self.canonical() {
            let mut line = self.lines.pop_front()?;
            let n = line.len().min(buf.len());
            buf[..n].copy_from_slice(&line[..n]);
            if n < line.len() {
                self.lines.push_front(line.split_off(n));
            }
            return Some(n);
        }
        let vmin = usize::from(self.termios.cc[VMIN]);
        if self.raw.is_empty() {
            return (vmin == 0 && self.termios.cc[VTIME] == 0).then_some(0);
        }
        if self.raw.len() < vmin.min(buf.len()) {
            return None;
        }
        let n = self.raw.len().min(buf.len());
        for (dst, src) in buf.iter_mut().zip(self.raw.drain(..n)) {
            *dst = src;
        }
        Some(n)
    }

    /// Whether a read would return now (`POLLIN`).
    pub fn readable(&self) -> bool {
        if self.canonical() {
            return !self.lines.is_empty();
        }
        let vmin = usize::from(self.termios.cc[VMIN]);
        match vmin {
            0 => !self.raw.is_empty() || self.termios.cc[VTIME] == 0,
            n => self.raw.len() >= n,
        }
    }

    /// Bytes a read could take now (`FIONREAD`).
    pub fn pending(&self) -> usize {
        if self.canonical() {
            self.lines.iter().map(Vec::len).sum()
        } else {
            self.raw.len()
        }
    }

    /// Discards all input (`TCFLSH`, and the signal characters).
    pub fn flush_input(&mut self) {
        self.line.clear();
        self.lines.clear();
        self.raw.clear();
    }

    fn canonical(&self) -> bool {
        self.termios.lflag & ICANON != 0
    }

    fn finish_line(&mut self) {
        let line = core::mem::take(&mut self.line);
        if self.pending() < INPUT_LIMIT {
            self.lines.push_back(line);
        }
    }

    /// Echoes `c`, as `^X` for a control character under `ECHOCTL`.
    fn echo_char(&self, c: u8, echo: &mut Vec<u8>) {
        if self.termios.lflag & ECHOCTL != 0 && is_control(c) && c != b'\t' {
            echo.extend_from_slice(&[b'^', c ^ 0x40]);
        } else {
            echo.push(c);
        }
    }

    /// `ERASE`, `WERASE` or `KILL` (the character `key`) on the line.
    fn erase(&mut self, kind: Erase, key: u8, echo: &mut Vec<u8>) {
        if self.line.is_empty() {
            return;
        }
        let lflag = |f: u32| self.termios.lflag & f != 0;
        if kind == Erase::Line {
            if !lflag(ECHO) {
                self.line.clear();
                return;
            }
            if !(lflag(ECHOK) && lflag(ECHOKE) && lflag(ECHOE)) {
                self.line.clear();
                self.echo_char(key, echo);
                if lflag(ECHOK) {
                    echo.push(b'\n');
                }
                return;
            }
        }
        let utf8 = self.termios.iflag & IUTF8 != 0;
        let mut seen_word = false;
        while let Some(start) = self.last_char_start(utf8) {
            let c = self.line[start];
            if kind == Erase::Word {
                if is_word(c) {
                    seen_word = true;
                } else if seen_word {
                    break;
                }
            }
            self.line.truncate(start);
            if lflag(ECHO) {
                if kind == Erase::Char && !lflag(ECHOE) {
                    self.echo_char(key, echo);
                } else if c == b'\t' {
                    let col = self.column();
                    let width = 8 - col % 8;
                    echo.extend(core::iter::repeat_n(b'\x08', width));
                } else {
                    let ctl = is_control(c);
                    let columns = match (ctl, lflag(ECHOCTL)) {
                        (true, true) => 2,
                        (true, false) => 0,
                        (false, _) => 1,
                    };
                    for _ in 0..columns {
                        echo.extend_from_slice(b"\x08 \x08");
                    }
                }
            }
            if kind == Erase::Char {
                break;
            }
        }
    }

    /// Where the last (UTF-8, under `IUTF8`) character of the line starts;
    /// `None` for an empty line or a dangling continuation byte.
    fn last_char_start(&self, utf8: bool) -> Option<usize> {
        let continuation = |c: u8| utf8 && c & 0xc0 == 0x80;
        let mut i = self.line.len().checked_sub(1)?;
        while continuation(self.line[i]) && i > 0 {
            i -= 1;
        }
        (!continuation(self.line[i])).then_some(i)
    }

    /// The display column after the line as echoed (from column 0).
    fn column(&self) -> usize {
        let ctl = self.termios.lflag & ECHOCTL != 0;
        self.line.iter().fold(0, |col, &c| match c {
            b'\t' => col + 8 - col % 8,
            c if is_control(c) => col + if ctl { 2 } else { 0 },
            _ => col + 1,
        })
    }
}

/// Linux's `iscntrl` (its ctype table marks only C0 and DEL).
fn is_control(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

/// What `WERASE` counts as part of a word: Linux's `isalnum` (Latin-1
/// letters included) or `_`.
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || (c >= 0xc0 && c != 0xd7 && c != 0xf7)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(l: &mut LineDiscipline, input: &[u8]) -> (Vec<u8>, Vec<i32>) {
        let mut echo = Vec::new();
        let signals = input
            .iter()
            .filter_map(|&b| l.receive(b, &mut echo))
            .collect();
        (echo, signals)
    }

    fn read_all(l: &mut LineDiscipline) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = [0u8; 64];
        while let Some(n) = l.read(&mut buf) {
            out.push(buf[..n].to_vec());
            if n == 0 && !l.readable() {
                break;
            }
        }
        out
    }

    #[test]
    fn cooked_line_with_echo_and_cr() {
        let mut l = LineDiscipline::new();
        let (echo, sig) = feed(&mut l, b"ls\r");
        assert_eq!(echo, b"ls\n");
        assert!(sig.is_empty());
        assert_eq!(read_all(&mut l), [b"ls\n".to_vec()]);
        assert_eq!(l.read(&mut [0; 4]), None, "nothing typed: a reader waits");
    }

    #[test]
    fn erase_kill_and_word_erase() {
        let mut l = LineDiscipline::new();
        let (echo, _) = feed(&mut l, b"ab\x7fc\n");
        assert_eq!(echo, b"ab\x08 \x08c\n");
        let (echo, _) = feed(&mut l, b"one two\x17x\n");
        assert_eq!(echo, b"one two\x08 \x08\x08 \x08\x08 \x08x\n");
        let (echo, _) = feed(&mut l, b"zz\x15ok\n");
        assert_eq!(echo, b"zz\x08 \x08\x08 \x08ok\n");
        assert_eq!(
            read_all(&mut l),
            [b"ac\n".to_vec(), b"one x\n".to_vec(), b"ok\n".to_vec()]
        );
    }

    #[test]
    fn eof_ends_a_line_or_the_input() {
        let mut l = LineDiscipline::new();
        feed(&mut l, b"ab\x04\x04");
        let mut buf = [0u8; 8];
        assert_eq!(l.read(&mut buf), Some(2));
        assert_eq!(&buf[..2], b"ab");
        assert_eq!(l.read(&mut buf), Some(0), "EOF at the start of a line");
        assert_eq!(l.read(&mut buf), None);
    }

    #[test]
    fn short_reads_keep_the_rest_of_the_line() {
        let mut l = LineDiscipline::new();
        feed(&mut l, b"hello\nx\n");
        let mut buf = [0u8; 3];
        assert_eq!(l.read(&mut buf), Some(3));
        assert_eq!(l.read(&mut buf), Some(3));
        assert_eq!(&buf, b"lo\n");
        assert_eq!(l.read(&mut buf), Some(2));
    }

    #[test]
    fn interrupt_flushes_and_echoes_caret_c() {
        let mut l = LineDiscipline::new();
        feed(&mut l, b"done\n");
        let (echo, sig) = feed(&mut l, b"half\x03");
        assert_eq!(echo, b"half^C");
        assert_eq!(sig, [SIGINT]);
        assert_eq!(l.pending(), 0, "INTR flushes typed and finished input");
        let (_, sig) = feed(&mut l, b"\x1c\x1a");
        assert_eq!(sig, [SIGQUIT, SIGTSTP]);
        let mut t = *l.termios();
        t.lflag |= NOFLSH;
        l.set_termios(t);
        feed(&mut l, b"keep\n\x03");
        assert_eq!(l.pending(), 5, "NOFLSH keeps input");
        t.lflag &= !ISIG;
        l.set_termios(t);
        let (echo, sig) = feed(&mut l, b"\x03\n");
        assert!(sig.is_empty());
        assert_eq!(echo, b"^C\n", "without ISIG, ^C is data");
    }

    #[test]
    fn raw_mode_reads_bytes_as_they_come() {
        let mut l = LineDiscipline::new();
        let mut t = *l.termios();
        t.lflag &= !(ICANON | ECHO);
        t.cc[VMIN] = 1;
        l.set_termios(t);
        let (echo, _) = feed(&mut l, b"\x7fq\r");
        assert!(echo.is_empty());
        let mut buf = [0u8; 8];
        assert_eq!(l.read(&mut buf), Some(3));
        assert_eq!(&buf[..3], b"\x7fq\n");
        t.cc[VMIN] = 0;
        l.set_termios(t);
        assert_eq!(l.read(&mut buf), Some(0), "VMIN 0, VTIME 0: a poll");
    }

    #[test]
    fn mode_switches_keep_typed_input() {
        let mut l = LineDiscipline::new();
        feed(&mut l, b"abc");
        let mut t = *l.termios();
        t.lflag &= !ICANON;
        l.set_termios(t);
        assert_eq!(l.pending(), 3, "the partial line becomes readable");
        feed(&mut l, b"d");
        t.lflag |= ICANON;
        l.set_termios(t);
        assert_eq!(read_all(&mut l), [b"abcd".to_vec()]);
    }

    #[test]
    fn utf8_erase_removes_a_whole_character() {
        let mut l = LineDiscipline::new();
        let mut t = *l.termios();
        t.iflag |= IUTF8;
        l.set_termios(t);
        feed(&mut l, "aé\x7f\n".as_bytes());
        assert_eq!(read_all(&mut l), [b"a\n".to_vec()]);
    }

    #[test]
    fn long_lines_are_capped() {
        let mut l = LineDiscipline::new();
        let mut echo = Vec::new();
        for _ in 0..MAX_CANON + 10 {
            l.receive(b'x', &mut echo);
        }
        l.receive(b'\n', &mut echo);
        assert_eq!(l.pending(), MAX_CANON + 1);
    }
}
