//! Readiness events (`asm-generic/poll.h`, `linux/eventpoll.h`): the
//! `poll`/`ppoll` bits and epoll's, which share the low bits.

constants! {
    // poll(2) events (struct pollfd is `short events, revents`).
    POLLIN: u16 = 0x001;
    /// Urgent data (TCP out-of-band).
    POLLPRI: u16 = 0x002;
    POLLOUT: u16 = 0x004;
    /// Always reported, requested or not.
    POLLERR: u16 = 0x008;
    /// Always reported, requested or not.
    POLLHUP: u16 = 0x010;
    /// The fd is not open; always reported.
    POLLNVAL: u16 = 0x020;
    POLLRDNORM: u16 = 0x040;
    POLLRDBAND: u16 = 0x080;
    POLLWRNORM: u16 = 0x100;
    POLLWRBAND: u16 = 0x200;
    POLLMSG: u16 = 0x400;
    /// The peer closed its writing half (stream sockets).
    POLLRDHUP: u16 = 0x2000;

    // epoll_create1(2) flags.
    /// Same value as `O_CLOEXEC`.
    EPOLL_CLOEXEC: u32 = 0o2000000;

    // epoll_ctl(2) operations.
    EPOLL_CTL_ADD: i32 = 1;
    EPOLL_CTL_DEL: i32 = 2;
    EPOLL_CTL_MOD: i32 = 3;

    // epoll events: the poll bits, widened, and input-only flags.
    EPOLLIN: u32 = 0x001;
    EPOLLPRI: u32 = 0x002;
    EPOLLOUT: u32 = 0x004;
    EPOLLERR: u32 = 0x008;
    EPOLLHUP: u32 = 0x010;
    EPOLLNVAL: u32 = 0x020;
    EPOLLRDNORM: u32 = 0x040;
    EPOLLRDBAND: u32 = 0x080;
    EPOLLWRNORM: u32 = 0x100;
    EPOLLWRBAND: u32 = 0x200;
    EPOLLMSG: u32 = 0x400;
    EPOLLRDHUP: u32 = 0x2000;
    /// Wake one of several epoll sets waiting on the same file.
    EPOLLEXCLUSIVE: u32 = 1 << 28;
    /// Hold a wakeup source while events are pending (needs a capability).
    EPOLLWAKEUP: u32 = 1 << 29;
    /// Disable the watch after one event (re-arm with `EPOLL_CTL_MOD`).
    EPOLLONESHOT: u32 = 1 << 30;
    /// Edge-triggered: report a change of readiness once.
    EPOLLET: u32 = 1 << 31;
}
