//! The read-side subcommands: ls, cat, extract, info, fsck.

use std::collections::HashSet;
use std::fs::{self, File, FileTimes};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use blockfs::{FileDevice, FileSystem, FileType};

use crate::{open_image, Cmd};

type Fs = FileSystem<FileDevice>;

pub fn run(cmd: Cmd) -> Result<ExitCode> {
    match cmd {
        Cmd::Ls {
            image,
            path,
            long,
            recursive,
        } => {
            let mut fs = open_image(&image, false, false)?;
            let ino = resolve(&mut fs, &path)?;
            let mut out = io::BufWriter::new(io::stdout().lock());
            list(
                &mut fs,
                ino,
                &path,
                long,
                recursive,
                &mut out,
                &mut HashSet::new(),
            )?;
            out.flush()?;
        }
        Cmd::Cat { image, path } => {
            let mut fs = open_image(&image, false, false)?;
            let ino = resolve(&mut fs, &path)?;
            let mut out = io::stdout().lock();
            copy_out(&mut fs, ino, &mut out).with_context(|| format!("reading {path}"))?;
            out.flush()?;
        }
        Cmd::Extract { image, from, out } => {
            let mut fs = open_image(&image, false, false)?;
            let ino = fs
                .resolve(from.as_bytes(), false)
                .with_context(|| format!("looking up {from}"))?;
            extract(&mut fs, ino, &out, &mut HashSet::new())?;
        }
        Cmd::Info { image } => info(&image)?,
        Cmd::Fsck { image, repair } => return fsck(&image, repair),
    }
    Ok(ExitCode::SUCCESS)
}

fn resolve(fs: &mut Fs, path: &str) -> Result<u32> {
    fs.resolve(path.as_bytes(), true)
        .with_context(|| format!("looking up {path}"))
}

fn type_char(t: FileType) -> char {
    match t {
        FileType::Directory => 'd',
        FileType::Regular => '-',
        FileType::Symlink => 'l',
        FileType::Socket => 's',
    }
}

/// Directories already walked: a damaged image can link one directory
/// from several places, or from inside itself.
type Seen = HashSet<u32>;

fn list(
    fs: &mut Fs,
    ino: u32,
    path: &str,
    long: bool,
    recursive: bool,
    out: &mut impl Write,
    seen: &mut Seen,
) -> Result<()> {
    let m = fs.metadata(ino)?;
    if m.file_type == FileType::Directory && !seen.insert(ino) {
        bail!("{path}: directory loop (inode {ino} is listed already); run fsck");
    }
    let entries = if m.file_type == FileType::Directory {
        fs.read_dir(ino)
            .with_context(|| format!("reading {path}"))?
    } else {
        vec![blockfs::DirEntry {
            ino,
            file_type: Some(m.file_type),
            name: path.as_bytes().to_vec(),
        }]
    };
    if recursive {
        writeln!(out, "{path}:")?;
    }
    let mut subdirs = Vec::new();
    for e in &entries {
        let name = String::from_utf8_lossy(&e.name);
        if long {
            let m = fs
                .metadata(e.ino)
                .with_context(|| format!("{path}/{name}"))?;
            let mut line = format!(
                "{}{:04o} {:>3} {:>5}:{:<5} {:>12} {:>7} {name}",
                type_char(m.file_type),
                m.perm,
                m.nlink,
                m.uid,
                m.gid,
                m.size,
                e.ino
            );
            if m.file_type == FileType::Symlink {
                line.push_str(" -> ");
                line.push_str(&String::from_utf8_lossy(&fs.readlink(e.ino)?));
            }
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "{name}")?;
        }
        if recursive
            && e.file_type == Some(FileType::Directory)
            && e.name != b"."
            && e.name != b".."
        {
            subdirs.push((e.ino, format!("{}/{name}", path.trim_end_matches('/'))));
        }
    }
    for (ino, p) in subdirs {
        writeln!(out)?;
        list(fs, ino, &p, long, recursive, out, seen)?;
    }
    Ok(())
}

