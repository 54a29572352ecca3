//! Differential test: every constant of this crate against the value the
//! host's C library headers give (through the `libc` crate, x86_64 Linux),
//! so that a mistyped value cannot survive. The few values libc lacks or
//! gets wrong for the kernel ABI are read from the installed Linux UAPI
//! headers instead (`linux_headers_agree`).
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use veridian_syscall::*;

/// An integer of any width, as the bits it holds and its value.
trait Int: Copy {
    const BITS: u32;
    fn value(self) -> i128;
}

macro_rules! int {
    ($($t:ty),*) => {
        $(impl Int for $t {
            const BITS: u32 = <$t>::BITS;
            fn value(self) -> i128 {
                self as i128
            }
        })*
    };
}
int!(i8, u8, i16, u16, i32, u32, i64, u64, isize, usize);

/// Whether `ours` and `theirs` are the same C value. Equal values match;
/// otherwise the two may differ only by the sign of a type of different
/// width (libc's `EPOLLET` is an `int`, ours a `u32`): then the narrower
/// width's bits must agree and the wider value must fit in them.
fn same_value<A: Int, B: Int>(ours: A, theirs: B) -> bool {
    let (a, b) = (ours.value(), theirs.value());
    if a == b {
        return true;
    }
    let bits = A::BITS.min(B::BITS);
    let mask = (1i128 << bits) - 1;
    let fits = |v: i128| v >= -(1i128 << (bits - 1)) && v < (1i128 << bits);
    fits(a) && fits(b) && (a & mask) == (b & mask)
}

macro_rules! same {
    ($($ours:path => $theirs:expr,)*) => {{
        let mut wrong = Vec::<String>::new();
        $(
            if !same_value($ours, $theirs) {
                wrong.push(format!(
                    "{} = {:#x}, libc has {:#x}",
                    stringify!($ours),
                    $ours.value(),
                    ($theirs).value()
                ));
            }
        )*
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }};
}

#[test]
fn the_comparison_catches_a_difference() {
    assert!(same_value(0x8000_0000u32, i32::MIN));
    assert!(same_value(2u64, 2i32));
    assert!(!same_value(0x8000_0000u32, 0x4000_0000i32));
    assert!(!same_value(0x1_0000_0000u64, 0i32));
    assert!(!same_value(0x1_0000u32, 0u16));
}

#[test]
fn fcntl_matches_libc() {
    same! {
        fcntl::O_ACCMODE => libc::O_ACCMODE,
        fcntl::O_RDONLY => libc::O_RDONLY,
        fcntl::O_WRONLY => libc::O_WRONLY,
        fcntl::O_RDWR => libc::O_RDWR,
        fcntl::O_CREAT => libc::O_CREAT,
        fcntl::O_EXCL => libc::O_EXCL,
        fcntl::O_NOCTTY => libc::O_NOCTTY,
        fcntl::O_TRUNC => libc::O_TRUNC,
        fcntl::O_APPEND => libc::O_APPEND,
        fcntl::O_NONBLOCK => libc::O_NONBLOCK,
        fcntl::O_NDELAY => libc::O_NDELAY,
        fcntl::O_DSYNC => libc::O_DSYNC,
        fcntl::O_ASYNC => libc::O_ASYNC,
        fcntl::O_DIRECT => libc::O_DIRECT,
        fcntl::O_DIRECTORY => libc::O_DIRECTORY,
        fcntl::O_NOFOLLOW => libc::O_NOFOLLOW,
        fcntl::O_NOATIME => libc::O_NOATIME,
        fcntl::O_CLOEXEC => libc::O_CLOEXEC,
        fcntl::O_SYNC => libc::O_SYNC,
        fcntl::O_RSYNC => libc::O_RSYNC,
        fcntl::O_PATH => libc::O_PATH,
        fcntl::O_TMPFILE => libc::O_TMPFILE,
        fcntl::AT_FDCWD => libc::AT_FDCWD,
        fcntl::AT_SYMLINK_NOFOLLOW => libc::AT_SYMLINK_NOFOLLOW,
        fcntl::AT_REMOVEDIR => libc::AT_REMOVEDIR,
        fcntl::AT_EACCESS => libc::AT_EACCESS,
        fcntl::AT_SYMLINK_FOLLOW => libc::AT_SYMLINK_FOLLOW,
        fcntl::AT_NO_AUTOMOUNT => libc::AT_NO_AUTOMOUNT,
        fcntl::AT_EMPTY_PATH => libc::AT_EMPTY_PATH,
        fcntl::AT_STATX_SYNC_TYPE => libc::AT_STATX_SYNC_TYPE,
        fcntl::AT_STATX_SYNC_AS_STAT => libc::AT_STATX_SYNC_AS_STAT,
        fcntl::AT_STATX_FORCE_SYNC => libc::AT_STATX_FORCE_SYNC,
        fcntl::AT_STATX_DONT_SYNC => libc::AT_STATX_DONT_SYNC,
        fcntl::RENAME_NOREPLACE => libc::RENAME_NOREPLACE,
        fcntl::RENAME_EXCHANGE => libc::RENAME_EXCHANGE,
        fcntl::RENAME_WHITEOUT => libc::RENAME_WHITEOUT,
        fcntl::F_OK => libc::F_OK,
        fcntl::X_OK => libc::X_OK,
        fcntl::W_OK => libc::W_OK,
        fcntl::R_OK => libc::R_OK,
        fcntl::SEEK_SET => libc::SEEK_SET,
        fcntl::SEEK_CUR => libc::SEEK_CUR,
        fcntl::SEEK_END => libc::SEEK_END,
        fcntl::SEEK_DATA => libc::SEEK_DATA,
        fcntl::SEEK_HOLE => libc::SEEK_HOLE,
        fcntl::F_DUPFD => libc::F_DUPFD,
        fcntl::F_GETFD => libc::F_GETFD,
        fcntl::F_SETFD => libc::F_SETFD,
        fcntl::F_GETFL => libc::F_GETFL,
        fcntl::F_SETFL => libc::F_SETFL,
        fcntl::F_GETLK => libc::F_GETLK,
        fcntl::F_SETLK => libc::F_SETLK,
        fcntl::F_SETLKW => libc::F_SETLKW,
        fcntl::F_SETOWN => libc::F_SETOWN,
        fcntl::F_GETOWN => libc::F_GETOWN,
        fcntl::F_OFD_GETLK => libc::F_OFD_GETLK,
        fcntl::F_OFD_SETLK => libc::F_OFD_SETLK,
        fcntl::F_OFD_SETLKW => libc::F_OFD_SETLKW,
        fcntl::F_DUPFD_CLOEXEC => libc::F_DUPFD_CLOEXEC,
        fcntl::F_SETPIPE_SZ => libc::F_SETPIPE_SZ,
        fcntl::F_GETPIPE_SZ => libc::F_GETPIPE_SZ,
        fcntl::F_ADD_SEALS => libc::F_ADD_SEALS,
        fcntl::F_GET_SEALS => libc::F_GET_SEALS,
        fcntl::FD_CLOEXEC => libc::FD_CLOEXEC,
        fcntl::F_RDLCK => libc::F_RDLCK,
        fcntl::F_WRLCK => libc::F_WRLCK,
        fcntl::F_UNLCK => libc::F_UNLCK,
        fcntl::LOCK_SH => libc::LOCK_SH,
        fcntl::LOCK_EX => libc::LOCK_EX,
        fcntl::LOCK_NB => libc::LOCK_NB,
        fcntl::LOCK_UN => libc::LOCK_UN,
        fcntl::CLOSE_RANGE_UNSHARE => libc::CLOSE_RANGE_UNSHARE,
        fcntl::CLOSE_RANGE_CLOEXEC => libc::CLOSE_RANGE_CLOEXEC,
    }
}

#[test]
fn stat_matches_libc() {
    same! {
        stat::S_IFMT => libc::S_IFMT,
        stat::S_IFSOCK => libc::S_IFSOCK,
        stat::S_IFLNK => libc::S_IFLNK,
        stat::S_IFREG => libc::S_IFREG,
        stat::S_IFBLK => libc::S_IFBLK,
        stat::S_IFDIR => libc::S_IFDIR,
        stat::S_IFCHR => libc::S_IFCHR,
        stat::S_IFIFO => libc::S_IFIFO,
        stat::S_ISUID => libc::S_ISUID,
        stat::S_ISGID => libc::S_ISGID,
        stat::S_ISVTX => libc::S_ISVTX,
        stat::S_IRWXU => libc::S_IRWXU,
        stat::S_IRUSR => libc::S_IRUSR,
        stat::S_IWUSR => libc::S_IWUSR,
        stat::S_IXUSR => libc::S_IXUSR,
        stat::S_IRWXG => libc::S_IRWXG,
        stat::S_IRGRP => libc::S_IRGRP,
        stat::S_IWGRP => libc::S_IWGRP,
        stat::S_IXGRP => libc::S_IXGRP,
        stat::S_IRWXO => libc::S_IRWXO,
        stat::S_IROTH => libc::S_IROTH,
        stat::S_IWOTH => libc::S_IWOTH,
        stat::S_IXOTH => libc::S_IXOTH,
        stat::DT_UNKNOWN => libc::DT_UNKNOWN,
        stat::DT_FIFO => libc::DT_FIFO,
        stat::DT_CHR => libc::DT_CHR,
        stat::DT_DIR => libc::DT_DIR,
        stat::DT_BLK => libc::DT_BLK,
        stat::DT_REG => libc::DT_REG,
        stat::DT_LNK => libc::DT_LNK,
        stat::DT_SOCK => libc::DT_SOCK,
        stat::STATX_TYPE => libc::STATX_TYPE,
        stat::STATX_MODE => libc::STATX_MODE,
        stat::STATX_NLINK => libc::STATX_NLINK,
        stat::STATX_UID => libc::STATX_UID,
        stat::STATX_GID => libc::STATX_GID,
        stat::STATX_ATIME => libc::STATX_ATIME,
        stat::STATX_MTIME => libc::STATX_MTIME,
        stat::STATX_CTIME => libc::STATX_CTIME,
        stat::STATX_INO => libc::STATX_INO,
        stat::STATX_SIZE => libc::STATX_SIZE,
        stat::STATX_BLOCKS => libc::STATX_BLOCKS,
        stat::STATX_BASIC_STATS => libc::STATX_BASIC_STATS,
        stat::STATX_BTIME => libc::STATX_BTIME,
        stat::STATX_MNT_ID => libc::STATX_MNT_ID,
        stat::UTIME_NOW => libc::UTIME_NOW,
        stat::UTIME_OMIT => libc::UTIME_OMIT,
        stat::ST_RDONLY => libc::ST_RDONLY,
        stat::ST_NOSUID => libc::ST_NOSUID,
        stat::TMPFS_MAGIC => libc::TMPFS_MAGIC,
        stat::PROC_SUPER_MAGIC => libc::PROC_SUPER_MAGIC,
    }
}

