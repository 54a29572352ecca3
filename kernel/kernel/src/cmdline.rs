//! The kernel command line: `init=PATH`, `loglevel=N`, and everything after
//! a standalone `--` as init's arguments.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

pub struct CmdLine {
    pub init: String,
    pub loglevel: u8,
    pub args: Vec<String>,
}

pub fn parse(line: &str) -> CmdLine {
    let mut c = CmdLine {
        init: "/sbin/init".to_string(),
        loglevel: 6,
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
            c.loglevel = v.parse().unwrap_or(6);
        }
    }
    c.args = words.map(|s| s.to_string()).collect();
    c
}
