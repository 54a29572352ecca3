//! The error type: a Linux errno value (shared with the socket layer).

pub use veridian_errno::{Errno, Result};
