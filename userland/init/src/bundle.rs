//! Reading the run bundle `veridian-run` puts on a raw disk (format in
//! tools/veridian-run/src/bundle.rs): the program and how to run it.

use crate::args::{percent_decode, Options};
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::PermissionsExt;

/// A decoded bundle: options for the run, and argv (program path first).
pub struct Run {
    pub options: Options,
    pub argv: Vec<String>,
    /// Bytes of standard input stored after the program.
    pub stdin_len: u64,
    /// Bytes of the tar archive stored after the standard input.
    pub tree_len: u64,
}

/// Parses the header text (up to its zero padding).
pub fn parse_header(text: &str) -> Result<(u64, u64, Run), String> {
    let mut lines = text.lines();
    let first = lines.next().ok_or("empty bundle")?;
    let mut words = first.split(' ');
    if words.next() != Some("VRUN1") {
        return Err(format!("not a run bundle: {first:?}"));
    }
    let mut number = || {
        words
            .next()
            .and_then(|w| w.parse::<u64>().ok())
            .ok_or(format!("bad first line {first:?}"))
    };
    let (header_len, program_len) = (number()?, number()?);
    let mut options = Options::default();
    let mut path = None;
    let mut args = Vec::new();
    let mut stdin_len = 0;
    let mut tree_len = 0;
    for line in lines {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        let value = percent_decode(value);
        match key {
            "path" => path = Some(value),
            "arg" => args.push(value),
            "env" => {
                let (k, v) = value.split_once('=').ok_or(format!("bad env {value:?}"))?;
                options.env.push((k.to_string(), v.to_string()));
            }
            "cwd" => options.cwd = Some(value),
            "stdout" => options.stdout = Some(value),
            "stderr" => options.stderr = Some(value),
            "stdin" => {
                stdin_len = value
                    .parse()
                    .map_err(|_| format!("bad stdin size {value:?}"))?
            }
            "tree" => {
                tree_len = value
                    .parse()
                    .map_err(|_| format!("bad tree size {value:?}"))?
            }
            other => return Err(format!("unknown bundle line {other:?}")),
        }
    }
    let path = path.ok_or("bundle names no path")?;
    let argv = std::iter::once(path).chain(args).collect();
    Ok((
        header_len,
        program_len,
        Run {
            options,
            argv,
            stdin_len,
            tree_len,
        },
    ))
}

/// Largest header accepted (bounds what a corrupt disk can make init read).
const MAX_HEADER: usize = 1 << 20;

/// The most memory reserved for the program before reading it.
const MAX_PROGRAM_HINT: u64 = 256 << 20;

/// Reads the bundle from `dev` and writes its program (mode 755).
pub fn load(dev: &str) -> std::io::Result<Run> {
    let invalid = std::io::Error::other;
    let mut disk = File::open(dev)?;
    let mut head = vec![0u8; 4096];
    disk.read_exact(&mut head)?;
    let stated: usize = String::from_utf8_lossy(&head[..64])
        .split(' ')
        .nth(1)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| invalid(format!("{dev} holds no run bundle")))?;
    if stated > head.len() {
        if stated > MAX_HEADER {
            return Err(invalid(format!(
                "bundle header of {stated} bytes is too large"
            )));
        }
        head.resize(stated, 0);
        disk.read_exact(&mut head[4096..])?;
    }
    let end = head.iter().position(|&b| b == 0).unwrap_or(head.len());
    let (header_len, program_len, mut run) =
        parse_header(&String::from_utf8_lossy(&head[..end])).map_err(invalid)?;
    disk.seek(SeekFrom::Start(header_len))?;
    // Sized up front: one read for the whole program (the length is
    // checked below, so a corrupt header cannot make it more than a hint).
    let mut program = Vec::with_capacity(program_len.min(MAX_PROGRAM_HINT) as usize);
    (&mut disk).take(program_len).read_to_end(&mut program)?;
    if program.len() as u64 != program_len {
        return Err(std::io::Error::other(format!(
            "bundle program is {} of {program_len} bytes",
            program.len()
        )));
    }
    let mut stdin = Vec::new();
    (&mut disk).take(run.stdin_len).read_to_end(&mut stdin)?;
    if stdin.len() as u64 != run.stdin_len {
        return Err(std::io::Error::other(format!(
            "bundle stdin is {} of {} bytes",
            stdin.len(),
            run.stdin_len
        )));
    }
    if run.tree_len > 0 {
        let files = unpack_tree((&mut disk).take(run.tree_len))?;
        println!("INIT: bundle: {files} files unpacked");
    }
    let path = &run.argv[0];
    if let Some(parent) = std::path::Path::new(path).parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, &program)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))?;
    if run.stdin_len > 0 {
        let input = format!("{path}.stdin");
        fs::write(&input, &stdin)?;
        run.options.stdin = Some(input);
    }
    println!("INIT: bundle: {program_len} bytes -> {path}");
    Ok(run)
}

