//! `#!` scripts, as Linux's execve reads them (`fs/binfmt_script.c`): the
//! first line names an interpreter and at most one argument, and the
//! interpreter runs with the script's path after them.

/// How much of a file execve looks at (Linux's `BINPRM_BUF_SIZE`).
pub const HEAD_LEN: usize = 256;
/// How many `#!` interpreters may lead to one another before `ELOOP`
/// (Linux: the program plus four levels of interpreters).
pub const MAX_DEPTH: usize = 5;

/// The interpreter line of a script.
#[derive(Debug, PartialEq, Eq)]
pub struct Script<'a> {
    pub interpreter: &'a [u8],
    /// The rest of the line, blanks around it trimmed, as one argument.
    pub arg: Option<&'a [u8]>,
}

/// Why a file starting with `#!` cannot run (`ENOEXEC`).
#[derive(Debug, PartialEq, Eq)]
pub enum ScriptError {
    /// No interpreter named.
    NoInterpreter,
    /// The interpreter's name runs past the first [`HEAD_LEN`] bytes.
    TooLong,
}

fn blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Reads the first bytes of a file (`head`, at most [`HEAD_LEN`] of them):
/// `None` unless it starts with `#!`.
pub fn parse(head: &[u8]) -> Option<Result<Script<'_>, ScriptError>> {
    let head = &head[..head.len().min(HEAD_LEN)];
    let rest = head.strip_prefix(b"#!")?;
    let newline = rest.iter().position(|&b| b == b'\n');
    let line = &rest[..newline.unwrap_or(rest.len())];
    // A NUL ends the line too.
    let line = &line[..line.iter().position(|&b| b == 0).unwrap_or(line.len())];
    let start = line.iter().position(|&b| !blank(b)).unwrap_or(line.len());
    let line = &line[start..];
    let name_len = line.iter().position(|&b| blank(b)).unwrap_or(line.len());
    if name_len == 0 {
        return Some(Err(ScriptError::NoInterpreter));
    }
    if newline.is_none() && head.len() == HEAD_LEN && name_len == line.len() {
        return Some(Err(ScriptError::TooLong));
    }
    let (interpreter, tail) = line.split_at(name_len);
    let first = tail.iter().position(|&b| !blank(b));
    let last = tail.iter().rposition(|&b| !blank(b));
    let arg = match (first, last) {
        (Some(a), Some(b)) => Some(&tail[a..=b]),
        _ => None,
    };
    Some(Ok(Script { interpreter, arg }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<'a>(
        interpreter: &'a [u8],
        arg: Option<&'a [u8]>,
    ) -> Option<Result<Script<'a>, ScriptError>> {
        Some(Ok(Script { interpreter, arg }))
    }

    #[test]
    fn the_interpreter_and_one_argument_come_from_the_first_line() {
        assert_eq!(parse(b"#!/bin/sh\necho hi\n"), ok(b"/bin/sh", None));
        assert_eq!(parse(b"#! /bin/sh -e\n"), ok(b"/bin/sh", Some(b"-e")));
        assert_eq!(
            parse(b"#!/usr/bin/env  python3 -u  \t\nx"),
            ok(b"/usr/bin/env", Some(b"python3 -u"))
        );
        assert_eq!(parse(b"#!/bin/sh"), ok(b"/bin/sh", None), "no newline");
        assert_eq!(parse(b"#!/bin/sh\0junk\n"), ok(b"/bin/sh", None));
    }

    #[test]
    fn other_files_are_not_scripts_and_bad_lines_are_refused() {
        assert_eq!(parse(b"\x7fELF"), None);
        assert_eq!(parse(b"#"), None);
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"#!\n/bin/sh"), Some(Err(ScriptError::NoInterpreter)));
        assert_eq!(parse(b"#!   \t\n"), Some(Err(ScriptError::NoInterpreter)));
        let mut long = b"#!/".to_vec();
        long.resize(HEAD_LEN + 10, b'a');
        assert_eq!(parse(&long), Some(Err(ScriptError::TooLong)));
        // A long argument is cut at the head; the interpreter still runs.
        let mut long_arg = b"#!/bin/sh ".to_vec();
        long_arg.resize(HEAD_LEN + 10, b'x');
        let parsed = parse(&long_arg).unwrap().unwrap();
        assert_eq!(parsed.interpreter, b"/bin/sh");
        assert_eq!(parsed.arg.map(|a| a.len()), Some(HEAD_LEN - 10));
    }
}
