//! A newc (cpio) initramfs for the Linux guest, written entry by entry. It
//! always begins with `/dev/console`, the node Linux opens for init's
//! standard streams.

use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// An initramfs being written; [`Initramfs::finish`] ends it.
pub struct Initramfs {
    /// `None` only while an entry is being written (the cpio writer owns it).
    out: Option<BufWriter<File>>,
    next_ino: u32,
}

impl Initramfs {
    /// Starts `out` with `/dev` and `/dev/console`.
    pub fn create(out: &Path) -> Result<Initramfs> {
        let out = BufWriter::new(
            File::create(out).with_context(|| format!("cannot create {}", out.display()))?,
        );
        let mut image = Initramfs {
            out: Some(out),
            next_ino: 1,
        };
        image.dir("dev")?;
        image.node(
            "dev/console",
            0o020600,
            |b| b.rdev_major(5).rdev_minor(1),
            &[],
        )?;
        Ok(image)
    }

    /// A folder (its parent must come first).
    pub fn dir(&mut self, name: &str) -> Result<()> {
        self.node(name, 0o040755, |b| b, &[])
    }

    /// A regular file with permission bits `perm`.
    pub fn file(&mut self, name: &str, perm: u32, bytes: &[u8]) -> Result<()> {
        self.node(name, 0o100000 | perm, |b| b, bytes)
    }

    /// A regular file copied from `source`.
    pub fn copy(&mut self, name: &str, perm: u32, source: &Path) -> Result<()> {
        let bytes =
            std::fs::read(source).with_context(|| format!("cannot read {}", source.display()))?;
        self.file(name, perm, &bytes)
    }

    /// Writes the trailer.
    pub fn finish(self) -> Result<()> {
        let out = self.out.context("an initramfs entry failed half-written")?;
        cpio::newc::trailer(out)?.flush()?;
        Ok(())
    }

    fn node(
        &mut self,
        name: &str,
        mode: u32,
        extra: impl FnOnce(cpio::newc::Builder) -> cpio::newc::Builder,
        bytes: &[u8],
    ) -> Result<()> {
        let builder = extra(
            cpio::newc::Builder::new(name)
                .ino(self.next_ino)
                .mode(mode)
                .nlink(1),
        );
        self.next_ino += 1;
        let size = u32::try_from(bytes.len()).context("initramfs file over 4 GiB")?;
        let out = self
            .out
            .take()
            .context("an initramfs entry failed half-written")?;
        let mut entry = builder.write(out, size);
        entry.write_all(bytes)?;
        self.out = Some(entry.finish()?);
        Ok(())
    }
}
