//! Socket options of a pair end: only `SOL_SOCKET` (other levels are
//! `EOPNOTSUPP`, as Linux's `AF_UNIX`). The generic ones behave as for
//! inet sockets (stored, `SO_SNDBUF` sizes the send buffer, timeouts bound
//! blocking calls); the identity ones answer for `AF_UNIX`.

use super::{Ucred, UnixType};
use crate::abi::*;
use crate::errno::{Errno, Result};
use crate::options::{self, BufLimits, OptValue, SockInfo, SockOpts, SockType};

/// Linux's bounds for `SO_SNDBUF`/`SO_RCVBUF` before doubling:
/// `SOCK_MIN_SNDBUF / 2` and `net.core.wmem_max`.
const LIMITS: BufLimits = BufLimits {
    min: 2304,
    max: 212992,
};

/// `setsockopt`. Setting `SO_PASSCRED` is `ENOPROTOOPT`: credentials
/// are not passed as ancillary data.
pub fn set(opts: &mut SockOpts, level: i32, name: i32, val: &[u8]) -> Result<()> {
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    match name {
        SO_PASSCRED | SO_PEERCRED | SO_TYPE | SO_PROTOCOL | SO_DOMAIN | SO_ERROR
        | SO_ACCEPTCONN => Err(Errno::ENOPROTOOPT),
        _ => options::set(opts, SockType::Stream, LIMITS, level, name, val),
    }
}

/// `getsockopt`; `err` is the end's pending error (`SO_ERROR` takes it).
pub fn get(
    opts: &SockOpts,
    ty: UnixType,
    cred: Ucred,
    err: &mut Option<Errno>,
    level: i32,
    name: i32,
) -> Result<OptValue> {
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(match name {
        SO_TYPE => OptValue::int(ty.raw()),
        SO_DOMAIN => OptValue::int(AF_UNIX as i32),
        SO_PROTOCOL | SO_PASSCRED => OptValue::int(0),
        SO_ERROR => OptValue::int(err.take().map_or(0, |e| e.0)),
        SO_PEERCRED => {
            let mut b = [0u8; 12];
            b[..4].copy_from_slice(&cred.pid.to_ne_bytes());
            b[4..8].copy_from_slice(&cred.uid.to_ne_bytes());
            b[8..].copy_from_slice(&cred.gid.to_ne_bytes());
            OptValue::bytes(&b)
        }
        _ => {
            let info = SockInfo {
                family: AF_UNIX,
                ty: SockType::Stream,
                listening: false,
                error: None,
            };
            options::get(opts, info, level, name)?
        }
    })
}
