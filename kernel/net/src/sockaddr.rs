//! `struct sockaddr_in` encoding and decoding, byte for byte as Linux lays
//! it out: `sa_family` (native u16), `sin_port` (big-endian u16),
//! `sin_addr` (4 bytes, network order), 8 bytes of zero padding. The
//! checks run in Linux's order (length before family).

use core::net::{Ipv4Addr, SocketAddrV4};

use crate::abi::{AF_INET, AF_UNSPEC};
use crate::errno::{Errno, Result};

/// Size of `struct sockaddr_in`.
pub const SOCKADDR_IN_SIZE: usize = 16;
/// Size of `struct sockaddr_in6`.
pub const SOCKADDR_IN6_SIZE: usize = 28;
/// Size of `struct sockaddr_storage`: the most any address can take.
pub const SOCKADDR_STORAGE_SIZE: usize = 128;

/// A socket address as the user passed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockAddr {
    /// `AF_INET`.
    Inet(SocketAddrV4),
    /// `AF_UNSPEC` (connect uses it to dissolve an association).
    Unspec,
}

/// What an `AF_UNSPEC` address means to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unspec {
    /// bind: accepted only with `INADDR_ANY` (Linux's compatibility rule).
    AnyOnly,
    /// sendto: read as `AF_INET`.
    AsInet,
}

/// Decodes a `connect` address: `EINVAL` if shorter than the family field
/// or longer than `sockaddr_storage`; `AF_UNSPEC` is returned as is;
/// otherwise `EINVAL` if shorter than `sockaddr_in`, `EAFNOSUPPORT` for
/// any family but `AF_INET` (`AF_INET6` and `AF_UNIX` are not supported).
pub fn decode(bytes: &[u8]) -> Result<SockAddr> {
    if bytes.len() < 2 || bytes.len() > SOCKADDR_STORAGE_SIZE {
        return Err(Errno::EINVAL);
    }
    if family(bytes) == AF_UNSPEC {
        return Ok(SockAddr::Unspec);
    }
    decode_inet(bytes, None).map(SockAddr::Inet)
}

/// Decodes an address that must be `AF_INET` (bind, sendto), with the
/// caller's rule for `AF_UNSPEC` (`None`: `EAFNOSUPPORT`).
pub fn decode_inet(bytes: &[u8], unspec: Option<Unspec>) -> Result<SocketAddrV4> {
    if bytes.len() < SOCKADDR_IN_SIZE || bytes.len() > SOCKADDR_STORAGE_SIZE {
        return Err(Errno::EINVAL);
    }
    let port = u16::from_be_bytes([bytes[2], bytes[3]]);
    let ip = Ipv4Addr::new(bytes[4], bytes[5], bytes[6], bytes[7]);
    let ok = match (family(bytes), unspec) {
        (AF_INET, _) => true,
        (AF_UNSPEC, Some(Unspec::AsInet)) => true,
        (AF_UNSPEC, Some(Unspec::AnyOnly)) => ip.is_unspecified(),
        _ => false,
    };
    if !ok {
        return Err(Errno::EAFNOSUPPORT);
    }
    Ok(SocketAddrV4::new(ip, port))
}

fn family(bytes: &[u8]) -> u16 {
    u16::from_ne_bytes([bytes[0], bytes[1]])
}

/// The 16 bytes of `struct sockaddr_in` for `addr`.
pub fn encode(addr: SocketAddrV4) -> [u8; SOCKADDR_IN_SIZE] {
    let mut out = [0u8; SOCKADDR_IN_SIZE];
    out[0..2].copy_from_slice(&AF_INET.to_ne_bytes());
    out[2..4].copy_from_slice(&addr.port().to_be_bytes());
    out[4..8].copy_from_slice(&addr.ip().octets());
    out
}

/// Writes `addr` into a user buffer of `out.len()` bytes, truncating as
/// Linux does; returns the full length (16) to store in `*addrlen`.
pub fn encode_into(addr: SocketAddrV4, out: &mut [u8]) -> usize {
    let full = encode(addr);
    let n = out.len().min(full.len());
    out[..n].copy_from_slice(&full[..n]);
    full.len()
}

/// Whether a family number is one this layer can create sockets for
/// (`AF_INET` only: `AF_INET6` and `AF_UNIX` give `EAFNOSUPPORT`).
pub fn family_supported(family: u16) -> Result<()> {
    match family {
        AF_INET => Ok(()),
        _ => Err(Errno::EAFNOSUPPORT),
    }
}
