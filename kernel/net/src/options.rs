//! Socket options: decoding `setsockopt` values, encoding `getsockopt`
//! values, and the per-socket settings they change.

use crate::abi::*;
use crate::errno::{Errno, Result};

/// Size of `struct linger`.
pub const LINGER_SIZE: usize = 8;
/// Size of `struct timeval` (x86_64).
pub const TIMEVAL_SIZE: usize = 16;
/// The longest option value `getsockopt` returns; `setsockopt` copies in
/// at most this many bytes.
pub const MAX_OPTLEN: usize = 16;

/// Socket type: stream (TCP) or datagram (UDP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockType {
    /// `SOCK_STREAM`: TCP.
    Stream,
    /// `SOCK_DGRAM`: UDP.
    Dgram,
}

impl SockType {
    /// The `SO_TYPE` value.
    pub fn raw(self) -> i32 {
        match self {
            SockType::Stream => SOCK_STREAM as i32,
            SockType::Dgram => SOCK_DGRAM as i32,
        }
    }

    /// The `SO_PROTOCOL` value.
    pub fn protocol(self) -> i32 {
        match self {
            SockType::Stream => IPPROTO_TCP,
            SockType::Dgram => IPPROTO_UDP,
        }
    }
}

/// Linux's default TTL (`net.ipv4.ip_default_ttl`).
pub const DEFAULT_TTL: u8 = 64;

/// Settings stored per socket. Timeouts are in microseconds; `None`
/// means "no timeout" (block forever), as a zero `timeval` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SockOpts {
    pub reuseaddr: bool,
    pub reuseport: bool,
    pub keepalive: bool,
    pub broadcast: bool,
    pub oobinline: bool,
    pub dontroute: bool,
    pub nodelay: bool,
    pub ttl: u8,
    pub tos: u8,
    /// `IPV6_V6ONLY` (`AF_INET6` sockets only; Linux's default
    /// `net.ipv6.bindv6only` is 0).
    pub v6only: bool,
    /// `IP_FREEBIND` / `IPV6_FREEBIND` (one flag, as on Linux): `bind`
    /// takes an address that is not this machine's.
    pub freebind: bool,
    /// Multicast and traffic-class settings, stored and reported only:
    /// loopback carries no multicast and no priorities. `IP_MULTICAST_TTL`,
    /// `IP_MULTICAST_LOOP`, `IPV6_MULTICAST_HOPS`, `IPV6_MULTICAST_LOOP`,
    /// `IPV6_TCLASS`.
    pub mc_ttl: u8,
    pub mc_loop: bool,
    pub mc6_hops: u8,
    pub mc6_loop: bool,
    pub tclass: u8,
    /// `SO_LINGER`: `Some(seconds)` when enabled.
    pub linger: Option<u32>,
    pub rcvtimeo_us: Option<u64>,
    pub sndtimeo_us: Option<u64>,
    /// Buffer sizes in bytes used for the stack's buffers (`getsockopt`
    /// reports twice this, as Linux does).
    pub rcvbuf: usize,
    pub sndbuf: usize,
    pub keepidle_s: u32,
    pub keepintvl_s: u32,
    pub keepcnt: u32,
}

impl SockOpts {
    /// Defaults with the given buffer size.
    pub fn new(buf: usize) -> Self {
        SockOpts {
            reuseaddr: false,
            reuseport: false,
            keepalive: false,
            broadcast: false,
            oobinline: false,
            dontroute: false,
            nodelay: false,
            ttl: DEFAULT_TTL,
            tos: 0,
            v6only: false,
            freebind: false,
            mc_ttl: 1,
            mc_loop: true,
            mc6_hops: 1,
            mc6_loop: true,
            tclass: 0,
            linger: None,
            rcvtimeo_us: None,
            sndtimeo_us: None,
            rcvbuf: buf,
            sndbuf: buf,
            keepidle_s: 7200,
            keepintvl_s: 75,
            keepcnt: 9,
        }
    }
}

/// Buffer size limits for `SO_RCVBUF`/`SO_SNDBUF`.
#[derive(Debug, Clone, Copy)]
pub struct BufLimits {
    pub min: usize,
    pub max: usize,
}

/// A `getsockopt` value: at most [`MAX_OPTLEN`] bytes. The kernel copies
/// `min(optlen, len)` bytes out and stores that length in `*optlen`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OptValue {
    bytes: [u8; MAX_OPTLEN],
    len: usize,
}

impl OptValue {
    /// An `int` value.
    pub fn int(v: i32) -> Self {
        let mut bytes = [0u8; MAX_OPTLEN];
        bytes[..4].copy_from_slice(&v.to_ne_bytes());
        OptValue { bytes, len: 4 }
    }