#[test]
fn poll_matches_libc() {
    same! {
        poll::POLLIN => libc::POLLIN,
        poll::POLLPRI => libc::POLLPRI,
        poll::POLLOUT => libc::POLLOUT,
        poll::POLLERR => libc::POLLERR,
        poll::POLLHUP => libc::POLLHUP,
        poll::POLLNVAL => libc::POLLNVAL,
        poll::POLLRDNORM => libc::POLLRDNORM,
        poll::POLLRDBAND => libc::POLLRDBAND,
        poll::POLLWRNORM => libc::POLLWRNORM,
        poll::POLLWRBAND => libc::POLLWRBAND,
        poll::POLLMSG => libc::EPOLLMSG,
        poll::POLLRDHUP => libc::POLLRDHUP,
        poll::EPOLL_CLOEXEC => libc::EPOLL_CLOEXEC,
        poll::EPOLL_CTL_ADD => libc::EPOLL_CTL_ADD,
        poll::EPOLL_CTL_DEL => libc::EPOLL_CTL_DEL,
        poll::EPOLL_CTL_MOD => libc::EPOLL_CTL_MOD,
        poll::EPOLLIN => libc::EPOLLIN,
        poll::EPOLLPRI => libc::EPOLLPRI,
        poll::EPOLLOUT => libc::EPOLLOUT,
        poll::EPOLLERR => libc::EPOLLERR,
        poll::EPOLLHUP => libc::EPOLLHUP,
        poll::EPOLLNVAL => libc::POLLNVAL,
        poll::EPOLLRDNORM => libc::EPOLLRDNORM,
        poll::EPOLLRDBAND => libc::EPOLLRDBAND,
        poll::EPOLLWRNORM => libc::EPOLLWRNORM,
        poll::EPOLLWRBAND => libc::EPOLLWRBAND,
        poll::EPOLLMSG => libc::EPOLLMSG,
        poll::EPOLLRDHUP => libc::EPOLLRDHUP,
        poll::EPOLLEXCLUSIVE => libc::EPOLLEXCLUSIVE,
        poll::EPOLLWAKEUP => libc::EPOLLWAKEUP,
        poll::EPOLLONESHOT => libc::EPOLLONESHOT,
        poll::EPOLLET => libc::EPOLLET,
    }
}

#[test]
fn signal_matches_libc() {
    same! {
        signal::SIGHUP => libc::SIGHUP,
        signal::SIGINT => libc::SIGINT,
        signal::SIGQUIT => libc::SIGQUIT,
        signal::SIGILL => libc::SIGILL,
        signal::SIGTRAP => libc::SIGTRAP,
        signal::SIGABRT => libc::SIGABRT,
        signal::SIGIOT => libc::SIGIOT,
        signal::SIGBUS => libc::SIGBUS,
        signal::SIGFPE => libc::SIGFPE,
        signal::SIGKILL => libc::SIGKILL,
        signal::SIGUSR1 => libc::SIGUSR1,
        signal::SIGSEGV => libc::SIGSEGV,
        signal::SIGUSR2 => libc::SIGUSR2,
        signal::SIGPIPE => libc::SIGPIPE,
        signal::SIGALRM => libc::SIGALRM,
        signal::SIGTERM => libc::SIGTERM,
        signal::SIGSTKFLT => libc::SIGSTKFLT,
        signal::SIGCHLD => libc::SIGCHLD,
        signal::SIGCONT => libc::SIGCONT,
        signal::SIGSTOP => libc::SIGSTOP,
        signal::SIGTSTP => libc::SIGTSTP,
        signal::SIGTTIN => libc::SIGTTIN,
        signal::SIGTTOU => libc::SIGTTOU,
        signal::SIGURG => libc::SIGURG,
        signal::SIGXCPU => libc::SIGXCPU,
        signal::SIGXFSZ => libc::SIGXFSZ,
        signal::SIGVTALRM => libc::SIGVTALRM,
        signal::SIGPROF => libc::SIGPROF,
        signal::SIGWINCH => libc::SIGWINCH,
        signal::SIGIO => libc::SIGIO,
        signal::SIGPOLL => libc::SIGPOLL,
        signal::SIGPWR => libc::SIGPWR,
        signal::SIGSYS => libc::SIGSYS,
        signal::SIG_DFL => libc::SIG_DFL,
        signal::SIG_IGN => libc::SIG_IGN,
        signal::SA_NOCLDSTOP => libc::SA_NOCLDSTOP,
        signal::SA_NOCLDWAIT => libc::SA_NOCLDWAIT,
        signal::SA_SIGINFO => libc::SA_SIGINFO,
        signal::SA_ONSTACK => libc::SA_ONSTACK,
        signal::SA_RESTART => libc::SA_RESTART,
        signal::SA_NODEFER => libc::SA_NODEFER,
        signal::SA_RESETHAND => libc::SA_RESETHAND,
        signal::SIG_BLOCK => libc::SIG_BLOCK,
        signal::SIG_UNBLOCK => libc::SIG_UNBLOCK,
        signal::SIG_SETMASK => libc::SIG_SETMASK,
        signal::SS_ONSTACK => libc::SS_ONSTACK,
        signal::SS_DISABLE => libc::SS_DISABLE,
        signal::MINSIGSTKSZ => libc::MINSIGSTKSZ,
        signal::SI_USER => libc::SI_USER,
        signal::SI_KERNEL => libc::SI_KERNEL,
        signal::SI_QUEUE => libc::SI_QUEUE,
        signal::SI_TKILL => libc::SI_TKILL,
        signal::SI_TIMER => libc::SI_TIMER,
        signal::CLD_EXITED => libc::CLD_EXITED,
        signal::CLD_KILLED => libc::CLD_KILLED,
        signal::CLD_DUMPED => libc::CLD_DUMPED,
        signal::CLD_TRAPPED => libc::CLD_TRAPPED,
        signal::CLD_STOPPED => libc::CLD_STOPPED,
        signal::CLD_CONTINUED => libc::CLD_CONTINUED,
        signal::SIGINFO_SIZE => std::mem::size_of::<libc::siginfo_t>(),
        signal::SIGNALFD_SIGINFO_SIZE => std::mem::size_of::<libc::signalfd_siginfo>(),
    }
}

#[test]
fn wait_matches_libc() {
    same! {
        wait::WNOHANG => libc::WNOHANG,
        wait::PIDFD_NONBLOCK => libc::PIDFD_NONBLOCK,
        wait::PIDFD_SIGNAL_THREAD => libc::PIDFD_SIGNAL_THREAD,
        wait::PIDFD_SIGNAL_THREAD_GROUP => libc::PIDFD_SIGNAL_THREAD_GROUP,
        wait::PIDFD_SIGNAL_PROCESS_GROUP => libc::PIDFD_SIGNAL_PROCESS_GROUP,
        wait::WUNTRACED => libc::WUNTRACED,
        wait::WSTOPPED => libc::WSTOPPED,
        wait::WEXITED => libc::WEXITED,
        wait::WCONTINUED => libc::WCONTINUED,
        wait::WNOWAIT => libc::WNOWAIT,
        wait::WNOTHREAD => libc::__WNOTHREAD,
        wait::WALL => libc::__WALL,
        wait::WCLONE => libc::__WCLONE,
        wait::P_ALL => libc::P_ALL,
        wait::P_PID => libc::P_PID,
        wait::P_PGID => libc::P_PGID,
        wait::P_PIDFD => libc::P_PIDFD,
    }
}

#[test]
fn wait_statuses_match_libc() {
    for code in [0, 1, 42, 255, 256, -1] {
        let st = wait::exit_status(code);
        assert_eq!(st, libc::W_EXITCODE(code & 0xff, 0), "exit {code}");
        assert!(libc::WIFEXITED(st));
        assert_eq!(wait::exit_code(st), libc::WEXITSTATUS(st));
        assert_eq!(wait::term_signal(st), 0);
    }
    for sig in [1, 9, 11, 15, 31, 64] {
        let st = wait::signal_status(sig);
        assert!(
            libc::WIFSIGNALED(st) && !libc::WCOREDUMP(st),
            "signal {sig}"
        );
        assert_eq!(wait::term_signal(st), libc::WTERMSIG(st));
        assert_eq!(wait::term_signal(st), sig);
        let core = st | wait::WCOREFLAG;
        assert!(libc::WCOREDUMP(core));
        assert_eq!(wait::term_signal(core), sig);
    }
}

#[test]
fn clone_matches_libc() {
    same! {
        clone::CSIGNAL => libc::CSIGNAL,
        clone::CLONE_VM => libc::CLONE_VM,
        clone::CLONE_FS => libc::CLONE_FS,
        clone::CLONE_FILES => libc::CLONE_FILES,
        clone::CLONE_SIGHAND => libc::CLONE_SIGHAND,
        clone::CLONE_PIDFD => libc::CLONE_PIDFD,
        clone::CLONE_PTRACE => libc::CLONE_PTRACE,
        clone::CLONE_VFORK => libc::CLONE_VFORK,
        clone::CLONE_PARENT => libc::CLONE_PARENT,
        clone::CLONE_THREAD => libc::CLONE_THREAD,
        clone::CLONE_NEWNS => libc::CLONE_NEWNS,
        clone::CLONE_SYSVSEM => libc::CLONE_SYSVSEM,
        clone::CLONE_SETTLS => libc::CLONE_SETTLS,
        clone::CLONE_PARENT_SETTID => libc::CLONE_PARENT_SETTID,
        clone::CLONE_CHILD_CLEARTID => libc::CLONE_CHILD_CLEARTID,
        clone::CLONE_DETACHED => libc::CLONE_DETACHED,
        clone::CLONE_UNTRACED => libc::CLONE_UNTRACED,
        clone::CLONE_CHILD_SETTID => libc::CLONE_CHILD_SETTID,
        clone::CLONE_NEWCGROUP => libc::CLONE_NEWCGROUP,
        clone::CLONE_NEWUTS => libc::CLONE_NEWUTS,
        clone::CLONE_NEWIPC => libc::CLONE_NEWIPC,
        clone::CLONE_NEWUSER => libc::CLONE_NEWUSER,
        clone::CLONE_NEWPID => libc::CLONE_NEWPID,
        clone::CLONE_NEWNET => libc::CLONE_NEWNET,
        clone::CLONE_IO => libc::CLONE_IO,
    }
}

