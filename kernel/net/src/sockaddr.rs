//! `struct sockaddr_in` and `struct sockaddr_in6` encoding and decoding,
//! byte for byte as Linux lays them out, and the address rules of the two
//! socket domains.
//!
//! `sockaddr_in`: `sa_family` (native u16), `sin_port` (big-endian u16),
//! `sin_addr` (4 bytes, network order), 8 bytes of zero padding.
//! `sockaddr_in6`: `sin6_family`, `sin6_port` (big-endian),
//! `sin6_flowinfo` (u32), `sin6_addr` (16 bytes), `sin6_scope_id` (u32).
//! The checks run in Linux's order (length before family).
//!
//! Inside the stack an address is a [`SocketAddr`] whose IPv6 form is never
//! IPv4-mapped (`::ffff:a.b.c.d`): an `AF_INET6` socket's mapped addresses
//! are IPv4 traffic, as on Linux, and are shown to its user mapped again
//! ([`Domain::present`]).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::abi::{AF_INET, AF_INET6, AF_UNSPEC};
use crate::errno::{Errno, Result};

/// Size of `struct sockaddr_in`.
pub const SOCKADDR_IN_SIZE: usize = 16;
/// Size of `struct sockaddr_in6`.
pub const SOCKADDR_IN6_SIZE: usize = 28;
/// The shortest `sockaddr_in6` Linux accepts (`SIN6_LEN_RFC2133`: without
/// `sin6_scope_id`).
pub const SOCKADDR_IN6_MIN_SIZE: usize = 24;
/// Size of `struct sockaddr_storage`: the most any address can take.
pub const SOCKADDR_STORAGE_SIZE: usize = 128;

/// A socket address as the user passed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockAddr {
    /// `AF_INET` (an IPv4 address) or `AF_INET6` (an IPv6 one, as given:
    /// possibly IPv4-mapped).
    Inet(SocketAddr),
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

/// The domain a socket was created in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// `AF_INET`: IPv4 only.
    Inet,
    /// `AF_INET6`: IPv6, and IPv4 through mapped addresses unless
    /// `IPV6_V6ONLY` is set.
    Inet6,
}

impl Domain {
    /// The domain of a `socket()` family: `EAFNOSUPPORT` for any but
    /// `AF_INET` and `AF_INET6` (`AF_UNIX` sockets are [`crate::unix`]'s).
    pub fn from_family(family: u16) -> Result<Domain> {
        match family {
            AF_INET => Ok(Domain::Inet),
            AF_INET6 => Ok(Domain::Inet6),
            _ => Err(Errno::EAFNOSUPPORT),
        }
    }

    /// The wildcard address of an unbound socket (`0.0.0.0` or `::`).
    pub fn unspecified(self) -> IpAddr {
        match self {
            Domain::Inet => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Domain::Inet6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    }

    /// An address of the stack as this socket's user sees it: IPv4 on an
    /// `AF_INET6` socket is shown IPv4-mapped.
    pub fn present(self, a: SocketAddr) -> SocketAddr {
        match (self, a) {
            (Domain::Inet6, SocketAddr::V4(v4)) => {
                SocketAddr::V6(SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0))
            }
            _ => a,
        }
    }

    /// Whether traffic from `a` (an address of the stack) belongs on a
    /// socket of this domain: IPv4 on both unless `v6only`, IPv6 only on
    /// `AF_INET6`.
    pub fn carries(self, v6only: bool, a: &SocketAddr) -> bool {
        match (self, a) {
            (Domain::Inet, SocketAddr::V4(_)) => true,
            (Domain::Inet, SocketAddr::V6(_)) => false,
            (Domain::Inet6, SocketAddr::V4(_)) => !v6only,
            (Domain::Inet6, SocketAddr::V6(_)) => true,
        }
    }
}

/// A user's address as the stack keeps it: an IPv4-mapped IPv6 address
/// becomes the IPv4 address (flow info and scope are dropped: loopback
/// needs neither).
pub fn unmap(a: SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::V4(SocketAddrV4::new(v4, v6.port())),
            None => SocketAddr::V6(SocketAddrV6::new(*v6.ip(), v6.port(), 0, 0)),
        },
        v4 => v4,
    }
}

/// Decodes a `connect` address of an `AF_INET` socket: see
/// [`decode_for`].
pub fn decode(bytes: &[u8]) -> Result<SockAddr> {
    decode_for(Domain::Inet, false, bytes)
}

