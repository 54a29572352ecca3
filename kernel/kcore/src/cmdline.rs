//! The kernel command line: `init=PATH`, `loglevel=N`, `stats` (count
//! and time kernel work, report it at power-off), and everything after a
//! standalone `--` as init's arguments. Unknown words are ignored.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Init's path when the command line names none.
pub const DEFAULT_INIT: &str = "/sbin/init";
/// The log level when `loglevel=` is absent or not a number 0..=255.
pub const DEFAULT_LOGLEVEL: u8 = 6;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CmdLine {
    pub init: String,
    pub loglevel: u8,
    /// Kernel work is counted and timed, and reported at power-off.
    pub stats: bool,
    /// Init's argv[1..].
    pub args: Vec<String>,
}

/// Parses a command line; never fails (a bad value keeps its default).
pub fn parse(line: &str) -> CmdLine {
    let mut c = CmdLine {
        init: DEFAULT_INIT.to_string(),
        loglevel: DEFAULT_LOGLEVEL,
        stats: false,
        args: Vec::new(),
    };
    let mut words = line.split_whitespace();
    for w in words.by_ref() {
        if w == "--" {
            break;
        }
        if let Some(v) = w.strip_prefix("init=") {
            c.init = v.to_string();
        } else if let Some(v) = w.strip_prefix("loglevel=") {
            c.loglevel = v.parse().unwrap_or(DEFAULT_LOGLEVEL);
        } else if w == "stats" {
            c.stats = true;
        }
    }
    c.args = words.map(|s| s.to_string()).collect();
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn defaults_on_empty_line() {
        let c = parse("");
        assert_eq!(c.init, "/sbin/init");
        assert_eq!(c.loglevel, 6);
        assert!(!c.stats);
        assert!(c.args.is_empty());
    }

    #[test]
    fn stats_flag_before_double_dash_only() {
        assert!(parse("quiet stats init=/x").stats);
        assert!(!parse("statsx").stats);
        assert!(!parse("-- stats").stats);
    }

    #[test]
    fn init_loglevel_and_args() {
        let c = parse("  console=ttyS0 init=/bin/sh loglevel=8 -- -c  'echo hi' ");
        assert_eq!(c.init, "/bin/sh");
        assert_eq!(c.loglevel, 8);
        assert_eq!(c.args, vec!["-c", "'echo", "hi'"]);
    }

    #[test]
    fn words_after_double_dash_are_not_options() {
        let c = parse("-- init=/x loglevel=1");
        assert_eq!(c.init, DEFAULT_INIT);
        assert_eq!(c.loglevel, DEFAULT_LOGLEVEL);
        assert_eq!(c.args, vec!["init=/x", "loglevel=1"]);
    }

    #[test]
    fn bad_loglevel_keeps_default_and_last_wins() {
        assert_eq!(parse("loglevel=999").loglevel, 6);
        assert_eq!(parse("loglevel=x").loglevel, 6);
        assert_eq!(parse("loglevel=3 loglevel=7").loglevel, 7);
        assert_eq!(parse("init=/a init=/b").init, "/b");
    }

    #[test]
    fn a_glued_double_dash_is_a_word() {
        let c = parse("--x a");
        assert!(c.args.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_args_follow_the_separator(s in "\\PC{0,200}") {
            let c = parse(&s);
            let words: Vec<&str> = s.split_whitespace().collect();
            match words.iter().position(|w| *w == "--") {
                Some(i) => proptest::prop_assert_eq!(c.args.len(), words.len() - i - 1),
                None => proptest::prop_assert!(c.args.is_empty()),
            }
        }
    }
}