#[test]
fn socket_matches_libc() {
    same! {
        socket::AF_UNSPEC => libc::AF_UNSPEC,
        socket::AF_UNIX => libc::AF_UNIX,
        socket::AF_INET => libc::AF_INET,
        socket::AF_INET6 => libc::AF_INET6,
        socket::AF_NETLINK => libc::AF_NETLINK,
        socket::AF_PACKET => libc::AF_PACKET,
        socket::SOCK_STREAM => libc::SOCK_STREAM,
        socket::SOCK_DGRAM => libc::SOCK_DGRAM,
        socket::SOCK_RAW => libc::SOCK_RAW,
        socket::SOCK_SEQPACKET => libc::SOCK_SEQPACKET,
        socket::SOCK_NONBLOCK => libc::SOCK_NONBLOCK,
        socket::SOCK_CLOEXEC => libc::SOCK_CLOEXEC,
        socket::IPPROTO_IP => libc::IPPROTO_IP,
        socket::IPPROTO_TCP => libc::IPPROTO_TCP,
        socket::IPPROTO_UDP => libc::IPPROTO_UDP,
        socket::IPPROTO_IPV6 => libc::IPPROTO_IPV6,
        socket::SOL_SOCKET => libc::SOL_SOCKET,
        socket::SOL_IP => libc::SOL_IP,
        socket::SOL_TCP => libc::SOL_TCP,
        socket::SO_DEBUG => libc::SO_DEBUG,
        socket::SO_REUSEADDR => libc::SO_REUSEADDR,
        socket::SO_TYPE => libc::SO_TYPE,
        socket::SO_ERROR => libc::SO_ERROR,
        socket::SO_DONTROUTE => libc::SO_DONTROUTE,
        socket::SO_BROADCAST => libc::SO_BROADCAST,
        socket::SO_SNDBUF => libc::SO_SNDBUF,
        socket::SO_RCVBUF => libc::SO_RCVBUF,
        socket::SO_KEEPALIVE => libc::SO_KEEPALIVE,
        socket::SO_OOBINLINE => libc::SO_OOBINLINE,
        socket::SO_LINGER => libc::SO_LINGER,
        socket::SO_REUSEPORT => libc::SO_REUSEPORT,
        socket::SO_PASSCRED => libc::SO_PASSCRED,
        socket::SO_PEERCRED => libc::SO_PEERCRED,
        socket::SO_RCVLOWAT => libc::SO_RCVLOWAT,
        socket::SO_SNDLOWAT => libc::SO_SNDLOWAT,
        socket::SO_RCVTIMEO => libc::SO_RCVTIMEO,
        socket::SO_SNDTIMEO => libc::SO_SNDTIMEO,
        socket::SO_ACCEPTCONN => libc::SO_ACCEPTCONN,
        socket::SO_SNDBUFFORCE => libc::SO_SNDBUFFORCE,
        socket::SO_RCVBUFFORCE => libc::SO_RCVBUFFORCE,
        socket::SO_PROTOCOL => libc::SO_PROTOCOL,
        socket::SO_DOMAIN => libc::SO_DOMAIN,
        socket::SCM_RIGHTS => libc::SCM_RIGHTS,
        socket::SCM_CREDENTIALS => libc::SCM_CREDENTIALS,
        socket::IP_TOS => libc::IP_TOS,
        socket::IP_TTL => libc::IP_TTL,
        socket::IP_FREEBIND => libc::IP_FREEBIND,
        socket::IPV6_FREEBIND => libc::IPV6_FREEBIND,
        socket::IPV6_UNICAST_HOPS => libc::IPV6_UNICAST_HOPS,
        socket::IPV6_MULTICAST_HOPS => libc::IPV6_MULTICAST_HOPS,
        socket::IPV6_MULTICAST_LOOP => libc::IPV6_MULTICAST_LOOP,
        socket::IPV6_V6ONLY => libc::IPV6_V6ONLY,
        socket::IPV6_TCLASS => libc::IPV6_TCLASS,
        socket::IP_MULTICAST_TTL => libc::IP_MULTICAST_TTL,
        socket::IP_MULTICAST_LOOP => libc::IP_MULTICAST_LOOP,
        socket::TCP_NODELAY => libc::TCP_NODELAY,
        socket::TCP_MAXSEG => libc::TCP_MAXSEG,
        socket::TCP_KEEPIDLE => libc::TCP_KEEPIDLE,
        socket::TCP_KEEPINTVL => libc::TCP_KEEPINTVL,
        socket::TCP_KEEPCNT => libc::TCP_KEEPCNT,
        socket::MSG_OOB => libc::MSG_OOB,
        socket::MSG_PEEK => libc::MSG_PEEK,
        socket::MSG_DONTROUTE => libc::MSG_DONTROUTE,
        socket::MSG_CTRUNC => libc::MSG_CTRUNC,
        socket::MSG_TRUNC => libc::MSG_TRUNC,
        socket::MSG_DONTWAIT => libc::MSG_DONTWAIT,
        socket::MSG_EOR => libc::MSG_EOR,
        socket::MSG_WAITALL => libc::MSG_WAITALL,
        socket::MSG_NOSIGNAL => libc::MSG_NOSIGNAL,
        socket::MSG_WAITFORONE => libc::MSG_WAITFORONE,
        socket::MSG_MORE => libc::MSG_MORE,
        socket::MSG_CMSG_CLOEXEC => libc::MSG_CMSG_CLOEXEC,
        socket::SHUT_RD => libc::SHUT_RD,
        socket::SHUT_WR => libc::SHUT_WR,
        socket::SHUT_RDWR => libc::SHUT_RDWR,
    }
}

#[test]
fn ioctl_matches_libc() {
    same! {
        ioctl::TCGETS => libc::TCGETS,
        ioctl::TCSETS => libc::TCSETS,
        ioctl::TCSETSW => libc::TCSETSW,
        ioctl::TCSETSF => libc::TCSETSF,
        ioctl::TIOCSCTTY => libc::TIOCSCTTY,
        ioctl::TIOCGPGRP => libc::TIOCGPGRP,
        ioctl::TIOCSPGRP => libc::TIOCSPGRP,
        ioctl::TIOCOUTQ => libc::TIOCOUTQ,
        ioctl::TIOCGWINSZ => libc::TIOCGWINSZ,
        ioctl::TIOCSWINSZ => libc::TIOCSWINSZ,
        ioctl::TIOCNOTTY => libc::TIOCNOTTY,
        ioctl::FIONREAD => libc::FIONREAD,
        ioctl::FIONBIO => libc::FIONBIO,
        ioctl::FIONCLEX => libc::FIONCLEX,
        ioctl::FIOCLEX => libc::FIOCLEX,
        ioctl::SIOCINQ => libc::FIONREAD,
        ioctl::SIOCOUTQ => libc::TIOCOUTQ,
        ioctl::SIOCGIFNAME => libc::SIOCGIFNAME,
        ioctl::SIOCGIFINDEX => libc::SIOCGIFINDEX,
        ioctl::IFREQ_SIZE => std::mem::size_of::<libc::ifreq>(),
        ioctl::IFNAMSIZ => libc::IFNAMSIZ,
    }
}

#[test]
fn mman_matches_libc() {
    same! {
        mman::PROT_NONE => libc::PROT_NONE,
        mman::PROT_READ => libc::PROT_READ,
        mman::PROT_WRITE => libc::PROT_WRITE,
        mman::PROT_EXEC => libc::PROT_EXEC,
        mman::PROT_GROWSDOWN => libc::PROT_GROWSDOWN,
        mman::PROT_GROWSUP => libc::PROT_GROWSUP,
        mman::MAP_SHARED => libc::MAP_SHARED,
        mman::MAP_PRIVATE => libc::MAP_PRIVATE,
        mman::MAP_SHARED_VALIDATE => libc::MAP_SHARED_VALIDATE,
        mman::MAP_TYPE => libc::MAP_TYPE,
        mman::MAP_FIXED => libc::MAP_FIXED,
        mman::MAP_ANONYMOUS => libc::MAP_ANONYMOUS,
        mman::MAP_32BIT => libc::MAP_32BIT,
        mman::MAP_GROWSDOWN => libc::MAP_GROWSDOWN,
        mman::MAP_DENYWRITE => libc::MAP_DENYWRITE,
        mman::MAP_EXECUTABLE => libc::MAP_EXECUTABLE,
        mman::MAP_LOCKED => libc::MAP_LOCKED,
        mman::MAP_NORESERVE => libc::MAP_NORESERVE,
        mman::MAP_POPULATE => libc::MAP_POPULATE,
        mman::MAP_NONBLOCK => libc::MAP_NONBLOCK,
        mman::MAP_STACK => libc::MAP_STACK,
        mman::MAP_HUGETLB => libc::MAP_HUGETLB,
        mman::MAP_SYNC => libc::MAP_SYNC,
        mman::MAP_FIXED_NOREPLACE => libc::MAP_FIXED_NOREPLACE,
        mman::MREMAP_MAYMOVE => libc::MREMAP_MAYMOVE,
        mman::MREMAP_FIXED => libc::MREMAP_FIXED,
        mman::MREMAP_DONTUNMAP => libc::MREMAP_DONTUNMAP,
        mman::MADV_NORMAL => libc::MADV_NORMAL,
        mman::MADV_RANDOM => libc::MADV_RANDOM,
        mman::MADV_SEQUENTIAL => libc::MADV_SEQUENTIAL,
        mman::MADV_WILLNEED => libc::MADV_WILLNEED,
        mman::MADV_DONTNEED => libc::MADV_DONTNEED,
        mman::MADV_FREE => libc::MADV_FREE,
        mman::MADV_REMOVE => libc::MADV_REMOVE,
        mman::MADV_DONTFORK => libc::MADV_DONTFORK,
        mman::MADV_DOFORK => libc::MADV_DOFORK,
        mman::MADV_HUGEPAGE => libc::MADV_HUGEPAGE,
        mman::MADV_NOHUGEPAGE => libc::MADV_NOHUGEPAGE,
        mman::MS_ASYNC => libc::MS_ASYNC,
        mman::MS_INVALIDATE => libc::MS_INVALIDATE,
        mman::MS_SYNC => libc::MS_SYNC,
        mman::MFD_CLOEXEC => libc::MFD_CLOEXEC,
        mman::MFD_ALLOW_SEALING => libc::MFD_ALLOW_SEALING,
    }
}

#[test]
fn eventfd_matches_libc() {
    same! {
        eventfd::EFD_SEMAPHORE => libc::EFD_SEMAPHORE,
        eventfd::EFD_CLOEXEC => libc::EFD_CLOEXEC,
        eventfd::EFD_NONBLOCK => libc::EFD_NONBLOCK,
    }
}

#[test]
fn limits_matches_libc() {
    same! {
        limits::PATH_MAX => libc::PATH_MAX,
        limits::NAME_MAX => libc::NAME_MAX,
        limits::PIPE_BUF => libc::PIPE_BUF,
        limits::UIO_MAXIOV => libc::UIO_MAXIOV,
    }
}

