//! Standard streams: stdout, stderr, and stdin read to its end.
//!
//! Usage: `conf-io EXPECTED` with EXPECTED fed on stdin.
use conformance::Suite;
use std::io::{self, BufRead, Read, Write};

fn main() {
    let mut suite = Suite::new("io");
    let expected = std::env::args()
        .nth(1)
        .expect("usage: conf-io EXPECTED (and EXPECTED on stdin)");
    suite.check("println", || println!("plain line from println"));
    suite.check("stdout-lock-write", || {
        let mut out = io::stdout().lock();
        out.write_all(b"written through a locked stdout\n").unwrap();
        out.flush().unwrap();
    });
    suite.check("stderr", || {
        eprintln!("a line on stderr");
        io::stderr().write_all(b"raw stderr bytes\n").unwrap();
    });
    suite.check("stdin-read-line", || {
        let mut first = String::new();
        io::stdin().lock().read_line(&mut first).unwrap();
        assert_eq!(first.trim_end(), expected, "first stdin line");
    });
    suite.check("stdin-eof", || {
        let mut rest = Vec::new();
        io::stdin().read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "nothing after the line, got {rest:?}");
    });
    suite.check("format", || {
        let s = format!("{:>6}|{:<4}|{:08.3}|{:#x}", "ab", 7, 1.23456, 255);
        assert_eq!(s, "    ab|7   |0001.235|0xff");
    });
    suite.done();
}
