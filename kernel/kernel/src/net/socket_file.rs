//! A socket as a VFS special file: read/write/poll/ioctl/fstat on a socket
//! fd go to the stack; dropping the last reference closes the socket.

use core::any::Any;
use veridian_net::{OwnedSocket, SocketId};
use veridian_vfs::{FileKind, IoctlReply, PollEvents, SpecialFile, Stat};

/// The open-file object of a socket fd.
pub struct SocketFile {
    id: SocketId,
    sock: Option<OwnedSocket>,
}

impl SocketFile {
    pub fn new(sock: OwnedSocket) -> Self {
        SocketFile {
            id: sock.id(),
            sock: Some(sock),
        }
    }

    pub fn id(&self) -> SocketId {
        self.id
    }
}

impl SpecialFile for SocketFile {
    fn read(&self, buf: &mut [u8]) -> veridian_vfs::Result<usize> {
        super::with(|n| n.recvfrom(self.id, buf, 0)).map(|i| i.len)
    }

    fn write(&self, data: &[u8]) -> veridian_vfs::Result<usize> {
        super::with(|n| n.sendto(self.id, data, 0, None))
    }

    fn poll(&self) -> PollEvents {
        super::peek(|n| n.readiness(self.id))
    }

    fn ioctl(&self, cmd: u32, arg: &[u8]) -> veridian_vfs::Result<IoctlReply> {
        if let Some(r) = super::interface_ioctl(cmd, arg) {
            return r;
        }
        match super::with(|n| n.ioctl(self.id, cmd, arg))? {
            Some(v) => Ok(IoctlReply::with(v.to_le_bytes().to_vec())),
            None => Ok(IoctlReply::ok()),
        }
    }

    fn stat(&self) -> Stat {
        let mut st = Stat::new(FileKind::Socket, 0o777);
        st.ino = self.id.raw();
        st.blksize = 4096;
        st
    }

    fn wait_key(&self) -> usize {
        super::WAIT_KEY
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        // The stack closes it on its next call; make sure one comes soon
        // (the peer may be waiting for the FIN).
        drop(self.sock.take());
        super::mark_dirty();
    }
}