#[test]
fn termios_matches_libc() {
    same! {
        termios::INLCR => libc::INLCR,
        termios::IGNCR => libc::IGNCR,
        termios::ICRNL => libc::ICRNL,
        termios::ECHONL => libc::ECHONL,
        termios::NOFLSH => libc::NOFLSH,
        termios::VINTR => libc::VINTR,
        termios::VQUIT => libc::VQUIT,
        termios::VERASE => libc::VERASE,
        termios::VKILL => libc::VKILL,
        termios::VEOF => libc::VEOF,
        termios::VTIME => libc::VTIME,
        termios::VMIN => libc::VMIN,
        termios::VSUSP => libc::VSUSP,
        termios::VSTART => libc::VSTART,
        termios::VSTOP => libc::VSTOP,
        termios::IUTF8 => libc::IUTF8,
        termios::VEOL => libc::VEOL,
        termios::VWERASE => libc::VWERASE,
        termios::VEOL2 => libc::VEOL2,
        termios::IXON => libc::IXON,
        termios::OPOST => libc::OPOST,
        termios::ONLCR => libc::ONLCR,
        termios::B38400 => libc::B38400,
        termios::CS8 => libc::CS8,
        termios::CREAD => libc::CREAD,
        termios::HUPCL => libc::HUPCL,
        termios::ISIG => libc::ISIG,
        termios::ICANON => libc::ICANON,
        termios::ECHO => libc::ECHO,
        termios::ECHOE => libc::ECHOE,
        termios::ECHOK => libc::ECHOK,
        termios::ECHOCTL => libc::ECHOCTL,
        termios::ECHOKE => libc::ECHOKE,
        termios::IEXTEN => libc::IEXTEN,
    }
}

#[test]
fn time_matches_libc() {
    same! {
        time::CLOCK_REALTIME => libc::CLOCK_REALTIME,
        time::CLOCK_MONOTONIC => libc::CLOCK_MONOTONIC,
        time::CLOCK_PROCESS_CPUTIME_ID => libc::CLOCK_PROCESS_CPUTIME_ID,
        time::CLOCK_THREAD_CPUTIME_ID => libc::CLOCK_THREAD_CPUTIME_ID,
        time::CLOCK_MONOTONIC_RAW => libc::CLOCK_MONOTONIC_RAW,
        time::CLOCK_REALTIME_COARSE => libc::CLOCK_REALTIME_COARSE,
        time::CLOCK_MONOTONIC_COARSE => libc::CLOCK_MONOTONIC_COARSE,
        time::CLOCK_BOOTTIME => libc::CLOCK_BOOTTIME,
        time::CLOCK_REALTIME_ALARM => libc::CLOCK_REALTIME_ALARM,
        time::CLOCK_BOOTTIME_ALARM => libc::CLOCK_BOOTTIME_ALARM,
        time::CLOCK_TAI => libc::CLOCK_TAI,
        time::TIMER_ABSTIME => libc::TIMER_ABSTIME,
        time::TFD_TIMER_ABSTIME => libc::TFD_TIMER_ABSTIME,
        time::TFD_TIMER_CANCEL_ON_SET => libc::TFD_TIMER_CANCEL_ON_SET,
        time::ITIMER_REAL => libc::ITIMER_REAL,
        time::ITIMER_VIRTUAL => libc::ITIMER_VIRTUAL,
        time::ITIMER_PROF => libc::ITIMER_PROF,
    }
    // SAFETY: sysconf only reads its integer argument.
    let clk_tck = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    same! {
        time::USER_HZ => clk_tck,
    }
}

#[test]
fn random_matches_libc() {
    same! {
        random::GRND_NONBLOCK => libc::GRND_NONBLOCK,
        random::GRND_RANDOM => libc::GRND_RANDOM,
        random::GRND_INSECURE => libc::GRND_INSECURE,
    }
}

#[test]
fn futex_matches_libc() {
    same! {
        futex::FUTEX_WAIT => libc::FUTEX_WAIT,
        futex::FUTEX_WAKE => libc::FUTEX_WAKE,
        futex::FUTEX_FD => libc::FUTEX_FD,
        futex::FUTEX_REQUEUE => libc::FUTEX_REQUEUE,
        futex::FUTEX_CMP_REQUEUE => libc::FUTEX_CMP_REQUEUE,
        futex::FUTEX_WAKE_OP => libc::FUTEX_WAKE_OP,
        futex::FUTEX_LOCK_PI => libc::FUTEX_LOCK_PI,
        futex::FUTEX_UNLOCK_PI => libc::FUTEX_UNLOCK_PI,
        futex::FUTEX_TRYLOCK_PI => libc::FUTEX_TRYLOCK_PI,
        futex::FUTEX_WAIT_BITSET => libc::FUTEX_WAIT_BITSET,
        futex::FUTEX_WAKE_BITSET => libc::FUTEX_WAKE_BITSET,
        futex::FUTEX_WAIT_REQUEUE_PI => libc::FUTEX_WAIT_REQUEUE_PI,
        futex::FUTEX_CMP_REQUEUE_PI => libc::FUTEX_CMP_REQUEUE_PI,
        futex::FUTEX_LOCK_PI2 => libc::FUTEX_LOCK_PI2,
        futex::FUTEX_PRIVATE_FLAG => libc::FUTEX_PRIVATE_FLAG,
        futex::FUTEX_CLOCK_REALTIME => libc::FUTEX_CLOCK_REALTIME,
    }
}

#[test]
fn prctl_matches_libc() {
    same! {
        prctl::PR_SET_PDEATHSIG => libc::PR_SET_PDEATHSIG,
        prctl::PR_GET_PDEATHSIG => libc::PR_GET_PDEATHSIG,
        prctl::PR_GET_DUMPABLE => libc::PR_GET_DUMPABLE,
        prctl::PR_SET_DUMPABLE => libc::PR_SET_DUMPABLE,
        prctl::PR_SET_NAME => libc::PR_SET_NAME,
        prctl::PR_GET_NAME => libc::PR_GET_NAME,
        prctl::PR_GET_KEEPCAPS => libc::PR_GET_KEEPCAPS,
        prctl::PR_SET_KEEPCAPS => libc::PR_SET_KEEPCAPS,
        prctl::PR_GET_TIMERSLACK => libc::PR_GET_TIMERSLACK,
        prctl::PR_SET_TIMERSLACK => libc::PR_SET_TIMERSLACK,
        prctl::PR_SET_CHILD_SUBREAPER => libc::PR_SET_CHILD_SUBREAPER,
        prctl::PR_GET_CHILD_SUBREAPER => libc::PR_GET_CHILD_SUBREAPER,
        prctl::PR_SET_NO_NEW_PRIVS => libc::PR_SET_NO_NEW_PRIVS,
        prctl::PR_GET_NO_NEW_PRIVS => libc::PR_GET_NO_NEW_PRIVS,
        prctl::PR_GET_TID_ADDRESS => libc::PR_GET_TID_ADDRESS,
    }
}

#[test]
fn auxv_matches_libc() {
    same! {
        auxv::AT_NULL => libc::AT_NULL,
        auxv::AT_IGNORE => libc::AT_IGNORE,
        auxv::AT_EXECFD => libc::AT_EXECFD,
        auxv::AT_PHDR => libc::AT_PHDR,
        auxv::AT_PHENT => libc::AT_PHENT,
        auxv::AT_PHNUM => libc::AT_PHNUM,
        auxv::AT_PAGESZ => libc::AT_PAGESZ,
        auxv::AT_BASE => libc::AT_BASE,
        auxv::AT_FLAGS => libc::AT_FLAGS,
        auxv::AT_ENTRY => libc::AT_ENTRY,
        auxv::AT_NOTELF => libc::AT_NOTELF,
        auxv::AT_UID => libc::AT_UID,
        auxv::AT_EUID => libc::AT_EUID,
        auxv::AT_GID => libc::AT_GID,
        auxv::AT_EGID => libc::AT_EGID,
        auxv::AT_PLATFORM => libc::AT_PLATFORM,
        auxv::AT_HWCAP => libc::AT_HWCAP,
        auxv::AT_CLKTCK => libc::AT_CLKTCK,
        auxv::AT_SECURE => libc::AT_SECURE,
        auxv::AT_BASE_PLATFORM => libc::AT_BASE_PLATFORM,
        auxv::AT_RANDOM => libc::AT_RANDOM,
        auxv::AT_HWCAP2 => libc::AT_HWCAP2,
        auxv::AT_EXECFN => libc::AT_EXECFN,
        auxv::AT_SYSINFO_EHDR => libc::AT_SYSINFO_EHDR,
        auxv::AT_MINSIGSTKSZ => libc::AT_MINSIGSTKSZ,
    }
}

#[test]
fn resource_matches_libc() {
    same! {
        resource::RLIMIT_CPU => libc::RLIMIT_CPU,
        resource::RLIMIT_FSIZE => libc::RLIMIT_FSIZE,
        resource::RLIMIT_DATA => libc::RLIMIT_DATA,
        resource::RLIMIT_STACK => libc::RLIMIT_STACK,
        resource::RLIMIT_CORE => libc::RLIMIT_CORE,
        resource::RLIMIT_RSS => libc::RLIMIT_RSS,
        resource::RLIMIT_NPROC => libc::RLIMIT_NPROC,
        resource::RLIMIT_NOFILE => libc::RLIMIT_NOFILE,
        resource::RLIMIT_MEMLOCK => libc::RLIMIT_MEMLOCK,
        resource::RLIMIT_AS => libc::RLIMIT_AS,
        resource::RLIMIT_LOCKS => libc::RLIMIT_LOCKS,
        resource::RLIMIT_SIGPENDING => libc::RLIMIT_SIGPENDING,
        resource::RLIMIT_MSGQUEUE => libc::RLIMIT_MSGQUEUE,
        resource::RLIMIT_NICE => libc::RLIMIT_NICE,
        resource::RLIMIT_RTPRIO => libc::RLIMIT_RTPRIO,
        resource::RLIMIT_RTTIME => libc::RLIMIT_RTTIME,
        resource::RLIM_INFINITY => libc::RLIM_INFINITY,
        resource::RUSAGE_SELF => libc::RUSAGE_SELF,
        resource::RUSAGE_CHILDREN => libc::RUSAGE_CHILDREN,
        resource::RUSAGE_THREAD => libc::RUSAGE_THREAD,
        resource::RUSAGE_SIZE => std::mem::size_of::<libc::rusage>(),
    }
}

/// The value of `#define name <integer>` in a C header, if the header
/// defines it as a plain (possibly cast or suffixed) integer.
fn header_define(header: &str, name: &str) -> Option<i128> {
    header.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("#define")?.trim_start();
        let rest = rest.strip_prefix(name)?;
        if !rest.starts_with([' ', '\t']) {
            return None;
        }
        let value = rest.split("/*").next()?.trim();
        let value = value.rsplit(')').next()?.trim();
        let value = value.trim_end_matches(['U', 'L', 'u', 'l']);
        if let Some(hex) = value.strip_prefix("0x") {
            i128::from_str_radix(hex, 16).ok()
        } else if value.len() > 1 && value.starts_with('0') {
            i128::from_str_radix(&value[1..], 8).ok()
        } else {
            value.parse().ok()
        }
    })
}