    /// A value of up to [`MAX_OPTLEN`] raw bytes.
    pub(crate) fn bytes(b: &[u8]) -> Self {
        let mut bytes = [0u8; MAX_OPTLEN];
        bytes[..b.len()].copy_from_slice(b);
        OptValue {
            bytes,
            len: b.len(),
        }
    }

    fn linger(l: Option<u32>) -> Self {
        let mut bytes = [0u8; MAX_OPTLEN];
        bytes[..4].copy_from_slice(&(l.is_some() as i32).to_ne_bytes());
        let secs = l.unwrap_or(0).min(i32::MAX as u32) as i32;
        bytes[4..8].copy_from_slice(&secs.to_ne_bytes());
        OptValue {
            bytes,
            len: LINGER_SIZE,
        }
    }

    fn timeval(us: Option<u64>) -> Self {
        let us = us.unwrap_or(0);
        let mut bytes = [0u8; MAX_OPTLEN];
        bytes[..8].copy_from_slice(&((us / 1_000_000) as i64).to_ne_bytes());
        bytes[8..16].copy_from_slice(&((us % 1_000_000) as i64).to_ne_bytes());
        OptValue {
            bytes,
            len: TIMEVAL_SIZE,
        }
    }

    /// The value's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The value as an `int` (first four bytes).
    pub fn as_int(&self) -> i32 {
        i32::from_ne_bytes([self.bytes[0], self.bytes[1], self.bytes[2], self.bytes[3]])
    }
}

impl core::fmt::Debug for OptValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "OptValue({:?})", self.as_bytes())
    }
}