fn copy_out(fs: &mut Fs, ino: u32, out: &mut impl Write) -> Result<()> {
    let mut buf = vec![0u8; 4 << 20];
    let mut off = 0u64;
    loop {
        let n = fs.read_at(ino, off, &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        out.write_all(&buf[..n])?;
        off += n as u64;
    }
}

fn set_times(path: &Path, mtime: u32, atime: u32) -> Result<()> {
    let t = |s: u32| UNIX_EPOCH + Duration::from_secs(s as u64);
    let f = File::open(path)?;
    f.set_times(
        FileTimes::new()
            .set_modified(t(mtime))
            .set_accessed(t(atime)),
    )?;
    Ok(())
}

/// Copies inode `ino` to host path `out`, recursively for directories.
fn extract(fs: &mut Fs, ino: u32, out: &Path, seen: &mut Seen) -> Result<()> {
    let m = fs.metadata(ino)?;
    if m.file_type == FileType::Directory && !seen.insert(ino) {
        bail!(
            "{}: directory loop (inode {ino} is extracted already); run fsck",
            out.display()
        );
    }
    match m.file_type {
        // A socket node means nothing outside the system that bound it.
        FileType::Socket => return Ok(()),
        FileType::Symlink => {
            let target = fs.readlink(ino)?;
            std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&target), out)
                .with_context(|| format!("creating symlink {}", out.display()))?;
            return Ok(());
        }
        FileType::Regular => {
            let mut f = File::create(out).with_context(|| format!("creating {}", out.display()))?;
            copy_out(fs, ino, &mut f).with_context(|| format!("writing {}", out.display()))?;
        }
        FileType::Directory => {
            match fs::create_dir(out) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && out.is_dir() => {}
                Err(e) => return Err(e).with_context(|| format!("creating {}", out.display())),
            }
            for e in fs.read_dir(ino)? {
                if e.name == b"." || e.name == b".." {
                    continue;
                }
                if e.name.contains(&b'/') || e.name.is_empty() {
                    bail!(
                        "image holds an invalid name {:?}",
                        String::from_utf8_lossy(&e.name)
                    );
                }
                extract(
                    fs,
                    e.ino,
                    &out.join(std::ffi::OsStr::from_bytes(&e.name)),
                    seen,
                )?;
            }
        }
    }
    fs::set_permissions(out, fs::Permissions::from_mode(m.perm as u32))?;
    set_times(out, m.mtime, m.atime).with_context(|| format!("setting times of {}", out.display()))
}

fn info(image: &Path) -> Result<()> {
    let fs = open_image(image, false, false)?;
    let sb = fs.superblock().clone();
    let g = *fs.geometry();
    let st = fs.statfs();
    let mib = |blocks: u32| blocks as f64 * 4096.0 / (1024.0 * 1024.0);
    println!("image:             {}", image.display());
    println!(
        "size:              {} blocks of 4096 bytes ({:.1} MiB)",
        g.block_count,
        mib(g.block_count)
    );
    println!(
        "block bitmap:      blocks 1..{} ({} blocks)",
        g.inode_table_start, g.bitmap_blocks
    );
    println!(
        "inode table:       blocks {}..{} ({} blocks, {} inodes, {} usable)",
        g.inode_table_start,
        g.first_data_block,
        g.inode_table_blocks,
        g.inode_count,
        g.usable_inodes()
    );
    println!("first data block:  {}", g.first_data_block);
    println!(
        "free blocks:       {} ({:.1} MiB, {:.1}% used); superblock says {}",
        st.free_blocks,
        mib(st.free_blocks),
        100.0 * (1.0 - st.free_blocks as f64 / st.total_blocks as f64),
        sb.free_blocks
    );
    println!(
        "free inodes:       {} of {}; superblock says {}",
        st.free_inodes, st.total_inodes, sb.free_inodes
    );
    println!(
        "mount count:       {} (max {})",
        sb.mount_count, sb.max_mount_count
    );
    println!("write time:        {}", sb.write_time);
    println!(
        "state:             {}",
        if sb.state == 1 { "clean" } else { "not clean" }
    );
    Ok(())
}

fn fsck(image: &Path, repair: bool) -> Result<ExitCode> {
    let mut fs = open_image(image, repair, false)?;
    let report = fs.fsck(repair).context("checking")?;
    for p in &report.problems {
        println!("{p}");
    }
    println!(
        "{}: {} inodes, {} directories, {} problem(s){}",
        image.display(),
        report.inodes,
        report.directories,
        report.problems.len(),
        if report.repaired && !report.is_clean() {
            ", repaired"
        } else {
            ""
        }
    );
    // A repaired (or found consistent) image is marked cleanly unmounted,
    // so the kernel does not check it again at the next boot.
    if repair && fs.fsck(false)?.is_clean() {
        fs.unmount().context("writing the repaired image")?;
    } else {
        drop(fs);
    }
    if report.is_clean() {
        return Ok(ExitCode::SUCCESS);
    }
    if repair {
        let mut again = open_image(image, false, false)?;
        let left = again.fsck(false)?;
        for p in &left.problems {
            println!("left after repair: {p}");
        }
        return Ok(ExitCode::from(if left.is_clean() { 1 } else { 4 }));
    }
    Ok(ExitCode::from(4))
}