#[test]
fn header_define_reads_the_forms_linux_uses() {
    let h = "#define A\t0x100000000ULL /* x */\n#define AB 00100000\n#define C (__poll_t)0x00000020\n#define D 7\n";
    assert_eq!(header_define(h, "A"), Some(0x1_0000_0000));
    assert_eq!(header_define(h, "AB"), Some(0o100000));
    assert_eq!(header_define(h, "C"), Some(0x20));
    assert_eq!(header_define(h, "D"), Some(7));
    assert_eq!(header_define(h, "E"), None);
}

/// Values the libc crate does not carry (`SA_RESTORER`, `ARCH_*`) or
/// carries with glibc's userspace meaning (`O_LARGEFILE` is 0 there) or
/// truncated (`CLONE_CLEAR_SIGHAND` does not fit its `c_int`), against
/// the installed Linux UAPI headers (Debian's linux-libc-dev).
#[test]
fn linux_headers_agree() {
    let checks: &[(&str, &str, i128)] = &[
        (
            "asm-generic/fcntl.h",
            "O_LARGEFILE",
            fcntl::O_LARGEFILE.value(),
        ),
        (
            "linux/sched.h",
            "CLONE_CLEAR_SIGHAND",
            clone::CLONE_CLEAR_SIGHAND.value(),
        ),
        (
            "linux/sched.h",
            "CLONE_INTO_CGROUP",
            clone::CLONE_INTO_CGROUP.value(),
        ),
        (
            "x86_64-linux-gnu/asm/signal.h",
            "SA_RESTORER",
            signal::SA_RESTORER.value(),
        ),
        (
            "linux/futex.h",
            "FUTEX_BITSET_MATCH_ANY",
            futex::FUTEX_BITSET_MATCH_ANY.value(),
        ),
        ("linux/magic.h", "PIPEFS_MAGIC", stat::PIPEFS_MAGIC.value()),
        (
            "asm-generic/resource.h",
            "RLIM_NLIMITS",
            resource::RLIM_NLIMITS.value(),
        ),
        (
            "x86_64-linux-gnu/asm/prctl.h",
            "ARCH_SET_GS",
            prctl::ARCH_SET_GS.value(),
        ),
        (
            "x86_64-linux-gnu/asm/prctl.h",
            "ARCH_SET_FS",
            prctl::ARCH_SET_FS.value(),
        ),
        (
            "x86_64-linux-gnu/asm/prctl.h",
            "ARCH_GET_FS",
            prctl::ARCH_GET_FS.value(),
        ),
        (
            "x86_64-linux-gnu/asm/prctl.h",
            "ARCH_GET_GS",
            prctl::ARCH_GET_GS.value(),
        ),
        ("asm-generic/signal.h", "SIGRTMIN", signal::SIGRTMIN.value()),
        ("asm-generic/signal.h", "_NSIG", signal::NSIG.value()),
    ];
    let mut wrong = Vec::new();
    for &(file, name, ours) in checks {
        let path = format!("/usr/include/{file}");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("SKIP {name}: no {path} (install linux-libc-dev)");
            continue;
        };
        match header_define(&text, name) {
            Some(v) if v == ours => {}
            found => wrong.push(format!("{name} = {ours:#x}, {path} has {found:?}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every syscall number libc knows for x86_64, and the name `nr::name`
/// gives it.
#[test]
fn syscall_numbers_match_libc() {
    let table: &[(usize, libc::c_long, &str)] = &[
        (nr::READ, libc::SYS_read, "read"),
        (nr::WRITE, libc::SYS_write, "write"),
        (nr::OPEN, libc::SYS_open, "open"),
        (nr::CLOSE, libc::SYS_close, "close"),
        (nr::STAT, libc::SYS_stat, "stat"),
        (nr::FSTAT, libc::SYS_fstat, "fstat"),
        (nr::LSTAT, libc::SYS_lstat, "lstat"),
        (nr::POLL, libc::SYS_poll, "poll"),
        (nr::LSEEK, libc::SYS_lseek, "lseek"),
        (nr::MMAP, libc::SYS_mmap, "mmap"),
        (nr::MPROTECT, libc::SYS_mprotect, "mprotect"),
        (nr::MUNMAP, libc::SYS_munmap, "munmap"),
        (nr::BRK, libc::SYS_brk, "brk"),
        (nr::RT_SIGACTION, libc::SYS_rt_sigaction, "rt_sigaction"),
        (
            nr::RT_SIGPROCMASK,
            libc::SYS_rt_sigprocmask,
            "rt_sigprocmask",
        ),
        (nr::RT_SIGRETURN, libc::SYS_rt_sigreturn, "rt_sigreturn"),
        (nr::IOCTL, libc::SYS_ioctl, "ioctl"),
        (nr::PREAD64, libc::SYS_pread64, "pread64"),
        (nr::PWRITE64, libc::SYS_pwrite64, "pwrite64"),
        (nr::READV, libc::SYS_readv, "readv"),
        (nr::WRITEV, libc::SYS_writev, "writev"),
        (nr::ACCESS, libc::SYS_access, "access"),
        (nr::PIPE, libc::SYS_pipe, "pipe"),
        (nr::SELECT, libc::SYS_select, "select"),
        (nr::SCHED_YIELD, libc::SYS_sched_yield, "sched_yield"),
        (nr::MREMAP, libc::SYS_mremap, "mremap"),
        (nr::MSYNC, libc::SYS_msync, "msync"),
        (nr::MINCORE, libc::SYS_mincore, "mincore"),
        (nr::MADVISE, libc::SYS_madvise, "madvise"),
        (nr::SHMGET, libc::SYS_shmget, "shmget"),
        (nr::SHMAT, libc::SYS_shmat, "shmat"),
        (nr::SHMCTL, libc::SYS_shmctl, "shmctl"),
        (nr::DUP, libc::SYS_dup, "dup"),
        (nr::DUP2, libc::SYS_dup2, "dup2"),
        (nr::PAUSE, libc::SYS_pause, "pause"),
        (nr::NANOSLEEP, libc::SYS_nanosleep, "nanosleep"),
        (nr::GETITIMER, libc::SYS_getitimer, "getitimer"),
        (nr::ALARM, libc::SYS_alarm, "alarm"),
        (nr::SETITIMER, libc::SYS_setitimer, "setitimer"),
        (nr::GETPID, libc::SYS_getpid, "getpid"),
        (nr::SENDFILE, libc::SYS_sendfile, "sendfile"),
        (nr::SOCKET, libc::SYS_socket, "socket"),
        (nr::CONNECT, libc::SYS_connect, "connect"),
        (nr::ACCEPT, libc::SYS_accept, "accept"),
        (nr::SENDTO, libc::SYS_sendto, "sendto"),
        (nr::RECVFROM, libc::SYS_recvfrom, "recvfrom"),
        (nr::SENDMSG, libc::SYS_sendmsg, "sendmsg"),
        (nr::RECVMSG, libc::SYS_recvmsg, "recvmsg"),
        (nr::SHUTDOWN, libc::SYS_shutdown, "shutdown"),
        (nr::BIND, libc::SYS_bind, "bind"),
        (nr::LISTEN, libc::SYS_listen, "listen"),
        (nr::GETSOCKNAME, libc::SYS_getsockname, "getsockname"),
        (nr::GETPEERNAME, libc::SYS_getpeername, "getpeername"),
        (nr::SOCKETPAIR, libc::SYS_socketpair, "socketpair"),
        (nr::SETSOCKOPT, libc::SYS_setsockopt, "setsockopt"),
        (nr::GETSOCKOPT, libc::SYS_getsockopt, "getsockopt"),
        (nr::CLONE, libc::SYS_clone, "clone"),
        (nr::FORK, libc::SYS_fork, "fork"),
        (nr::VFORK, libc::SYS_vfork, "vfork"),
        (nr::EXECVE, libc::SYS_execve, "execve"),
        (nr::EXIT, libc::SYS_exit, "exit"),
        (nr::WAIT4, libc::SYS_wait4, "wait4"),
        (nr::KILL, libc::SYS_kill, "kill"),
        (nr::UNAME, libc::SYS_uname, "uname"),
        (nr::SEMGET, libc::SYS_semget, "semget"),
        (nr::SEMOP, libc::SYS_semop, "semop"),
        (nr::SEMCTL, libc::SYS_semctl, "semctl"),
        (nr::SHMDT, libc::SYS_shmdt, "shmdt"),
        (nr::MSGGET, libc::SYS_msgget, "msgget"),
        (nr::MSGSND, libc::SYS_msgsnd, "msgsnd"),
        (nr::MSGRCV, libc::SYS_msgrcv, "msgrcv"),
        (nr::MSGCTL, libc::SYS_msgctl, "msgctl"),
        (nr::FCNTL, libc::SYS_fcntl, "fcntl"),
        (nr::FLOCK, libc::SYS_flock, "flock"),
        (nr::FSYNC, libc::SYS_fsync, "fsync"),
        (nr::FDATASYNC, libc::SYS_fdatasync, "fdatasync"),
        (nr::TRUNCATE, libc::SYS_truncate, "truncate"),
        (nr::FTRUNCATE, libc::SYS_ftruncate, "ftruncate"),
        (nr::GETDENTS, libc::SYS_getdents, "getdents"),
        (nr::GETCWD, libc::SYS_getcwd, "getcwd"),
        (nr::CHDIR, libc::SYS_chdir, "chdir"),
        (nr::FCHDIR, libc::SYS_fchdir, "fchdir"),
        (nr::RENAME, libc::SYS_rename, "rename"),
        (nr::MKDIR, libc::SYS_mkdir, "mkdir"),
        (nr::RMDIR, libc::SYS_rmdir, "rmdir"),
        (nr::CREAT, libc::SYS_creat, "creat"),
        (nr::LINK, libc::SYS_link, "link"),
        (nr::UNLINK, libc::SYS_unlink, "unlink"),
        (nr::SYMLINK, libc::SYS_symlink, "symlink"),
        (nr::READLINK, libc::SYS_readlink, "readlink"),
        (nr::CHMOD, libc::SYS_chmod, "chmod"),
        (nr::FCHMOD, libc::SYS_fchmod, "fchmod"),
        (nr::CHOWN, libc::SYS_chown, "chown"),
        (nr::FCHOWN, libc::SYS_fchown, "fchown"),
        (nr::LCHOWN, libc::SYS_lchown, "lchown"),
        (nr::UMASK, libc::SYS_umask, "umask"),
        (nr::GETTIMEOFDAY, libc::SYS_gettimeofday, "gettimeofday"),
        (nr::GETRLIMIT, libc::SYS_getrlimit, "getrlimit"),
        (nr::GETRUSAGE, libc::SYS_getrusage, "getrusage"),
        (nr::SYSINFO, libc::SYS_sysinfo, "sysinfo"),
        (nr::TIMES, libc::SYS_times, "times"),
        (nr::PTRACE, libc::SYS_ptrace, "ptrace"),
        (nr::GETUID, libc::SYS_getuid, "getuid"),
        (nr::SYSLOG, libc::SYS_syslog, "syslog"),
        (nr::GETGID, libc::SYS_getgid, "getgid"),
        (nr::SETUID, libc::SYS_setuid, "setuid"),
        (nr::SETGID, libc::SYS_setgid, "setgid"),
        (nr::GETEUID, libc::SYS_geteuid, "geteuid"),
        (nr::GETEGID, libc::SYS_getegid, "getegid"),
        (nr::SETPGID, libc::SYS_setpgid, "setpgid"),
        (nr::GETPPID, libc::SYS_getppid, "getppid"),
        (nr::GETPGRP, libc::SYS_getpgrp, "getpgrp"),
        (nr::SETSID, libc::SYS_setsid, "setsid"),
        (nr::SETREUID, libc::SYS_setreuid, "setreuid"),
        (nr::SETREGID, libc::SYS_setregid, "setregid"),
        (nr::GETGROUPS, libc::SYS_getgroups, "getgroups"),
        (nr::SETGROUPS, libc::SYS_setgroups, "setgroups"),
        (nr::SETRESUID, libc::SYS_setresuid, "setresuid"),
        (nr::GETRESUID, libc::SYS_getresuid, "getresuid"),
        (nr::SETRESGID, libc::SYS_setresgid, "setresgid"),
        (nr::GETRESGID, libc::SYS_getresgid, "getresgid"),
        (nr::GETPGID, libc::SYS_getpgid, "getpgid"),
        (nr::SETFSUID, libc::SYS_setfsuid, "setfsuid"),
        (nr::SETFSGID, libc::SYS_setfsgid, "setfsgid"),
        (nr::GETSID, libc::SYS_getsid, "getsid"),
        (nr::CAPGET, libc::SYS_capget, "capget"),
        (nr::CAPSET, libc::SYS_capset, "capset"),
        (nr::RT_SIGPENDING, libc::SYS_rt_sigpending, "rt_sigpending"),
        (
            nr::RT_SIGTIMEDWAIT,
            libc::SYS_rt_sigtimedwait,
            "rt_sigtimedwait",
        ),
        (
            nr::RT_SIGQUEUEINFO,
            libc::SYS_rt_sigqueueinfo,
            "rt_sigqueueinfo",
        ),
        (nr::RT_SIGSUSPEND, libc::SYS_rt_sigsuspend, "rt_sigsuspend"),
        (nr::SIGALTSTACK, libc::SYS_sigaltstack, "sigaltstack"),
        (nr::UTIME, libc::SYS_utime, "utime"),
        (nr::MKNOD, libc::SYS_mknod, "mknod"),
        (nr::USELIB, libc::SYS_uselib, "uselib"),
        (nr::PERSONALITY, libc::SYS_personality, "personality"),
        (nr::USTAT, libc::SYS_ustat, "ustat"),
        (nr::STATFS, libc::SYS_statfs, "statfs"),
        (nr::FSTATFS, libc::SYS_fstatfs, "fstatfs"),
        (nr::SYSFS, libc::SYS_sysfs, "sysfs"),
        (nr::GETPRIORITY, libc::SYS_getpriority, "getpriority"),
        (nr::SETPRIORITY, libc::SYS_setpriority, "setpriority"),
        (
            nr::SCHED_SETPARAM,
            libc::SYS_sched_setparam,
            "sched_setparam",
        ),
        (
            nr::SCHED_GETPARAM,
            libc::SYS_sched_getparam,
            "sched_getparam",
        ),
        (
            nr::SCHED_SETSCHEDULER,
            libc::SYS_sched_setscheduler,
            "sched_setscheduler",
        ),
        (
            nr::SCHED_GETSCHEDULER,
            libc::SYS_sched_getscheduler,
            "sched_getscheduler",
        ),
        (
            nr::SCHED_GET_PRIORITY_MAX,
            libc::SYS_sched_get_priority_max,
            "sched_get_priority_max",
        ),
        (
            nr::SCHED_GET_PRIORITY_MIN,
            libc::SYS_sched_get_priority_min,
            "sched_get_priority_min",
        ),
        (
            nr::SCHED_RR_GET_INTERVAL,
            libc::SYS_sched_rr_get_interval,
            "sched_rr_get_interval",
        ),
        (nr::MLOCK, libc::SYS_mlock, "mlock"),
        (nr::MUNLOCK, libc::SYS_munlock, "munlock"),
        (nr::MLOCKALL, libc::SYS_mlockall, "mlockall"),
        (nr::MUNLOCKALL, libc::SYS_munlockall, "munlockall"),
        (nr::VHANGUP, libc::SYS_vhangup, "vhangup"),
        (nr::MODIFY_LDT, libc::SYS_modify_ldt, "modify_ldt"),
        (nr::PIVOT_ROOT, libc::SYS_pivot_root, "pivot_root"),
        (nr::SYSCTL, libc::SYS__sysctl, "_sysctl"),
        (nr::PRCTL, libc::SYS_prctl, "prctl"),
        (nr::ARCH_PRCTL, libc::SYS_arch_prctl, "arch_prctl"),
        (nr::ADJTIMEX, libc::SYS_adjtimex, "adjtimex"),
        (nr::SETRLIMIT, libc::SYS_setrlimit, "setrlimit"),
        (nr::CHROOT, libc::SYS_chroot, "chroot"),
        (nr::SYNC, libc::SYS_sync, "sync"),
        (nr::ACCT, libc::SYS_acct, "acct"),
        (nr::SETTIMEOFDAY, libc::SYS_settimeofday, "settimeofday"),
        (nr::MOUNT, libc::SYS_mount, "mount"),
        (nr::UMOUNT2, libc::SYS_umount2, "umount2"),
        (nr::SWAPON, libc::SYS_swapon, "swapon"),
        (nr::SWAPOFF, libc::SYS_swapoff, "swapoff"),
        (nr::REBOOT, libc::SYS_reboot, "reboot"),
        (nr::SETHOSTNAME, libc::SYS_sethostname, "sethostname"),
        (nr::SETDOMAINNAME, libc::SYS_setdomainname, "setdomainname"),
        (nr::IOPL, libc::SYS_iopl, "iopl"),
        (nr::IOPERM, libc::SYS_ioperm, "ioperm"),
        (nr::INIT_MODULE, libc::SYS_init_module, "init_module"),
        (nr::DELETE_MODULE, libc::SYS_delete_module, "delete_module"),
        (nr::QUOTACTL, libc::SYS_quotactl, "quotactl"),
        (nr::NFSSERVCTL, libc::SYS_nfsservctl, "nfsservctl"),
        (nr::GETPMSG, libc::SYS_getpmsg, "getpmsg"),
        (nr::PUTPMSG, libc::SYS_putpmsg, "putpmsg"),
        (nr::AFS_SYSCALL, libc::SYS_afs_syscall, "afs_syscall"),
        (nr::TUXCALL, libc::SYS_tuxcall, "tuxcall"),
        (nr::SECURITY, libc::SYS_security, "security"),
        (nr::GETTID, libc::SYS_gettid, "gettid"),
        (nr::READAHEAD, libc::SYS_readahead, "readahead"),
        (nr::SETXATTR, libc::SYS_setxattr, "setxattr"),
        (nr::LSETXATTR, libc::SYS_lsetxattr, "lsetxattr"),
        (nr::FSETXATTR, libc::SYS_fsetxattr, "fsetxattr"),
        (nr::GETXATTR, libc::SYS_getxattr, "getxattr"),
        (nr::LGETXATTR, libc::SYS_lgetxattr, "lgetxattr"),
        (nr::FGETXATTR, libc::SYS_fgetxattr, "fgetxattr"),
        (nr::LISTXATTR, libc::SYS_listxattr, "listxattr"),
        (nr::LLISTXATTR, libc::SYS_llistxattr, "llistxattr"),
        (nr::FLISTXATTR, libc::SYS_flistxattr, "flistxattr"),
        (nr::REMOVEXATTR, libc::SYS_removexattr, "removexattr"),
        (nr::LREMOVEXATTR, libc::SYS_lremovexattr, "lremovexattr"),
        (nr::FREMOVEXATTR, libc::SYS_fremovexattr, "fremovexattr"),
        (nr::TKILL, libc::SYS_tkill, "tkill"),
        (nr::TIME, libc::SYS_time, "time"),
        (nr::FUTEX, libc::SYS_futex, "futex"),
        (
            nr::SCHED_SETAFFINITY,
            libc::SYS_sched_setaffinity,
            "sched_setaffinity",
        ),
        (
            nr::SCHED_GETAFFINITY,
            libc::SYS_sched_getaffinity,
            "sched_getaffinity",
        ),
        (
            nr::SET_THREAD_AREA,
            libc::SYS_set_thread_area,
            "set_thread_area",
        ),
        (nr::IO_SETUP, libc::SYS_io_setup, "io_setup"),
        (nr::IO_DESTROY, libc::SYS_io_destroy, "io_destroy"),
        (nr::IO_GETEVENTS, libc::SYS_io_getevents, "io_getevents"),
        (nr::IO_SUBMIT, libc::SYS_io_submit, "io_submit"),
        (nr::IO_CANCEL, libc::SYS_io_cancel, "io_cancel"),
        (
            nr::GET_THREAD_AREA,
            libc::SYS_get_thread_area,
            "get_thread_area",
        ),
        (
            nr::LOOKUP_DCOOKIE,
            libc::SYS_lookup_dcookie,
            "lookup_dcookie",
        ),
        (nr::EPOLL_CREATE, libc::SYS_epoll_create, "epoll_create"),
        (nr::EPOLL_CTL_OLD, libc::SYS_epoll_ctl_old, "epoll_ctl_old"),
        (
            nr::EPOLL_WAIT_OLD,
            libc::SYS_epoll_wait_old,
            "epoll_wait_old",
        ),
        (
            nr::REMAP_FILE_PAGES,
            libc::SYS_remap_file_pages,
            "remap_file_pages",
        ),
        (nr::GETDENTS64, libc::SYS_getdents64, "getdents64"),
        (
            nr::SET_TID_ADDRESS,
            libc::SYS_set_tid_address,
            "set_tid_address",
        ),
        (
            nr::RESTART_SYSCALL,
            libc::SYS_restart_syscall,
            "restart_syscall",
        ),
        (nr::SEMTIMEDOP, libc::SYS_semtimedop, "semtimedop"),
        (nr::FADVISE64, libc::SYS_fadvise64, "fadvise64"),
        (nr::TIMER_CREATE, libc::SYS_timer_create, "timer_create"),
        (nr::TIMER_SETTIME, libc::SYS_timer_settime, "timer_settime"),
        (nr::TIMER_GETTIME, libc::SYS_timer_gettime, "timer_gettime"),
        (
            nr::TIMER_GETOVERRUN,
            libc::SYS_timer_getoverrun,
            "timer_getoverrun",
        ),
        (nr::TIMER_DELETE, libc::SYS_timer_delete, "timer_delete"),
        (nr::CLOCK_SETTIME, libc::SYS_clock_settime, "clock_settime"),
        (nr::CLOCK_GETTIME, libc::SYS_clock_gettime, "clock_gettime"),
        (nr::CLOCK_GETRES, libc::SYS_clock_getres, "clock_getres"),
        (
            nr::CLOCK_NANOSLEEP,
            libc::SYS_clock_nanosleep,
            "clock_nanosleep",
        ),
        (nr::EXIT_GROUP, libc::SYS_exit_group, "exit_group"),
        (nr::EPOLL_WAIT, libc::SYS_epoll_wait, "epoll_wait"),
        (nr::EPOLL_CTL, libc::SYS_epoll_ctl, "epoll_ctl"),
        (nr::TGKILL, libc::SYS_tgkill, "tgkill"),
        (nr::UTIMES, libc::SYS_utimes, "utimes"),
        (nr::VSERVER, libc::SYS_vserver, "vserver"),
        (nr::MBIND, libc::SYS_mbind, "mbind"),
        (nr::SET_MEMPOLICY, libc::SYS_set_mempolicy, "set_mempolicy"),
        (nr::GET_MEMPOLICY, libc::SYS_get_mempolicy, "get_mempolicy"),
        (nr::MQ_OPEN, libc::SYS_mq_open, "mq_open"),
        (nr::MQ_UNLINK, libc::SYS_mq_unlink, "mq_unlink"),
        (nr::MQ_TIMEDSEND, libc::SYS_mq_timedsend, "mq_timedsend"),
        (
            nr::MQ_TIMEDRECEIVE,
            libc::SYS_mq_timedreceive,
            "mq_timedreceive",
        ),
        (nr::MQ_NOTIFY, libc::SYS_mq_notify, "mq_notify"),
        (nr::MQ_GETSETATTR, libc::SYS_mq_getsetattr, "mq_getsetattr"),
        (nr::KEXEC_LOAD, libc::SYS_kexec_load, "kexec_load"),
        (nr::WAITID, libc::SYS_waitid, "waitid"),
        (nr::ADD_KEY, libc::SYS_add_key, "add_key"),
        (nr::REQUEST_KEY, libc::SYS_request_key, "request_key"),
        (nr::KEYCTL, libc::SYS_keyctl, "keyctl"),
        (nr::IOPRIO_SET, libc::SYS_ioprio_set, "ioprio_set"),
        (nr::IOPRIO_GET, libc::SYS_ioprio_get, "ioprio_get"),
        (nr::INOTIFY_INIT, libc::SYS_inotify_init, "inotify_init"),
        (
            nr::INOTIFY_ADD_WATCH,
            libc::SYS_inotify_add_watch,
            "inotify_add_watch",
        ),
        (
            nr::INOTIFY_RM_WATCH,
            libc::SYS_inotify_rm_watch,
            "inotify_rm_watch",
        ),
        (nr::MIGRATE_PAGES, libc::SYS_migrate_pages, "migrate_pages"),
        (nr::OPENAT, libc::SYS_openat, "openat"),
        (nr::MKDIRAT, libc::SYS_mkdirat, "mkdirat"),
        (nr::MKNODAT, libc::SYS_mknodat, "mknodat"),
        (nr::FCHOWNAT, libc::SYS_fchownat, "fchownat"),
        (nr::FUTIMESAT, libc::SYS_futimesat, "futimesat"),
        (nr::NEWFSTATAT, libc::SYS_newfstatat, "newfstatat"),
        (nr::UNLINKAT, libc::SYS_unlinkat, "unlinkat"),
        (nr::RENAMEAT, libc::SYS_renameat, "renameat"),
        (nr::LINKAT, libc::SYS_linkat, "linkat"),
        (nr::SYMLINKAT, libc::SYS_symlinkat, "symlinkat"),
        (nr::READLINKAT, libc::SYS_readlinkat, "readlinkat"),
        (nr::FCHMODAT, libc::SYS_fchmodat, "fchmodat"),
        (nr::FACCESSAT, libc::SYS_faccessat, "faccessat"),
        (nr::PSELECT6, libc::SYS_pselect6, "pselect6"),
        (nr::PPOLL, libc::SYS_ppoll, "ppoll"),
        (nr::UNSHARE, libc::SYS_unshare, "unshare"),
        (
            nr::SET_ROBUST_LIST,
            libc::SYS_set_robust_list,
            "set_robust_list",
        ),
        (
            nr::GET_ROBUST_LIST,
            libc::SYS_get_robust_list,
            "get_robust_list",
        ),
        (nr::SPLICE, libc::SYS_splice, "splice"),
        (nr::TEE, libc::SYS_tee, "tee"),
        (
            nr::SYNC_FILE_RANGE,
            libc::SYS_sync_file_range,
            "sync_file_range",
        ),
        (nr::VMSPLICE, libc::SYS_vmsplice, "vmsplice"),
        (nr::MOVE_PAGES, libc::SYS_move_pages, "move_pages"),
        (nr::UTIMENSAT, libc::SYS_utimensat, "utimensat"),
        (nr::EPOLL_PWAIT, libc::SYS_epoll_pwait, "epoll_pwait"),
        (nr::SIGNALFD, libc::SYS_signalfd, "signalfd"),
        (
            nr::TIMERFD_CREATE,
            libc::SYS_timerfd_create,
            "timerfd_create",
        ),
        (nr::EVENTFD, libc::SYS_eventfd, "eventfd"),
        (nr::FALLOCATE, libc::SYS_fallocate, "fallocate"),
        (
            nr::TIMERFD_SETTIME,
            libc::SYS_timerfd_settime,
            "timerfd_settime",
        ),
        (
            nr::TIMERFD_GETTIME,
            libc::SYS_timerfd_gettime,
            "timerfd_gettime",
        ),
        (nr::ACCEPT4, libc::SYS_accept4, "accept4"),
        (nr::SIGNALFD4, libc::SYS_signalfd4, "signalfd4"),
        (nr::EVENTFD2, libc::SYS_eventfd2, "eventfd2"),
        (nr::EPOLL_CREATE1, libc::SYS_epoll_create1, "epoll_create1"),
        (nr::DUP3, libc::SYS_dup3, "dup3"),
        (nr::PIPE2, libc::SYS_pipe2, "pipe2"),
        (nr::INOTIFY_INIT1, libc::SYS_inotify_init1, "inotify_init1"),
        (nr::PREADV, libc::SYS_preadv, "preadv"),
        (nr::PWRITEV, libc::SYS_pwritev, "pwritev"),
        (
            nr::RT_TGSIGQUEUEINFO,
            libc::SYS_rt_tgsigqueueinfo,
            "rt_tgsigqueueinfo",
        ),
        (
            nr::PERF_EVENT_OPEN,
            libc::SYS_perf_event_open,
            "perf_event_open",
        ),
        (nr::RECVMMSG, libc::SYS_recvmmsg, "recvmmsg"),
        (nr::FANOTIFY_INIT, libc::SYS_fanotify_init, "fanotify_init"),
        (nr::FANOTIFY_MARK, libc::SYS_fanotify_mark, "fanotify_mark"),
        (nr::PRLIMIT64, libc::SYS_prlimit64, "prlimit64"),
        (
            nr::NAME_TO_HANDLE_AT,
            libc::SYS_name_to_handle_at,
            "name_to_handle_at",
        ),
        (
            nr::OPEN_BY_HANDLE_AT,
            libc::SYS_open_by_handle_at,
            "open_by_handle_at",
        ),
        (nr::CLOCK_ADJTIME, libc::SYS_clock_adjtime, "clock_adjtime"),
        (nr::SYNCFS, libc::SYS_syncfs, "syncfs"),
        (nr::SENDMMSG, libc::SYS_sendmmsg, "sendmmsg"),
        (nr::SETNS, libc::SYS_setns, "setns"),
        (nr::GETCPU, libc::SYS_getcpu, "getcpu"),
        (
            nr::PROCESS_VM_READV,
            libc::SYS_process_vm_readv,
            "process_vm_readv",
        ),
        (
            nr::PROCESS_VM_WRITEV,
            libc::SYS_process_vm_writev,
            "process_vm_writev",
        ),
        (nr::KCMP, libc::SYS_kcmp, "kcmp"),
        (nr::FINIT_MODULE, libc::SYS_finit_module, "finit_module"),
        (nr::SCHED_SETATTR, libc::SYS_sched_setattr, "sched_setattr"),
        (nr::SCHED_GETATTR, libc::SYS_sched_getattr, "sched_getattr"),
        (nr::RENAMEAT2, libc::SYS_renameat2, "renameat2"),
        (nr::SECCOMP, libc::SYS_seccomp, "seccomp"),
        (nr::GETRANDOM, libc::SYS_getrandom, "getrandom"),
        (nr::MEMFD_CREATE, libc::SYS_memfd_create, "memfd_create"),
        (
            nr::KEXEC_FILE_LOAD,
            libc::SYS_kexec_file_load,
            "kexec_file_load",
        ),
        (nr::BPF, libc::SYS_bpf, "bpf"),
        (nr::EXECVEAT, libc::SYS_execveat, "execveat"),
        (nr::USERFAULTFD, libc::SYS_userfaultfd, "userfaultfd"),
        (nr::MEMBARRIER, libc::SYS_membarrier, "membarrier"),
        (nr::MLOCK2, libc::SYS_mlock2, "mlock2"),
        (
            nr::COPY_FILE_RANGE,
            libc::SYS_copy_file_range,
            "copy_file_range",
        ),
        (nr::PREADV2, libc::SYS_preadv2, "preadv2"),
        (nr::PWRITEV2, libc::SYS_pwritev2, "pwritev2"),
        (nr::PKEY_MPROTECT, libc::SYS_pkey_mprotect, "pkey_mprotect"),
        (nr::PKEY_ALLOC, libc::SYS_pkey_alloc, "pkey_alloc"),
        (nr::PKEY_FREE, libc::SYS_pkey_free, "pkey_free"),
        (nr::STATX, libc::SYS_statx, "statx"),
        (nr::RSEQ, libc::SYS_rseq, "rseq"),
        (
            nr::PIDFD_SEND_SIGNAL,
            libc::SYS_pidfd_send_signal,
            "pidfd_send_signal",
        ),
        (
            nr::IO_URING_SETUP,
            libc::SYS_io_uring_setup,
            "io_uring_setup",
        ),
        (
            nr::IO_URING_ENTER,
            libc::SYS_io_uring_enter,
            "io_uring_enter",
        ),
        (
            nr::IO_URING_REGISTER,
            libc::SYS_io_uring_register,
            "io_uring_register",
        ),
        (nr::OPEN_TREE, libc::SYS_open_tree, "open_tree"),
        (nr::MOVE_MOUNT, libc::SYS_move_mount, "move_mount"),
        (nr::FSOPEN, libc::SYS_fsopen, "fsopen"),
        (nr::FSCONFIG, libc::SYS_fsconfig, "fsconfig"),
        (nr::FSMOUNT, libc::SYS_fsmount, "fsmount"),
        (nr::FSPICK, libc::SYS_fspick, "fspick"),
        (nr::PIDFD_OPEN, libc::SYS_pidfd_open, "pidfd_open"),
        (nr::CLONE3, libc::SYS_clone3, "clone3"),
        (nr::CLOSE_RANGE, libc::SYS_close_range, "close_range"),
        (nr::OPENAT2, libc::SYS_openat2, "openat2"),
        (nr::PIDFD_GETFD, libc::SYS_pidfd_getfd, "pidfd_getfd"),
        (nr::FACCESSAT2, libc::SYS_faccessat2, "faccessat2"),
        (
            nr::PROCESS_MADVISE,
            libc::SYS_process_madvise,
            "process_madvise",
        ),
        (nr::EPOLL_PWAIT2, libc::SYS_epoll_pwait2, "epoll_pwait2"),
        (nr::MOUNT_SETATTR, libc::SYS_mount_setattr, "mount_setattr"),
        (nr::QUOTACTL_FD, libc::SYS_quotactl_fd, "quotactl_fd"),
        (
            nr::LANDLOCK_CREATE_RULESET,
            libc::SYS_landlock_create_ruleset,
            "landlock_create_ruleset",
        ),
        (
            nr::LANDLOCK_ADD_RULE,
            libc::SYS_landlock_add_rule,
            "landlock_add_rule",
        ),
        (
            nr::LANDLOCK_RESTRICT_SELF,
            libc::SYS_landlock_restrict_self,
            "landlock_restrict_self",
        ),
        (nr::MEMFD_SECRET, libc::SYS_memfd_secret, "memfd_secret"),
        (
            nr::PROCESS_MRELEASE,
            libc::SYS_process_mrelease,
            "process_mrelease",
        ),
        (nr::FUTEX_WAITV, libc::SYS_futex_waitv, "futex_waitv"),
        (
            nr::SET_MEMPOLICY_HOME_NODE,
            libc::SYS_set_mempolicy_home_node,
            "set_mempolicy_home_node",
        ),
        (nr::FCHMODAT2, libc::SYS_fchmodat2, "fchmodat2"),
        (nr::MSEAL, libc::SYS_mseal, "mseal"),
    ];
    let mut wrong = Vec::new();
    for &(ours, theirs, name) in table {
        if ours as libc::c_long != theirs || nr::name(ours) != Some(name) {
            wrong.push(format!(
                "{name}: ours {ours}, libc {theirs}, named {:?}",
                nr::name(ours)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(nr::name(nr::EPOLL_CREATE), Some("epoll_create"));
    assert_eq!(nr::name(100_000), None);
}

#[test]
fn errno_values_match_libc() {
    same! {
        errno::EPERM => libc::EPERM,
        errno::ENOENT => libc::ENOENT,
        errno::ESRCH => libc::ESRCH,
        errno::EINTR => libc::EINTR,
        errno::EIO => libc::EIO,
        errno::ENXIO => libc::ENXIO,
        errno::E2BIG => libc::E2BIG,
        errno::ENOEXEC => libc::ENOEXEC,
        errno::EBADF => libc::EBADF,
        errno::ECHILD => libc::ECHILD,
        errno::EAGAIN => libc::EAGAIN,
        errno::ENOMEM => libc::ENOMEM,
        errno::EACCES => libc::EACCES,
        errno::EFAULT => libc::EFAULT,
        errno::ENOTBLK => libc::ENOTBLK,
        errno::EBUSY => libc::EBUSY,
        errno::EEXIST => libc::EEXIST,
        errno::EXDEV => libc::EXDEV,
        errno::ENODEV => libc::ENODEV,
        errno::ENOTDIR => libc::ENOTDIR,
        errno::EISDIR => libc::EISDIR,
        errno::EINVAL => libc::EINVAL,
        errno::ENFILE => libc::ENFILE,
        errno::EMFILE => libc::EMFILE,
        errno::ENOTTY => libc::ENOTTY,
        errno::ETXTBSY => libc::ETXTBSY,
        errno::EFBIG => libc::EFBIG,
        errno::ENOSPC => libc::ENOSPC,
        errno::ESPIPE => libc::ESPIPE,
        errno::EROFS => libc::EROFS,
        errno::EMLINK => libc::EMLINK,
        errno::EPIPE => libc::EPIPE,
        errno::EDOM => libc::EDOM,
        errno::ERANGE => libc::ERANGE,
        errno::EDEADLK => libc::EDEADLK,
        errno::ENAMETOOLONG => libc::ENAMETOOLONG,
        errno::ENOLCK => libc::ENOLCK,
        errno::ENOSYS => libc::ENOSYS,
        errno::ENOTEMPTY => libc::ENOTEMPTY,
        errno::ELOOP => libc::ELOOP,
        errno::ENOMSG => libc::ENOMSG,
        errno::EIDRM => libc::EIDRM,
        errno::ECHRNG => libc::ECHRNG,
        errno::EL2NSYNC => libc::EL2NSYNC,
        errno::EL3HLT => libc::EL3HLT,
        errno::EL3RST => libc::EL3RST,
        errno::ELNRNG => libc::ELNRNG,
        errno::EUNATCH => libc::EUNATCH,
        errno::ENOCSI => libc::ENOCSI,
        errno::EL2HLT => libc::EL2HLT,
        errno::EBADE => libc::EBADE,
        errno::EBADR => libc::EBADR,
        errno::EXFULL => libc::EXFULL,
        errno::ENOANO => libc::ENOANO,
        errno::EBADRQC => libc::EBADRQC,
        errno::EBADSLT => libc::EBADSLT,
        errno::EBFONT => libc::EBFONT,
        errno::ENOSTR => libc::ENOSTR,
        errno::ENODATA => libc::ENODATA,
        errno::ETIME => libc::ETIME,
        errno::ENOSR => libc::ENOSR,
        errno::ENONET => libc::ENONET,
        errno::ENOPKG => libc::ENOPKG,
        errno::EREMOTE => libc::EREMOTE,
        errno::ENOLINK => libc::ENOLINK,
        errno::EADV => libc::EADV,
        errno::ESRMNT => libc::ESRMNT,
        errno::ECOMM => libc::ECOMM,
        errno::EPROTO => libc::EPROTO,
        errno::EMULTIHOP => libc::EMULTIHOP,
        errno::EDOTDOT => libc::EDOTDOT,
        errno::EBADMSG => libc::EBADMSG,
        errno::EOVERFLOW => libc::EOVERFLOW,
        errno::ENOTUNIQ => libc::ENOTUNIQ,
        errno::EBADFD => libc::EBADFD,
        errno::EREMCHG => libc::EREMCHG,
        errno::ELIBACC => libc::ELIBACC,
        errno::ELIBBAD => libc::ELIBBAD,
        errno::ELIBSCN => libc::ELIBSCN,
        errno::ELIBMAX => libc::ELIBMAX,
        errno::ELIBEXEC => libc::ELIBEXEC,
        errno::EILSEQ => libc::EILSEQ,
        errno::ERESTART => libc::ERESTART,
        errno::ESTRPIPE => libc::ESTRPIPE,
        errno::EUSERS => libc::EUSERS,
        errno::ENOTSOCK => libc::ENOTSOCK,
        errno::EDESTADDRREQ => libc::EDESTADDRREQ,
        errno::EMSGSIZE => libc::EMSGSIZE,
        errno::EPROTOTYPE => libc::EPROTOTYPE,
        errno::ENOPROTOOPT => libc::ENOPROTOOPT,
        errno::EPROTONOSUPPORT => libc::EPROTONOSUPPORT,
        errno::ESOCKTNOSUPPORT => libc::ESOCKTNOSUPPORT,
        errno::EOPNOTSUPP => libc::EOPNOTSUPP,
        errno::EPFNOSUPPORT => libc::EPFNOSUPPORT,
        errno::EAFNOSUPPORT => libc::EAFNOSUPPORT,
        errno::EADDRINUSE => libc::EADDRINUSE,
        errno::EADDRNOTAVAIL => libc::EADDRNOTAVAIL,
        errno::ENETDOWN => libc::ENETDOWN,
        errno::ENETUNREACH => libc::ENETUNREACH,
        errno::ENETRESET => libc::ENETRESET,
        errno::ECONNABORTED => libc::ECONNABORTED,
        errno::ECONNRESET => libc::ECONNRESET,
        errno::ENOBUFS => libc::ENOBUFS,
        errno::EISCONN => libc::EISCONN,
        errno::ENOTCONN => libc::ENOTCONN,
        errno::ESHUTDOWN => libc::ESHUTDOWN,
        errno::ETOOMANYREFS => libc::ETOOMANYREFS,
        errno::ETIMEDOUT => libc::ETIMEDOUT,
        errno::ECONNREFUSED => libc::ECONNREFUSED,
        errno::EHOSTDOWN => libc::EHOSTDOWN,
        errno::EHOSTUNREACH => libc::EHOSTUNREACH,
        errno::EALREADY => libc::EALREADY,
        errno::EINPROGRESS => libc::EINPROGRESS,
        errno::ESTALE => libc::ESTALE,
        errno::EUCLEAN => libc::EUCLEAN,
        errno::ENOTNAM => libc::ENOTNAM,
        errno::ENAVAIL => libc::ENAVAIL,
        errno::EISNAM => libc::EISNAM,
        errno::EREMOTEIO => libc::EREMOTEIO,
        errno::EDQUOT => libc::EDQUOT,
        errno::ENOMEDIUM => libc::ENOMEDIUM,
        errno::EMEDIUMTYPE => libc::EMEDIUMTYPE,
        errno::ECANCELED => libc::ECANCELED,
        errno::ENOKEY => libc::ENOKEY,
        errno::EKEYEXPIRED => libc::EKEYEXPIRED,
        errno::EKEYREVOKED => libc::EKEYREVOKED,
        errno::EKEYREJECTED => libc::EKEYREJECTED,
        errno::EOWNERDEAD => libc::EOWNERDEAD,
        errno::ENOTRECOVERABLE => libc::ENOTRECOVERABLE,
        errno::ERFKILL => libc::ERFKILL,
        errno::EHWPOISON => libc::EHWPOISON,
        errno::EWOULDBLOCK => libc::EWOULDBLOCK,
        errno::EDEADLOCK => libc::EDEADLOCK,
        errno::ENOTSUP => libc::ENOTSUP,
    }
    // Linux numbers its errors 1..=133, leaving out 41 and 58.
    for e in (1..=133).filter(|e| ![41, 58].contains(e)) {
        assert_ne!(errno::describe(e), "Unknown error", "errno {e}");
    }
}

#[test]
fn device_numbers_encode_as_glibc_decodes() {
    for (major, minor) in [
        (0, 0),
        (1, 3),
        (8, 17),
        (254, 3),
        (4, 300),
        (0xfff, 0xf_ffff),
    ] {
        let dev = stat::makedev(major, minor);
        assert_eq!(
            dev,
            libc::makedev(major, minor),
            "makedev({major}, {minor})"
        );
        assert_eq!(stat::dev_split(dev), (libc::major(dev), libc::minor(dev)));
    }
}