/// An `int` option value; Linux requires at least four bytes.
fn int(val: &[u8]) -> Result<i32> {
    match val.get(..4) {
        Some(b) => Ok(i32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
        None => Err(Errno::EINVAL),
    }
}

/// An IP-level option: an `int`, or a single byte when shorter (as
/// `ip_setsockopt` accepts).
fn ip_int(val: &[u8]) -> Result<i32> {
    match val.len() {
        0 => Err(Errno::EINVAL),
        1..=3 => Ok(val[0] as i32),
        _ => int(val),
    }
}

fn timeval(val: &[u8]) -> Result<Option<u64>> {
    if val.len() < TIMEVAL_SIZE {
        return Err(Errno::EINVAL);
    }
    let mut s = [0u8; 8];
    s.copy_from_slice(&val[..8]);
    let sec = i64::from_ne_bytes(s);
    s.copy_from_slice(&val[8..16]);
    let usec = i64::from_ne_bytes(s);
    if !(0..1_000_000).contains(&usec) {
        return Err(Errno::EDOM);
    }
    if sec < 0 || (sec == 0 && usec == 0) {
        return Ok(None);
    }
    Ok(Some(
        (sec as u64)
            .saturating_mul(1_000_000)
            .saturating_add(usec as u64),
    ))
}

/// Applies `setsockopt(level, name, val)` to `opts` for a socket of type
/// `ty`. Read-only and unknown options give `ENOPROTOOPT`, short values
/// `EINVAL`, out-of-range values `EINVAL`/`EDOM` as Linux does.
pub fn set(
    opts: &mut SockOpts,
    ty: SockType,
    lim: BufLimits,
    level: i32,
    name: i32,
    val: &[u8],
) -> Result<()> {
    // Linux checks the length before the name at these levels.
    let int_level = level == SOL_SOCKET || (level == SOL_TCP && ty == SockType::Stream);
    if int_level && val.len() < 4 {
        return Err(Errno::EINVAL);
    }
    match (level, name) {
        (SOL_SOCKET, SO_REUSEADDR) => opts.reuseaddr = int(val)? != 0,
        (SOL_SOCKET, SO_REUSEPORT) => opts.reuseport = int(val)? != 0,
        (SOL_SOCKET, SO_KEEPALIVE) => opts.keepalive = int(val)? != 0,
        (SOL_SOCKET, SO_BROADCAST) => opts.broadcast = int(val)? != 0,
        (SOL_SOCKET, SO_OOBINLINE) => opts.oobinline = int(val)? != 0,
        (SOL_SOCKET, SO_DONTROUTE) => opts.dontroute = int(val)? != 0,
        (SOL_SOCKET, SO_DEBUG) => {
            int(val)?;
        }
        (SOL_SOCKET, SO_RCVBUF | SO_RCVBUFFORCE) => opts.rcvbuf = buf_size(int(val)?, lim),
        (SOL_SOCKET, SO_SNDBUF | SO_SNDBUFFORCE) => opts.sndbuf = buf_size(int(val)?, lim),
        (SOL_SOCKET, SO_RCVLOWAT | SO_SNDLOWAT) => {
            int(val)?;
        }
        (SOL_SOCKET, SO_LINGER) => {
            if val.len() < LINGER_SIZE {
                return Err(Errno::EINVAL);
            }
            let on = int(&val[..4])?;
            let secs = int(&val[4..8])?;
            // Linux reads the seconds as unsigned: negative is "very long".
            opts.linger = if on != 0 { Some(secs as u32) } else { None };
        }
        (SOL_SOCKET, SO_RCVTIMEO) => opts.rcvtimeo_us = timeval(val)?,
        (SOL_SOCKET, SO_SNDTIMEO) => opts.sndtimeo_us = timeval(val)?,
        (SOL_IP, IP_TTL) => {
            let v = ip_int(val)?;
            opts.ttl = match v {
                -1 => DEFAULT_TTL,
                1..=255 => v as u8,
                _ => return Err(Errno::EINVAL),
            };
        }
        (SOL_IP, IP_TOS) => opts.tos = ip_int(val)? as u8,
        (SOL_IP, IP_FREEBIND) => opts.freebind = ip_int(val)? != 0,
        // Linux refuses a multicast TTL on a stream socket, before the length.
        (SOL_IP, IP_MULTICAST_TTL) if ty == SockType::Stream => return Err(Errno::EINVAL),
        (SOL_IP, IP_MULTICAST_TTL) => {
            opts.mc_ttl = match ip_int(val)? {
                -1 => 1,
                v @ 0..=255 => v as u8,
                _ => return Err(Errno::EINVAL),
            }
        }
        (SOL_IP, IP_MULTICAST_LOOP) => opts.mc_loop = ip_int(val)? != 0,
        (SOL_TCP, TCP_NODELAY) if ty == SockType::Stream => opts.nodelay = int(val)? != 0,
        (SOL_TCP, TCP_KEEPIDLE) if ty == SockType::Stream => {
            opts.keepidle_s = positive(int(val)?, 32767)?
        }
        (SOL_TCP, TCP_KEEPINTVL) if ty == SockType::Stream => {
            opts.keepintvl_s = positive(int(val)?, 32767)?
        }
        (SOL_TCP, TCP_KEEPCNT) if ty == SockType::Stream => {
            opts.keepcnt = positive(int(val)?, 127)?
        }
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(())
}

fn positive(v: i32, max: i32) -> Result<u32> {
    if (1..=max).contains(&v) {
        Ok(v as u32)
    } else {
        Err(Errno::EINVAL)
    }
}

fn buf_size(v: i32, lim: BufLimits) -> usize {
    (v.max(0) as usize).clamp(lim.min, lim.max)
}

/// Applies `setsockopt(IPPROTO_IPV6, name, val)` for an `AF_INET6` socket
/// (`bound`: it has a port, so `IPV6_V6ONLY` can no longer change, as on
/// Linux). `IPV6_UNICAST_HOPS` is the hop limit `IP_TTL` also sets; 0,
/// which Linux accepts, is `EINVAL` here (smoltcp has no hop limit 0).
/// Multicast settings are accepted and ignored (loopback has no
/// multicast), as their `IP_` twins are.
pub fn set_ipv6(
    opts: &mut SockOpts,
    ty: SockType,
    bound: bool,
    name: i32,
    val: &[u8],
) -> Result<()> {
    match name {
        IPV6_V6ONLY => {
            let v = int(val)?;
            if bound {
                return Err(Errno::EINVAL);
            }
            opts.v6only = v != 0;
        }
        IPV6_FREEBIND => opts.freebind = int(val)? != 0,
        IPV6_UNICAST_HOPS => {
            opts.ttl = match int(val)? {
                -1 => DEFAULT_TTL,
                v @ 1..=255 => v as u8,
                _ => return Err(Errno::EINVAL),
            }
        }
        IPV6_MULTICAST_HOPS if ty == SockType::Dgram => {
            opts.mc6_hops = match int(val)? {
                -1 => 1,
                v @ 0..=255 => v as u8,
                _ => return Err(Errno::EINVAL),
            }
        }
        IPV6_MULTICAST_LOOP => {
            opts.mc6_loop = match int(val)? {
                0 => false,
                1 => true,
                _ => return Err(Errno::EINVAL),
            }
        }
        IPV6_TCLASS => {
            let v = match int(val)? {
                -1 => 0,
                v @ 0..=255 => v as u8,
                _ => return Err(Errno::EINVAL),
            };
            // TCP owns the two ECN bits (Linux keeps them).
            const ECN: u8 = 3;
            opts.tclass = match ty {
                SockType::Stream => (v & !ECN) | (opts.tclass & ECN),
                SockType::Dgram => v,
            };
        }
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(())
}

/// Answers `getsockopt(IPPROTO_IPV6, name)` for an `AF_INET6` socket.
pub fn get_ipv6(opts: &SockOpts, name: i32) -> Result<OptValue> {
    Ok(match name {
        IPV6_V6ONLY => OptValue::int(opts.v6only as i32),
        IPV6_FREEBIND => OptValue::int(opts.freebind as i32),
        IPV6_UNICAST_HOPS => OptValue::int(opts.ttl as i32),
        IPV6_MULTICAST_HOPS => OptValue::int(opts.mc6_hops as i32),
        IPV6_MULTICAST_LOOP => OptValue::int(opts.mc6_loop as i32),
        IPV6_TCLASS => OptValue::int(opts.tclass as i32),
        _ => return Err(Errno::ENOPROTOOPT),
    })
}

/// What `getsockopt` needs to know beyond the stored settings.
#[derive(Debug, Clone, Copy)]
pub struct SockInfo {
    /// `SO_DOMAIN`: `AF_INET`, `AF_INET6` or `AF_UNIX`.
    pub family: u16,
    pub ty: SockType,
    pub listening: bool,
    /// The pending error, already taken (`SO_ERROR` clears it).
    pub error: Option<Errno>,
}

/// Answers `getsockopt(level, name)`.
pub fn get(opts: &SockOpts, info: SockInfo, level: i32, name: i32) -> Result<OptValue> {
    let b = |v: bool| OptValue::int(v as i32);
    Ok(match (level, name) {
        (SOL_SOCKET, SO_REUSEADDR) => b(opts.reuseaddr),
        (SOL_SOCKET, SO_REUSEPORT) => b(opts.reuseport),
        (SOL_SOCKET, SO_KEEPALIVE) => b(opts.keepalive),
        (SOL_SOCKET, SO_BROADCAST) => b(opts.broadcast),
        (SOL_SOCKET, SO_OOBINLINE) => b(opts.oobinline),
        (SOL_SOCKET, SO_DONTROUTE) => b(opts.dontroute),
        (SOL_SOCKET, SO_DEBUG) => b(false),
        (SOL_SOCKET, SO_TYPE) => OptValue::int(info.ty.raw()),
        (SOL_SOCKET, SO_PROTOCOL) => OptValue::int(info.ty.protocol()),
        (SOL_SOCKET, SO_DOMAIN) => OptValue::int(info.family as i32),
        (SOL_SOCKET, SO_ACCEPTCONN) => b(info.listening),
        (SOL_SOCKET, SO_ERROR) => OptValue::int(info.error.map_or(0, |e| e.0)),
        (SOL_SOCKET, SO_RCVBUF) => OptValue::int(doubled(opts.rcvbuf)),
        (SOL_SOCKET, SO_SNDBUF) => OptValue::int(doubled(opts.sndbuf)),
        (SOL_SOCKET, SO_RCVLOWAT | SO_SNDLOWAT) => OptValue::int(1),
        (SOL_SOCKET, SO_LINGER) => OptValue::linger(opts.linger),
        (SOL_SOCKET, SO_RCVTIMEO) => OptValue::timeval(opts.rcvtimeo_us),
        (SOL_SOCKET, SO_SNDTIMEO) => OptValue::timeval(opts.sndtimeo_us),
        (SOL_IP, IP_TTL) => OptValue::int(opts.ttl as i32),
        (SOL_IP, IP_TOS) => OptValue::int(opts.tos as i32),
        (SOL_IP, IP_FREEBIND) => OptValue::int(opts.freebind as i32),
        (SOL_IP, IP_MULTICAST_TTL) => OptValue::int(opts.mc_ttl as i32),
        (SOL_IP, IP_MULTICAST_LOOP) => OptValue::int(opts.mc_loop as i32),
        (SOL_TCP, TCP_NODELAY) if info.ty == SockType::Stream => b(opts.nodelay),
        (SOL_TCP, TCP_KEEPIDLE) if info.ty == SockType::Stream => {
            OptValue::int(opts.keepidle_s as i32)
        }
        (SOL_TCP, TCP_KEEPINTVL) if info.ty == SockType::Stream => {
            OptValue::int(opts.keepintvl_s as i32)
        }
        (SOL_TCP, TCP_KEEPCNT) if info.ty == SockType::Stream => OptValue::int(opts.keepcnt as i32),
        // Linux: `getsockopt(SOL_TCP)` on a UDP socket.
        (SOL_TCP, _) if info.ty == SockType::Dgram => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::ENOPROTOOPT),
    })
}

fn doubled(v: usize) -> i32 {
    v.saturating_mul(2).min(i32::MAX as usize) as i32
}
