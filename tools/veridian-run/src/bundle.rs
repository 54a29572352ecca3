//! The run bundle: what `veridian-run` hands to `/sbin/init --bundle DEV`
//! on a small raw disk, so arguments and environment of any length and
//! content reach the program without going through the kernel command line.
//!
//! Layout: a text header padded with zeros to a multiple of 4096 bytes, then
//! the program's bytes. Header lines (each word percent-encoded):
//!
//! ```text
//! VRUN1 <header bytes> <program bytes>
//! path <where init writes the program>
//! arg <word>            (repeated; argv[1..])
//! env <KEY=VALUE>       (repeated)
//! cwd <dir>
//! stdout <file>         stderr <file>
//! stdin <bytes>         (optional: that many bytes of standard input follow
//!                        the program's bytes)
//! tree <bytes>          (optional: a tar archive of that many bytes follows
//!                        the standard input; init unpacks it at `/`)
//! ```

/// Alignment of the program's bytes on the disk.
pub const ALIGN: usize = 4096;

/// What to run inside VeridianOS.
pub struct Bundle<'a> {
    pub path: &'a str,
    pub args: &'a [String],
    pub env: &'a [(String, String)],
    pub cwd: &'a str,
    pub stdout: &'a str,
    pub stderr: &'a str,
    pub program: &'a [u8],
    /// Standard input for the program (empty: none is sent).
    pub stdin: &'a [u8],
    /// A tar archive of files to put in place first (empty: none).
    pub tree: &'a [u8],
}

/// Percent-encodes everything but unreserved printable ASCII.
pub fn percent_encode(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for b in word.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/:=,+@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Bundle<'_> {
    /// The disk image bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = format!("path {}\n", percent_encode(self.path));
        for arg in self.args {
            body += &format!("arg {}\n", percent_encode(arg));
        }
        for (k, v) in self.env {
            body += &format!("env {}\n", percent_encode(&format!("{k}={v}")));
        }
        body += &format!(
            "cwd {}\nstdout {}\nstderr {}\n",
            percent_encode(self.cwd),
            percent_encode(self.stdout),
            percent_encode(self.stderr)
        );
        if !self.stdin.is_empty() {
            body += &format!("stdin {}\n", self.stdin.len());
        }
        if !self.tree.is_empty() {
            body += &format!("tree {}\n", self.tree.len());
        }
        // The first line states the header's padded size, which depends on
        // its own length: size it with room for the numbers, then pad.
        let provisional = format!("VRUN1 {} {}\n", u64::MAX, self.program.len()).len() + body.len();
        let header_len = provisional.div_ceil(ALIGN) * ALIGN;
        let mut image = format!("VRUN1 {header_len} {}\n{body}", self.program.len()).into_bytes();
        image.resize(header_len, 0);
        image.extend_from_slice(self.program);
        image.extend_from_slice(self.stdin);
        image.extend_from_slice(self.tree);
        image.resize(image.len().div_ceil(512) * 512, 0);
        image
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_safe_bytes_and_escapes_the_rest() {
        assert_eq!(percent_encode("a b%c\n"), "a%20b%25c%0A");
        assert_eq!(percent_encode("/tmp/x-1_2.3"), "/tmp/x-1_2.3");
        assert_eq!(percent_encode(""), "");
        assert_eq!(percent_encode("ü"), "%C3%BC");
    }

    #[test]
    fn header_is_aligned_and_program_follows() {
        let args = vec!["two words".to_string(), String::new()];
        let env = vec![("K".to_string(), "v=1".to_string())];
        let program = vec![0x7f, b'E', b'L', b'F', 1, 2, 3];
        let b = Bundle {
            path: "/tmp/p",
            args: &args,
            env: &env,
            cwd: "/tmp",
            stdout: "/dev/ttyS1",
            stderr: "/dev/ttyS2",
            program: &program,
            stdin: b"",
            tree: b"",
        };
        let image = b.encode();
        let text = String::from_utf8_lossy(&image[..ALIGN]);
        let first = text.lines().next().unwrap();
        assert_eq!(first, "VRUN1 4096 7");
        assert!(text.contains("\narg two%20words\narg \n"));
        assert!(text.contains("\nenv K=v=1\n"));
        assert_eq!(&image[ALIGN..ALIGN + 7], &program[..]);
        assert_eq!(image.len() % 512, 0);
        assert!(!text.contains("stdin"));

        let with_input = Bundle {
            stdin: b"line\n",
            ..b
        };
        let image = with_input.encode();
        assert!(String::from_utf8_lossy(&image[..ALIGN]).contains("\nstdin 5\n"));
        assert_eq!(&image[ALIGN + 7..ALIGN + 12], b"line\n");
        assert!(!String::from_utf8_lossy(&image[..ALIGN]).contains("tree"));

        let with_tree = Bundle {
            tree: b"TAR",
            ..with_input
        };
        let image = with_tree.encode();
        assert!(String::from_utf8_lossy(&image[..ALIGN]).contains("\nstdin 5\ntree 3\n"));
        assert_eq!(&image[ALIGN + 12..ALIGN + 15], b"TAR");
    }
}
