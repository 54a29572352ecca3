//! One socket's record: type, settings, binding and connection state.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp;

use crate::errno::Errno;
use crate::options::{SockOpts, SockType};
use crate::ports::BoundIp;
use crate::sockaddr::Domain;

/// Which interface a stack socket lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkId {
    Lo = 0,
    Ext = 1,
}

/// A stack socket on a link.
pub(crate) type Slot = (LinkId, SocketHandle);

/// A TCP listener: a pool of listening stack sockets per link.
pub(crate) struct Listener {
    pub backlog: usize,
    pub links: Vec<LinkId>,
    pub pool: Vec<Slot>,
}

/// A TCP connection (being made or made).
pub(crate) struct Conn {
    pub slot: Slot,
    pub peer: SocketAddr,
    /// Reached ESTABLISHED (or later).
    pub established: bool,
    /// Stack state seen at the last refresh.
    pub last: tcp::State,
    /// When `connect` started (for `ETIMEDOUT`).
    pub started_ms: u64,
    /// The caller has been told the connection is made (a further
    /// `connect` gives `EISCONN`; the first one after a non-blocking
    /// start returns success, as on Linux).
    pub reported: bool,
    /// The peer's FIN arrived (Linux's `SOCK_DONE`: reads return 0 even if
    /// a reset follows).
    pub fin_seen: bool,
    /// A given-back port still used by this connection's TIME-WAIT: kept
    /// out of ephemeral choice until the socket is closed.
    pub held_port: Option<u16>,
    /// Bytes that were waiting to be read when the connection was reset
    /// for data after `SHUT_RDWR` (Linux keeps them readable).
    pub salvage: Vec<u8>,
}

/// A UDP socket's stack sockets (one per link it is bound on) and its
/// default peer.
pub(crate) struct Dgram {
    pub slots: Vec<Slot>,
    pub peer: Option<SocketAddr>,
    /// Source address chosen by `connect` for `getsockname`.
    pub src: Option<IpAddr>,
    /// Datagrams that were queued before `connect` (Linux filters by peer
    /// on arrival, so these stay readable): payload and sender.
    pub early: VecDeque<(Vec<u8>, SocketAddr)>,
}

pub(crate) enum State {
    /// A TCP socket not listening or connected.
    Idle,
    Listening(Listener),
    Stream(Conn),
    Dgram(Dgram),
}

/// Readiness bookkeeping for edge-triggered waiters.
#[derive(Default, Clone, Copy)]
pub(crate) struct Edge {
    pub seq: u64,
    pub mask: u16,
    pub rx: usize,
}

pub(crate) struct Sock {
    pub domain: Domain,
    pub ty: SockType,
    pub nonblocking: bool,
    pub opts: SockOpts,
    /// Bound address (port non-zero once bound).
    pub local: Option<SocketAddr>,
    /// The port was picked by the stack (bind to port 0, or implicitly by
    /// connect/listen): a TCP socket gives it back when it returns to the
    /// closed state, as Linux does.
    pub autobound: bool,
    /// The address `getsockname` still reports after an automatic port
    /// was released (Linux keeps showing it).
    pub last_name: Option<SocketAddr>,
    /// A specific address the caller bound: kept when a port is given
    /// back, and used again by an implicit bind (Linux's address lock).
    pub bound_ip: Option<IpAddr>,
    /// Pending error for `SO_ERROR` (and the next call that reports it).
    pub error: Option<Errno>,
    /// A non-blocking connect started and its failure not yet reported by
    /// `connect` (Linux's `SS_CONNECTING`: `listen` refuses, the next
    /// `connect` reports the error instead of starting over).
    pub connecting: bool,
    /// `shutdown` while that was so (Linux's `SS_DISCONNECTING`): connect
    /// and listen refuse with `EINVAL` from then on.
    pub disconnecting: bool,
    /// A listener stopped by `shutdown(SHUT_RD)`: Linux refuses `connect`
    /// with `EINVAL` from then on (`listen` is allowed again).
    pub listener_shut: bool,
    pub shut_rd: bool,
    pub shut_wr: bool,
    pub state: State,
    pub edge: Edge,
}

impl Sock {
    pub fn new(domain: Domain, ty: SockType, nonblocking: bool, opts: SockOpts) -> Self {
        let state = match ty {
            SockType::Stream => State::Idle,
            SockType::Dgram => State::Dgram(Dgram {
                early: VecDeque::new(),
                slots: Vec::new(),
                peer: None,
                src: None,
            }),
        };
        Sock {
            domain,
            ty,
            nonblocking,
            opts,
            local: None,
            autobound: false,
            last_name: None,
            bound_ip: None,
            connecting: false,
            disconnecting: false,
            listener_shut: false,
            error: None,
            shut_rd: false,
            shut_wr: false,
            state,
            edge: Edge::default(),
        }
    }

    /// How the port table sees an address this socket binds.
    pub fn bound_ip(&self, ip: IpAddr) -> BoundIp {
        BoundIp {
            ip,
            v6only: self.opts.v6only,
        }
    }

    /// Whether traffic from `a` belongs on this socket (its domain and
    /// `IPV6_V6ONLY`).
    pub fn carries(&self, a: &SocketAddr) -> bool {
        self.domain.carries(self.opts.v6only, a)
    }
}
