//! Socket arguments (`linux/socket.h`, `linux/net.h`, `linux/in.h`,
//! `linux/tcp.h`, `asm-generic/socket.h`): address families, socket types,
//! protocols, option levels and names, message flags, shutdown modes.

constants! {
    // Address families (sa_family_t).
    AF_UNSPEC: u16 = 0;
    AF_UNIX: u16 = 1;
    AF_INET: u16 = 2;
    AF_INET6: u16 = 10;
    AF_NETLINK: u16 = 16;
    AF_PACKET: u16 = 17;

    // socket(2) type argument: a type ORed with flags.
    SOCK_STREAM: u32 = 1;
    SOCK_DGRAM: u32 = 2;
    SOCK_RAW: u32 = 3;
    SOCK_SEQPACKET: u32 = 5;
    /// Mask of the type in socket(2)'s `type` argument; the flags are above it.
    SOCK_TYPE_MASK: u32 = 0xf;
    /// Same value as `O_NONBLOCK`.
    SOCK_NONBLOCK: u32 = 0o4000;
    /// Same value as `O_CLOEXEC`.
    SOCK_CLOEXEC: u32 = 0o2000000;

    // Protocols.
    IPPROTO_IP: i32 = 0;
    IPPROTO_TCP: i32 = 6;
    IPPROTO_UDP: i32 = 17;
    IPPROTO_IPV6: i32 = 41;

    // Option levels.
    SOL_SOCKET: i32 = 1;
    /// Same value as `IPPROTO_IP`.
    SOL_IP: i32 = IPPROTO_IP;
    /// Same value as `IPPROTO_TCP`.
    SOL_TCP: i32 = IPPROTO_TCP;

    // SOL_SOCKET option names.
    SO_DEBUG: i32 = 1;
    SO_REUSEADDR: i32 = 2;
    SO_TYPE: i32 = 3;
    SO_ERROR: i32 = 4;
    SO_DONTROUTE: i32 = 5;
    SO_BROADCAST: i32 = 6;
    SO_SNDBUF: i32 = 7;
    SO_RCVBUF: i32 = 8;
    SO_KEEPALIVE: i32 = 9;
    SO_OOBINLINE: i32 = 10;
    SO_LINGER: i32 = 13;
    SO_REUSEPORT: i32 = 15;
    /// AF_UNIX: receive the sender's credentials.
    SO_PASSCRED: i32 = 16;
    /// AF_UNIX: the peer's `struct ucred`.
    SO_PEERCRED: i32 = 17;
    SO_RCVLOWAT: i32 = 18;
    SO_SNDLOWAT: i32 = 19;
    SO_RCVTIMEO: i32 = 20;
    SO_SNDTIMEO: i32 = 21;
    SO_ACCEPTCONN: i32 = 30;
    SO_SNDBUFFORCE: i32 = 32;
    SO_RCVBUFFORCE: i32 = 33;
    SO_PROTOCOL: i32 = 38;
    SO_DOMAIN: i32 = 39;

    // Control message types at SOL_SOCKET.
    SCM_RIGHTS: i32 = 1;
    SCM_CREDENTIALS: i32 = 2;

    // IPPROTO_IP option names.
    IP_TOS: i32 = 1;
    IP_TTL: i32 = 2;
    IP_FREEBIND: i32 = 15;
    IP_MULTICAST_TTL: i32 = 33;
    IP_MULTICAST_LOOP: i32 = 34;

    // IPPROTO_IPV6 option names.
    IPV6_UNICAST_HOPS: i32 = 16;
    IPV6_MULTICAST_HOPS: i32 = 18;
    IPV6_MULTICAST_LOOP: i32 = 19;
    IPV6_V6ONLY: i32 = 26;
    IPV6_FREEBIND: i32 = 78;
    IPV6_TCLASS: i32 = 67;

    // IPPROTO_TCP option names.
    TCP_NODELAY: i32 = 1;
    TCP_MAXSEG: i32 = 2;
    TCP_KEEPIDLE: i32 = 4;
    TCP_KEEPINTVL: i32 = 5;
    TCP_KEEPCNT: i32 = 6;

    // send/recv flags.
    MSG_OOB: u32 = 0x1;
    MSG_PEEK: u32 = 0x2;
    MSG_DONTROUTE: u32 = 0x4;
    /// recvmsg: control data was cut short.
    MSG_CTRUNC: u32 = 0x8;
    /// recv: the datagram was longer than the buffer; as an input flag,
    /// return its real length.
    MSG_TRUNC: u32 = 0x20;
    MSG_DONTWAIT: u32 = 0x40;
    MSG_EOR: u32 = 0x80;
    MSG_WAITALL: u32 = 0x100;
    /// Do not raise `SIGPIPE` on a broken stream.
    MSG_NOSIGNAL: u32 = 0x4000;
    /// recvmmsg: after the first message, do not wait for more.
    MSG_WAITFORONE: u32 = 0x10000;
    MSG_MORE: u32 = 0x8000;
    /// recvmsg: set close-on-exec on fds received with `SCM_RIGHTS`.
    MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;

    // shutdown(2) how.
    SHUT_RD: u32 = 0;
    SHUT_WR: u32 = 1;
    SHUT_RDWR: u32 = 2;
}