/// Decodes a `connect` address: `EINVAL` if shorter than the family field
/// or longer than `sockaddr_storage`; `AF_UNSPEC` is returned as is.
/// `AF_INET` socket: `EINVAL` if shorter than `sockaddr_in`, else
/// `EAFNOSUPPORT` for any family but `AF_INET`. `AF_INET6` socket: a
/// datagram socket takes an `AF_INET` address as such (Linux's
/// `__ip6_datagram_connect`); otherwise `EINVAL` if shorter than 24 bytes,
/// `EAFNOSUPPORT` for any family but `AF_INET6`.
pub fn decode_for(domain: Domain, datagram: bool, bytes: &[u8]) -> Result<SockAddr> {
    if bytes.len() < 2 || bytes.len() > SOCKADDR_STORAGE_SIZE {
        return Err(Errno::EINVAL);
    }
    match (domain, family(bytes)) {
        (_, AF_UNSPEC) => Ok(SockAddr::Unspec),
        (Domain::Inet, _) => decode_inet(bytes, None).map(|a| SockAddr::Inet(a.into())),
        (Domain::Inet6, AF_INET) if datagram => {
            decode_inet(bytes, None).map(|a| SockAddr::Inet(a.into()))
        }
        (Domain::Inet6, _) => decode_inet6(bytes).map(|a| SockAddr::Inet(a.into())),
    }
}

/// Decodes a `bind` address: [`decode_inet`] with `AF_UNSPEC` meaning
/// `INADDR_ANY` for `AF_INET`; [`decode_inet6`] for `AF_INET6`.
pub fn decode_bind(domain: Domain, bytes: &[u8]) -> Result<SocketAddr> {
    match domain {
        Domain::Inet => decode_inet(bytes, Some(Unspec::AnyOnly)).map(SocketAddr::V4),
        Domain::Inet6 => decode_inet6(bytes).map(SocketAddr::V6),
    }
}

/// Decodes a UDP `sendto` address; `None` means "the connected peer".
/// `AF_INET`: [`decode_inet`] with `AF_UNSPEC` read as `AF_INET`.
/// `AF_INET6` (Linux's `udpv6_sendmsg`): `AF_INET6` (24 bytes at least),
/// `AF_INET` (16), `AF_UNSPEC` (no address); `EINVAL` for anything else.
pub fn decode_dest(domain: Domain, bytes: &[u8]) -> Result<Option<SocketAddr>> {
    match domain {
        Domain::Inet => decode_inet(bytes, Some(Unspec::AsInet)).map(|a| Some(a.into())),
        Domain::Inet6 => {
            if bytes.len() < 2 || bytes.len() > SOCKADDR_STORAGE_SIZE {
                return Err(Errno::EINVAL);
            }
            match family(bytes) {
                AF_INET6 => decode_inet6(bytes).map(|a| Some(a.into())),
                AF_INET => decode_inet(bytes, None).map(|a| Some(a.into())),
                AF_UNSPEC => Ok(None),
                _ => Err(Errno::EINVAL),
            }
        }
    }
}

/// Decodes a `sockaddr_in6`: `EINVAL` if shorter than 24 bytes or longer
/// than `sockaddr_storage`, `EAFNOSUPPORT` for another family.
pub fn decode_inet6(bytes: &[u8]) -> Result<SocketAddrV6> {
    if bytes.len() < SOCKADDR_IN6_MIN_SIZE || bytes.len() > SOCKADDR_STORAGE_SIZE {
        return Err(Errno::EINVAL);
    }
    if family(bytes) != AF_INET6 {
        return Err(Errno::EAFNOSUPPORT);
    }
    let port = u16::from_be_bytes([bytes[2], bytes[3]]);
    let flow = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    let mut ip = [0u8; 16];
    ip.copy_from_slice(&bytes[8..24]);
    let scope = match bytes.get(24..28) {
        Some(b) => u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    };
    Ok(SocketAddrV6::new(Ipv6Addr::from(ip), port, flow, scope))
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

/// The 28 bytes of `struct sockaddr_in6` for `addr`.
pub fn encode6(addr: SocketAddrV6) -> [u8; SOCKADDR_IN6_SIZE] {
    let mut out = [0u8; SOCKADDR_IN6_SIZE];
    out[0..2].copy_from_slice(&AF_INET6.to_ne_bytes());
    out[2..4].copy_from_slice(&addr.port().to_be_bytes());
    out[4..8].copy_from_slice(&addr.flowinfo().to_be_bytes());
    out[8..24].copy_from_slice(&addr.ip().octets());
    out[24..28].copy_from_slice(&addr.scope_id().to_ne_bytes());
    out
}

/// Writes `addr` (`sockaddr_in` for IPv4, `sockaddr_in6` for IPv6) into a
/// user buffer of `out.len()` bytes, truncating as Linux does; returns the
/// full length (16 or 28) to store in `*addrlen`.
pub fn encode_into(addr: impl Into<SocketAddr>, out: &mut [u8]) -> usize {
    let (buf, len) = match addr.into() {
        SocketAddr::V4(a) => {
            let mut b = [0u8; SOCKADDR_IN6_SIZE];
            b[..SOCKADDR_IN_SIZE].copy_from_slice(&encode(a));
            (b, SOCKADDR_IN_SIZE)
        }
        SocketAddr::V6(a) => (encode6(a), SOCKADDR_IN6_SIZE),
    };
    let n = out.len().min(len);
    out[..n].copy_from_slice(&buf[..n]);
    len
}
