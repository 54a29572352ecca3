//! The Linux x86_64 constants and struct sizes of the socket syscalls, in
//! one module for the socket layer and its callers. The constants are
//! re-exported from `veridian_syscall`, where each is defined; the struct
//! sizes live next to the code that encodes the structs.

pub use crate::epoll::EPOLL_EVENT_SIZE;
pub use crate::options::{LINGER_SIZE, MAX_OPTLEN, TIMEVAL_SIZE};
pub use crate::poll::POLLFD_SIZE;
pub use crate::sockaddr::{SOCKADDR_IN6_SIZE, SOCKADDR_IN_SIZE, SOCKADDR_STORAGE_SIZE};
pub use crate::unix::SOCKADDR_UN_SIZE;
pub use veridian_syscall::ioctl::{
    FIONBIO, FIONREAD, IFNAMSIZ, IFREQ_SIZE, SIOCGIFINDEX, SIOCGIFNAME, SIOCINQ, SIOCOUTQ, TIOCOUTQ,
};
pub use veridian_syscall::poll::*;
pub use veridian_syscall::socket::*;
