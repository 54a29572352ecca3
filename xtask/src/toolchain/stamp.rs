//! Content stamps: a step records a hash of its inputs and is skipped when the
//! hash is unchanged.

use anyhow::Result;
use sha2::{Digest, Sha256};
use std::fs;
use std::path::Path;
use walkdir::WalkDir;

/// Accumulates the inputs of a step.
#[derive(Default)]
pub struct Inputs(Sha256);

impl Inputs {
    /// Adds a labelled string (a version, a setting).
    pub fn text(mut self, label: &str, value: &str) -> Self {
        self.0.update(label.as_bytes());
        self.0.update([0]);
        self.0.update(value.as_bytes());
        self.0.update([0]);
        self
    }

    /// Adds every file below `path` (names and contents, in sorted order).
    pub fn tree(mut self, path: &Path) -> Result<Self> {
        let walk = WalkDir::new(path).sort_by_file_name().into_iter();
        for entry in walk {
            let entry = entry?;
            if entry.file_type().is_file() {
                let rel = entry.path().strip_prefix(path).unwrap_or(entry.path());
                self.0.update(rel.to_string_lossy().as_bytes());
                self.0.update([0]);
                self.0.update(fs::read(entry.path())?);
            }
        }
        Ok(self)
    }

    /// The hex digest.
    pub fn digest(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// True when `stamp_file` holds `digest` (the step is up to date).
pub fn is_current(stamp_file: &Path, digest: &str) -> bool {
    fs::read_to_string(stamp_file)
        .map(|s| s.trim() == digest)
        .unwrap_or(false)
}

/// Records `digest` once a step has succeeded.
pub fn record(stamp_file: &Path, digest: &str) -> Result<()> {
    if let Some(dir) = stamp_file.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(stamp_file, digest)?;
    Ok(())
}
