//! The kernel's file layer: the BlockFS root over the first virtio disk,
//! device files, pipes, open-file descriptions and fd tables. (Kept small
//! until the shared `veridian-vfs` crate takes over.)

pub mod disk;
pub mod fdtable;
pub mod file;
pub mod namei;
pub mod path;
pub mod pipe;

pub use fdtable::FdTable;
pub use file::{Node, OpenFile};

use alloc::vec::Vec;

/// Per-process file-system context (cwd, umask).
#[derive(Clone)]
pub struct FsContext {
    /// Absolute, normalised working directory.
    pub cwd: Vec<u8>,
    pub umask: u32,
}

impl FsContext {
    pub fn new() -> Self {
        FsContext { cwd: b"/".to_vec(), umask: 0o022 }
    }
}
