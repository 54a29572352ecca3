//! The error type shared by every operation, and its errno mapping.

use core::fmt;

/// Failure reported by a [`BlockDevice`](crate::BlockDevice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceError {
    /// The block index lies past the end of the device.
    OutOfRange,
    /// The device refused or failed the transfer.
    Io,
    /// The device cannot be written.
    ReadOnly,
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceError::OutOfRange => "block index out of range",
            DeviceError::Io => "device I/O error",
            DeviceError::ReadOnly => "device is read-only",
        })
    }
}

/// Everything a file-system operation can fail with.
///
/// [`Error::errno`] maps each variant onto the Linux errno value that
/// VeridianOS's syscall layer uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A path component or inode does not exist (`ENOENT`).
    NotFound,
    /// The target name already exists (`EEXIST`).
    Exists,
    /// A directory was expected (`ENOTDIR`).
    NotDir,
    /// The operation does not apply to a directory (`EISDIR`).
    IsDir,
    /// The directory still has entries (`ENOTEMPTY`).
    NotEmpty,
    /// No free data block is left (`ENOSPC`).
    NoSpace,
    /// No free inode is left (`ENOSPC`).
    NoInodes,
    /// A directory would outgrow its 12 direct blocks, all the VeridianOS
    /// project's original kernel reads (`ENOSPC`); see
    /// [`MountOptions::allow_large_dirs`](crate::MountOptions).
    DirTooLarge,
    /// A name is longer than 255 bytes (`ENAMETOOLONG`).
    NameTooLong,
    /// The image contradicts the format; the string says where (`EIO`).
    Corrupt(&'static str),
    /// The block device failed (`EIO`).
    Io(DeviceError),
    /// An argument is not acceptable: empty name, `/` in a name, moving a
    /// directory into itself, ... (`EINVAL`).
    Invalid,
    /// The file would exceed 4 GiB - 1 bytes (`EFBIG`).
    TooBig,
    /// The file system was mounted read-only (`EROFS`).
    ReadOnly,
    /// The inode already has 65535 links (`EMLINK`).
    TooManyLinks,
    /// Too many symbolic links while resolving a path (`ELOOP`).
    Loop,
}

/// Result alias used throughout the crate.
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// The Linux errno value for this error (positive).
    pub fn errno(&self) -> i32 {
        match self {
            Error::NotFound => 2,
            Error::Corrupt(_) | Error::Io(_) => 5,
            Error::Exists => 17,
            Error::NotDir => 20,
            Error::IsDir => 21,
            Error::Invalid => 22,
            Error::TooBig => 27,
            Error::NoSpace | Error::NoInodes | Error::DirTooLarge => 28,
            Error::ReadOnly => 30,
            Error::TooManyLinks => 31,
            Error::NameTooLong => 36,
            Error::NotEmpty => 39,
            Error::Loop => 40,
        }
    }
}

impl From<DeviceError> for Error {
    fn from(e: DeviceError) -> Self {
        Error::Io(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound => f.write_str("no such file or directory"),
            Error::Exists => f.write_str("file exists"),
            Error::NotDir => f.write_str("not a directory"),
            Error::IsDir => f.write_str("is a directory"),
            Error::NotEmpty => f.write_str("directory not empty"),
            Error::NoSpace => f.write_str("no space left on device"),
            Error::NoInodes => f.write_str("no free inodes left on device"),
            Error::DirTooLarge => f.write_str(
                "directory would exceed 12 blocks (the original VeridianOS kernel reads only direct blocks)",
            ),
            Error::NameTooLong => f.write_str("file name too long (max 255 bytes)"),
            Error::Corrupt(why) => write!(f, "corrupted file system: {why}"),
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Invalid => f.write_str("invalid argument"),
            Error::TooBig => f.write_str("file too large (max 4 GiB - 1)"),
            Error::ReadOnly => f.write_str("read-only file system"),
            Error::TooManyLinks => f.write_str("too many links"),
            Error::Loop => f.write_str("too many levels of symbolic links"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

#[cfg(feature = "std")]
impl std::error::Error for DeviceError {}