/// Unpacks the bundle's tar archive at `/` (entry names are absolute paths
/// without the leading `/`; the tar crate refuses names that climb out with
/// `..`) and returns the number of regular files written.
fn unpack_tree(archive: impl Read) -> std::io::Result<usize> {
    let mut archive = tar::Archive::new(archive);
    archive.set_preserve_permissions(true);
    archive.set_preserve_mtime(true);
    let mut files = 0;
    for entry in archive.entries()? {
        let mut entry = entry?;
        files += usize::from(entry.header().entry_type().is_file());
        entry.unpack_in("/")?;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let text = "VRUN1 4096 10\npath /tmp/t\narg a%20b\narg \nenv K=v%3D1\ncwd /tmp\nstdout /dev/ttyS1\nstderr /dev/ttyS2\n";
        let (h, p, run) = parse_header(text).unwrap();
        assert_eq!((h, p), (4096, 10));
        assert_eq!(run.argv, ["/tmp/t", "a b", ""]);
        assert_eq!(run.options.env, [("K".to_string(), "v=1".to_string())]);
        assert_eq!(run.options.stdout.as_deref(), Some("/dev/ttyS1"));
        assert_eq!(run.stdin_len, 0);
        let (_, _, run) = parse_header("VRUN1 4096 1\npath /p\nstdin 12\n").unwrap();
        assert_eq!(run.stdin_len, 12);
        assert!(parse_header("VRUN1 4096 1\npath /p\nstdin x\n").is_err());
    }

    #[test]
    fn tree_is_unpacked_at_absolute_paths_and_never_above_root() {
        let dir = format!("tmp/init-tree-{}", std::process::id());
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(7);
        header.set_mode(0o640);
        header.set_mtime(1_000_000_000);
        builder
            .append_data(&mut header, format!("{dir}/data/f.txt"), &b"fixture"[..])
            .unwrap();
        let archive = builder.into_inner().unwrap();
        assert_eq!(unpack_tree(archive.as_slice()).unwrap(), 1);
        let file = format!("/{dir}/data/f.txt");
        assert_eq!(fs::read(&file).unwrap(), b"fixture");
        let meta = fs::metadata(&file).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o640);
        assert_eq!(std::os::unix::fs::MetadataExt::mtime(&meta), 1_000_000_000);
        fs::remove_dir_all(format!("/{dir}")).unwrap();

        // A name climbing out with `..` is refused, not written.
        let mut raw = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(1);
        header.as_gnu_mut().unwrap().name[..10].copy_from_slice(b"../escaped");
        header.set_cksum();
        raw.append(&header, &b"x"[..]).unwrap();
        let archive = raw.into_inner().unwrap();
        let _ = unpack_tree(archive.as_slice());
        assert!(!std::path::Path::new("/escaped").exists());
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_header("").is_err());
        assert!(parse_header("ELF\n").is_err());
        assert!(parse_header("VRUN1 x 1\npath /p\n").is_err());
        assert!(parse_header("VRUN1 4096 1\n").is_err(), "no path");
        assert!(parse_header("VRUN1 4096 1\npath /p\nbogus 1\n").is_err());
    }
}
