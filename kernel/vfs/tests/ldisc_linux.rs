//! Differential test of the line discipline: the same keystrokes under
//! the same terminal attributes, typed into [`LineDiscipline`] and into a
//! Linux pseudo-terminal on the host, must produce the same echo and the
//! same reads.
//!
//! The pty's output processing is off (`OPOST`), so its master sees the
//! echo exactly as the line discipline produced it. Tabs, `LNEXT`,
//! `REPRINT` and `STOP` are not typed (not modelled; see `ldisc.rs`).
//!
//! Every `unsafe` block is one libc call on fds this test opened, with
//! pointers to live locals of the size passed.
#![allow(clippy::undocumented_unsafe_blocks)]

use std::time::{Duration, Instant};

use proptest::prelude::*;
use veridian_syscall::termios::*;
use veridian_vfs::{LineDiscipline, Termios};

/// A pseudo-terminal pair, both ends non-blocking.
struct Pty {
    master: i32,
    slave: i32,
}

impl Pty {
    fn open() -> Pty {
        unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK);
            assert!(master >= 0, "posix_openpt");
            assert_eq!(libc::grantpt(master), 0);
            assert_eq!(libc::unlockpt(master), 0);
            let mut name = [0 as libc::c_char; 64];
            assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
            let slave = libc::open(
                name.as_ptr(),
                libc::O_RDWR | libc::O_NOCTTY | libc::O_NONBLOCK,
            );
            assert!(slave >= 0, "open the pty slave");
            Pty { master, slave }
        }
    }

    /// Sets the slave's attributes from ours (output processing off).
    fn set(&self, t: &Termios) {
        unsafe {
            let mut lt: libc::termios = std::mem::zeroed();
            assert_eq!(libc::tcgetattr(self.slave, &mut lt), 0);
            lt.c_iflag = t.iflag;
            lt.c_oflag = t.oflag;
            lt.c_lflag = t.lflag;
            lt.c_cc[..t.cc.len()].copy_from_slice(&t.cc);
            assert_eq!(libc::tcsetattr(self.slave, libc::TCSANOW, &lt), 0);
        }
    }

    fn type_byte(&self, b: u8) {
        let n = unsafe { libc::write(self.master, (&b as *const u8).cast(), 1) };
        assert_eq!(n, 1);
    }

    /// Echo that arrives at the master within `wait` (until `want` bytes).
    fn echo(&self, want: usize, wait: Duration) -> Vec<u8> {
        let mut out = Vec::new();
        let deadline = Instant::now() + wait;
        loop {
            let mut buf = [0u8; 256];
            let n = unsafe { libc::read(self.master, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                out.extend_from_slice(&buf[..n as usize]);
            }
            if (want > 0 && out.len() >= want) || Instant::now() >= deadline {
                return out;
            }
            std::thread::sleep(Duration::from_micros(300));
        }
    }

    /// Every read the slave answers now, until it would block.
    fn reads(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for _ in 0..100 {
            let mut buf = [0u8; 64];
            let n = unsafe { libc::read(self.slave, buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                break;
            }
            out.push(buf[..n as usize].to_vec());
        }
        out
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        unsafe {
            libc::close(self.slave);
            libc::close(self.master);
        }
    }
}

fn our_reads(l: &mut LineDiscipline) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for _ in 0..100 {
        let mut buf = [0u8; 64];
        match l.read(&mut buf) {
            Some(n) => out.push(buf[..n].to_vec()),
            None => break,
        }
    }
    out
}

/// Keys: letters, a space, punctuation, CR, NL, the signal characters,
/// DEL and `^H`, `^U`, `^W`, `^D`, `^A`, `^Q`, a UTF-8 `é` (two bytes) and
/// a C1 control.
const KEYS: &[u8] = &[
    b'a', b'b', b' ', b'_', b'.', b'\r', b'\n', 0x03, 0x1c, 0x1a, 0x7f, 0x08, 0x15, 0x17, 0x04,
    0x01, 0x11, 0xc3, 0xa9, 0x85,
];

const LFLAGS: &[u32] = &[
    ICANON, ECHO, ECHOE, ECHOK, ECHOKE, ECHOCTL, ECHONL, ISIG, IEXTEN, NOFLSH,
];
const IFLAGS: &[u32] = &[ICRNL, INLCR, IGNCR, IUTF8];

fn flags(set: &'static [u32]) -> impl Strategy<Value = u32> {
    prop::collection::vec(any::<bool>(), set.len()).prop_map(move |on| {
        set.iter()
            .zip(on)
            .filter(|(_, on)| *on)
            .fold(0, |a, (f, _)| a | f)
    })
}

fn run(lflag: u32, iflag: u32, erase: u8, keys: &[u8]) -> Result<(), TestCaseError> {
    let mut cc = Termios::default().cc;
    cc[VERASE] = erase;
    let t = Termios {
        iflag: iflag | IXON,
        oflag: 0,
        lflag,
        cc,
        ..Termios::default()
    };
    let pty = Pty::open();
    pty.set(&t);
    let mut ours = LineDiscipline::new();
    ours.set_termios(t);
    let (mut ours_echo, mut linux_echo) = (Vec::new(), Vec::new());
    for (i, &k) in keys.iter().enumerate() {
        let before = ours_echo.len();
        ours.receive(k, &mut ours_echo);
        let want = ours_echo.len() - before;
        pty.type_byte(k);
        let wait = if want > 0 {
            Duration::from_secs(2)
        } else {
            Duration::from_millis(3)
        };
        linux_echo.extend(pty.echo(want, wait));
        prop_assert_eq!(
            &ours_echo,
            &linux_echo,
            "echo after key {} ({:#04x}) of {:?}",
            i,
            k,
            keys
        );
    }
    std::thread::sleep(Duration::from_millis(5));
    linux_echo.extend(pty.echo(0, Duration::from_millis(5)));
    prop_assert_eq!(&ours_echo, &linux_echo, "echo of {:?}", keys);
    let (mine, linux) = (our_reads(&mut ours), pty.reads());
    if lflag & ICANON != 0 {
        prop_assert_eq!(mine, linux, "reads of {:?}", keys);
    } else {
        prop_assert_eq!(mine.concat(), linux.concat(), "bytes read of {:?}", keys);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn keystrokes_like_linux(
        lflag in flags(LFLAGS),
        iflag in flags(IFLAGS),
        erase in prop::sample::select(vec![0x7fu8, 0x08]),
        keys in prop::collection::vec(prop::sample::select(KEYS), 1..40),
    ) {
        run(lflag, iflag, erase, &keys)?;
    }
}

#[test]
fn cooked_defaults_like_linux() {
    let t = Termios::default();
    run(
        t.lflag,
        t.iflag,
        0x7f,
        b"ab\x7fc\r one two\x17x\x15ok\n\x04",
    )
    .unwrap();
}
