//! The interface requests every socket answers, whatever its family
//! (`SIOCGIFINDEX`, `SIOCGIFNAME`, as musl's `if_nametoindex` and
//! `if_indextoname` send them on an `AF_UNIX` socket): `struct ifreq` in
//! and out, over this stack's interfaces, `lo` (index 1) and, with an
//! external device, `eth0` (index 2).

use alloc::vec::Vec;
use smoltcp::phy::Device;
use veridian_syscall::ioctl::{IFNAMSIZ, IFREQ_SIZE, SIOCGIFINDEX, SIOCGIFNAME};

use crate::errno::{Errno, Result};
use crate::stack::NetStack;

/// Where `ifr_ifindex` sits in `struct ifreq` (after the name).
const INDEX_AT: usize = IFNAMSIZ;

impl<D: Device> NetStack<D> {
    /// The interfaces, as (index, name).
    pub fn interfaces(&self) -> Vec<(i32, &'static str)> {
        let mut v = alloc::vec![(1, "lo")];
        if self.ext.is_some() {
            v.push((2, "eth0"));
        }
        v
    }

    /// Answers `cmd` if it is an interface request: the `struct ifreq` to
    /// copy back to the caller, `ENODEV` for an unknown name or index,
    /// `EFAULT` if `arg` is shorter than `struct ifreq`. `None` for other
    /// requests.
    pub fn interface_ioctl(&self, cmd: u32, arg: &[u8]) -> Option<Result<Vec<u8>>> {
        if cmd != SIOCGIFINDEX && cmd != SIOCGIFNAME {
            return None;
        }
        let Some(req) = arg.get(..IFREQ_SIZE) else {
            return Some(Err(Errno::EFAULT));
        };
        let mut out = req.to_vec();
        let known = self.interfaces();
        let found = if cmd == SIOCGIFINDEX {
            let name = &req[..IFNAMSIZ];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(IFNAMSIZ)];
            known
                .iter()
                .find(|(_, n)| n.as_bytes() == name)
                .map(|&(i, _)| {
                    out[INDEX_AT..INDEX_AT + 4].copy_from_slice(&i.to_ne_bytes());
                })
        } else {
            let b = &req[INDEX_AT..INDEX_AT + 4];
            let index = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
            known.iter().find(|&&(i, _)| i == index).map(|(_, n)| {
                out[..IFNAMSIZ].fill(0);
                out[..n.len()].copy_from_slice(n.as_bytes());
            })
        };
        Some(found.map(|()| out).ok_or(Errno::ENODEV))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NetConfig;

    fn ifreq(name: &[u8], index: i32) -> Vec<u8> {
        let mut b = alloc::vec![0u8; IFREQ_SIZE];
        b[..name.len()].copy_from_slice(name);
        b[INDEX_AT..INDEX_AT + 4].copy_from_slice(&index.to_ne_bytes());
        b
    }

    #[test]
    fn names_and_indexes_of_loopback() {
        let n = NetStack::new(NetConfig::default());
        let r = n.interface_ioctl(SIOCGIFINDEX, &ifreq(b"lo", 0)).unwrap();
        assert_eq!(r.unwrap(), ifreq(b"lo", 1));
        let r = n.interface_ioctl(SIOCGIFNAME, &ifreq(b"junk", 1)).unwrap();
        assert_eq!(r.unwrap(), ifreq(b"lo", 1));
        assert_eq!(
            n.interface_ioctl(SIOCGIFINDEX, &ifreq(b"eth0", 0)),
            Some(Err(Errno::ENODEV)),
            "no external device"
        );
        assert_eq!(
            n.interface_ioctl(SIOCGIFNAME, &ifreq(b"", 7)),
            Some(Err(Errno::ENODEV))
        );
        assert_eq!(
            n.interface_ioctl(SIOCGIFINDEX, &[0; 8]),
            Some(Err(Errno::EFAULT))
        );
        assert_eq!(n.interface_ioctl(0x5421, &[]), None);
    }
}
