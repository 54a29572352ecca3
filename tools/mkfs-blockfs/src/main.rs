//! `mkfs-blockfs`: builds, populates, inspects and checks VeridianOS BlockFS
//! images.
//!
//! ```text
//! mkfs-blockfs IMG                         format an existing image file
//! mkfs-blockfs --add IMG SRC DEST          copy a file or tree into an image
//! mkfs-blockfs --add-dir IMG SRC DEST      copy a tree's contents into DEST
//! mkfs-blockfs --output IMG --size MB [--populate DIR] [--inodes N]
//! mkfs-blockfs ls|cat|extract|info|fsck IMG ...
//! ```

mod host;
mod inspect;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use blockfs::{FileDevice, FileSystem, FormatOptions, MountOptions};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "mkfs-blockfs",
    version,
    about = "Build, populate, inspect and check VeridianOS BlockFS images",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,

    /// Format this existing image file (whole file; see --size to create it).
    #[arg(value_name = "IMG")]
    image: Option<PathBuf>,

    /// Copy SRC (a file, or a directory's contents) to DEST in IMG.
    #[arg(long, num_args = 3, value_names = ["IMG", "SRC", "DEST"], conflicts_with_all = ["image", "add_dir", "output"])]
    add: Option<Vec<PathBuf>>,

    /// Copy the contents of directory SRC into directory DEST in IMG.
    #[arg(long = "add-dir", num_args = 3, value_names = ["IMG", "SRC", "DEST"], conflicts_with_all = ["image", "output"])]
    add_dir: Option<Vec<PathBuf>>,

    /// Create a new image file (replacing any file there).
    #[arg(long, value_name = "IMG", conflicts_with = "image", requires = "size")]
    output: Option<PathBuf>,

    /// Image size in MiB (with --output, or to create IMG).
    #[arg(long, value_name = "MB")]
    size: Option<u32>,

    /// Copy this directory's contents into the new image's root.
    #[arg(long, value_name = "DIR", requires = "output")]
    populate: Option<PathBuf>,

    /// Inode slots (default: clamp(blocks / 4, 672, 65536)).
    #[arg(long, value_name = "N")]
    inodes: Option<u32>,

    /// Let directories grow past 12 blocks (this repository's kernel reads
    /// them; the original VeridianOS kernel reads only 12).
    #[arg(long)]
    allow_large_dirs: bool,

    /// Print each file copied.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// List a directory (default: the root).
    Ls {
        image: PathBuf,
        #[arg(default_value = "/")]
        path: String,
        /// Long format: type, mode, links, size, inode.
        #[arg(short, long)]
        long: bool,
        /// Recurse into subdirectories.
        #[arg(short = 'R', long)]
        recursive: bool,
    },
    /// Write a file's contents to stdout.
    Cat { image: PathBuf, path: String },
    /// Copy a file or tree out of the image, keeping modes, symlinks and mtimes.
    Extract {
        image: PathBuf,
        /// Path in the image (default: the root).
        #[arg(long, default_value = "/")]
        from: String,
        /// Host directory (created) or file path.
        out: PathBuf,
    },
    /// Show the superblock, layout and free counts.
    Info { image: PathBuf },
    /// Check consistency; exit 0 clean, 1 repaired, 4 problems left.
    Fsck {
        image: PathBuf,
        /// Fix what can be fixed.
        #[arg(long)]
        repair: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mkfs-blockfs: error: {e:#}");
            ExitCode::from(8)
        }
    }
}

fn mount_opts(cli_large: bool, read_only: bool) -> MountOptions {
    MountOptions {
        read_only,
        allow_large_dirs: cli_large,
        cache_blocks: 16384,
    }
}

/// Mounts an image file.
pub fn open_image(
    path: &Path,
    writable: bool,
    allow_large_dirs: bool,
) -> Result<FileSystem<FileDevice>> {
    let dev =
        FileDevice::open(path, writable).with_context(|| format!("opening {}", path.display()))?;
    FileSystem::mount(dev, mount_opts(allow_large_dirs, !writable))
        .with_context(|| format!("mounting {}", path.display()))
}

fn format_device(
    dev: FileDevice,
    inodes: Option<u32>,
    zeroed: bool,
    img: &Path,
) -> Result<FileSystem<FileDevice>> {
    let opts = FormatOptions {
        block_count: None,
        inode_count: inodes,
        assume_zeroed: zeroed,
    };
    FileSystem::format(dev, &opts).with_context(|| format!("formatting {}", img.display()))
}

fn size_blocks(mb: u32) -> Result<u64> {
    if mb == 0 {
        bail!("--size must be at least 1 (MiB)");
    }
    let blocks = mb as u64 * 256;
    if blocks > u32::MAX as u64 {
        bail!("--size {mb} is too large (BlockFS addresses at most 16 TiB)");
    }
    Ok(blocks)
}

fn run(cli: Cli) -> Result<ExitCode> {
    let large = cli.allow_large_dirs;
    let mut copier = host::Copier::new(cli.verbose);
    if let Some(cmd) = cli.cmd {
        return inspect::run(cmd);
    }
    if let Some(args) = &cli.add {
        let mut fs = open_image(&args[0], true, large)?;
        let res = dest_str(&args[2]).and_then(|dest| copier.add(&mut fs, &args[1], dest));
        return finish(fs, res);
    }
    if let Some(args) = &cli.add_dir {
        let mut fs = open_image(&args[0], true, large)?;
        let res = dest_str(&args[2]).and_then(|dest| copier.add_dir(&mut fs, &args[1], dest));
        return finish(fs, res);
    }
    if let Some(out) = &cli.output {
        let blocks = size_blocks(cli.size.unwrap_or(0))?;
        let dev = FileDevice::create(out, blocks)
            .with_context(|| format!("creating {}", out.display()))?;
        let mut fs = format_device(dev, cli.inodes, true, out)?;
        if large {
            fs = FileSystem::mount(fs.unmount()?, mount_opts(true, false))?;
        }
        let res = match &cli.populate {
            Some(dir) => copier.add_dir(&mut fs, dir, "/"),
            None => Ok(()),
        };
        return finish(fs, res);
    }
    if let Some(img) = &cli.image {
        let dev = match cli.size {
            Some(mb) => FileDevice::create(img, size_blocks(mb)?),
            None => FileDevice::open(img, true),
        }
        .with_context(|| format!("opening {} (to create it, give --size MB)", img.display()))?;
        let fresh = cli.size.is_some();
        return finish(format_device(dev, cli.inodes, fresh, img)?, Ok(()));
    }
    bail!("nothing to do: give IMG, --add, --add-dir, --output or a subcommand (see --help)")
}

fn dest_str(p: &Path) -> Result<&str> {
    p.to_str().context("DEST must be valid UTF-8")
}

/// Writes the image back whether or not `res` (the copy) succeeded, so a
/// failed copy (e.g. "no space") leaves a consistent image holding what was
/// copied before the failure; then reports `res`.
fn finish(fs: FileSystem<FileDevice>, res: Result<()>) -> Result<ExitCode> {
    let st = fs.statfs();
    fs.unmount().context("writing the image")?;
    eprintln!(
        "mkfs-blockfs: {} of {} blocks free, {} of {} inodes free",
        st.free_blocks, st.total_blocks, st.free_inodes, st.total_inodes
    );
    res.map(|()| ExitCode::SUCCESS)
}
