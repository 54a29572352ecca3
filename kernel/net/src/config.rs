//! Stack configuration: limits, buffer sizes, timeouts, the external
//! interface's addresses.

use core::net::Ipv4Addr;

use smoltcp::wire::HardwareAddress;

use crate::options::BufLimits;

/// Limits and sizes for a [`crate::NetStack`].
#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Most sockets open at once (`socket`/`accept` then give `ENFILE`).
    pub max_sockets: usize,
    /// Most bytes all socket buffers may take together (`ENOBUFS` past
    /// it). Keep it well below the kernel heap: the default, 64 MiB, is
    /// 256 connections with the default buffers.
    pub max_buffer_bytes: usize,
    /// Default TCP receive and send buffer, each.
    pub tcp_buffer: usize,
    /// Default UDP buffer (payload bytes) per direction.
    pub udp_buffer: usize,
    /// Datagrams a UDP buffer holds per direction.
    pub udp_packets: usize,
    /// Bounds for `SO_RCVBUF`/`SO_SNDBUF`.
    pub buffer_limits: BufLimits,
    /// Listening TCP sockets kept armed per listener and interface (each
    /// takes one connection and costs a buffer pair; the pool is refilled
    /// after every received packet, so 2 absorbs any burst of SYNs).
    pub listen_pool: usize,
    /// Largest `listen` backlog (Linux `somaxconn`).
    pub max_backlog: usize,
    /// Closed-but-still-finishing TCP connections kept; past it, close
    /// resets instead of finishing gracefully.
    pub max_orphans: usize,
    /// How long an orphaned connection may take to finish (FIN-WAIT-2,
    /// half-open peers) before it is reset, in milliseconds.
    pub orphan_timeout_ms: u64,
    /// How long a connection attempt may take before `ETIMEDOUT`.
    pub connect_timeout_ms: u64,
    /// Ephemeral port range, inclusive.
    pub ephemeral_ports: (u16, u16),
    /// Seed for TCP initial sequence numbers and port choice (give it
    /// boot-time randomness).
    pub random_seed: u64,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            max_sockets: 4096,
            max_buffer_bytes: 64 << 20,
            tcp_buffer: 64 << 10,
            udp_buffer: 64 << 10,
            udp_packets: 64,
            buffer_limits: BufLimits {
                min: 2048,
                max: 4 << 20,
            },
            listen_pool: 2,
            max_backlog: 4096,
            max_orphans: 1024,
            orphan_timeout_ms: 60_000,
            connect_timeout_ms: 75_000,
            ephemeral_ports: (32768, 60999),
            random_seed: 0x5eed_0f7e_41d1_a4c3,
        }
    }
}

/// The second interface, over a device the kernel supplies.
#[derive(Debug, Clone, Copy)]
pub struct ExternalConfig {
    /// `HardwareAddress::Ethernet(mac)` for an Ethernet device (virtio-net),
    /// `HardwareAddress::Ip` for an IP-medium one.
    pub hardware: HardwareAddress,
    /// The interface address.
    pub addr: Ipv4Addr,
    /// Prefix length of the local network.
    pub prefix_len: u8,
    /// Default gateway, if any.
    pub gateway: Option<Ipv4Addr>,
}

impl ExternalConfig {
    /// QEMU user-mode networking: 10.0.2.15/24 via 10.0.2.2.
    pub fn qemu_user(hardware: HardwareAddress) -> Self {
        ExternalConfig {
            hardware,
            addr: Ipv4Addr::new(10, 0, 2, 15),
            prefix_len: 24,
            gateway: Some(Ipv4Addr::new(10, 0, 2, 2)),
        }
    }

    /// Whether `dst` can be reached through this interface.
    pub fn reaches(&self, dst: Ipv4Addr) -> bool {
        self.gateway.is_some() || same_net(self.addr, dst, self.prefix_len)
    }
}

fn same_net(a: Ipv4Addr, b: Ipv4Addr, prefix: u8) -> bool {
    let p = prefix.min(32) as u32;
    let mask = if p == 0 { 0 } else { u32::MAX << (32 - p) };
    u32::from(a) & mask == u32::from(b) & mask
}
