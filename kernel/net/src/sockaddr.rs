//! `struct sockaddr_in` encoding and decoding, byte for byte as Linux lays
//! it out: `sa_family` (native u16), `sin_port` (big-endian u16),
//! `sin_addr` (4 bytes, network order), 8 bytes of zero padding.

use core::net::{Ipv4Addr, SocketAddrV4};

use crate::abi::{AF_INET, AF_INET6, AF_UNSPEC, SOCKADDR_IN_SIZE, SOCKADDR_STORAGE_SIZE};
use crate::errno::{Errno, Result};

/// A socket address as the user passed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockAddr {
    /// `AF_INET`.
    Inet(SocketAddrV4),
    /// `AF_UNSPEC` (connect uses it to dissolve an association; bind
    /// accepts it with `INADDR_ANY` as Linux does).
    Unspec,
}

/// Decodes the `addrlen` bytes the user passed.
///
/// `EINVAL` if shorter than the family field, longer than
/// `sockaddr_storage`, or an `AF_INET` address shorter than 16 bytes;
/// `EAFNOSUPPORT` for any family but `AF_INET`/`AF_UNSPEC` (`AF_INET6` and
/// `AF_UNIX` are not supported yet).
pub fn decode(bytes: &[u8]) -> Result<SockAddr> {
    if bytes.len() < 2 || bytes.len() > SOCKADDR_STORAGE_SIZE {
        return Err(Errno::EINVAL);
    }
    let family = u16::from_ne_bytes([bytes[0], bytes[1]]);
    match family {
        AF_INET => decode_in(bytes).map(SockAddr::Inet),
        AF_UNSPEC => Ok(SockAddr::Unspec),
        _ => Err(Errno::EAFNOSUPPORT),
    }
}

/// Decodes an address that must be `AF_INET` (sendto, bind). `AF_UNSPEC`
/// with the rest of a `sockaddr_in` is taken as `AF_INET` when
/// `unspec_ok` (bind's compatibility rule for `INADDR_ANY`).
pub fn decode_inet(bytes: &[u8], unspec_ok: bool) -> Result<SocketAddrV4> {
    match decode(bytes)? {
        SockAddr::Inet(a) => Ok(a),
        SockAddr::Unspec if unspec_ok && bytes.len() >= SOCKADDR_IN_SIZE => {
            let a = decode_in(bytes)?;
            if a.ip().is_unspecified() {
                Ok(a)
            } else {
                Err(Errno::EAFNOSUPPORT)
            }
        }
        SockAddr::Unspec => Err(Errno::EAFNOSUPPORT),
    }
}

fn decode_in(bytes: &[u8]) -> Result<SocketAddrV4> {
    if bytes.len() < SOCKADDR_IN_SIZE {
        return Err(Errno::EINVAL);
    }
    let port = u16::from_be_bytes([bytes[2], bytes[3]]);
    let ip = Ipv4Addr::new(bytes[4], bytes[5], bytes[6], bytes[7]);
    Ok(SocketAddrV4::new(ip, port))
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

/// Whether a family number is one this layer can create sockets for.
pub fn family_supported(family: u16) -> Result<()> {
    match family {
        AF_INET => Ok(()),
        AF_INET6 => Err(Errno::EAFNOSUPPORT),
        _ => Err(Errno::EAFNOSUPPORT),
    }
}
