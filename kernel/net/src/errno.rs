//! The error type: a Linux errno value (shared with the VFS).

pub use veridian_errno::{Errno, Result};
