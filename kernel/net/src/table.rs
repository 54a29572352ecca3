//! The socket table: generation-checked ids (a stale id gives `EBADF`,
//! never another socket) and owned handles that close on drop.

use alloc::sync::Arc;
use alloc::vec::Vec;
use spin::Mutex;

use crate::errno::{Errno, Result};

/// A socket's id: slot index and generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketId(u64);

impl SocketId {
    fn new(index: u32, gen: u32) -> Self {
        SocketId(((gen as u64) << 32) | index as u64)
    }

    fn index(self) -> usize {
        (self.0 & 0xffff_ffff) as usize
    }

    fn gen(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The raw value (for the kernel's own tables).
    pub fn raw(self) -> u64 {
        self.0
    }
}

/// Ids whose [`OwnedSocket`] was dropped; the stack closes them on its
/// next call.
pub(crate) type DropQueue = Arc<Mutex<Vec<SocketId>>>;

/// Ownership of one socket: dropping it closes the socket (on the stack's
/// next call or poll). The kernel keeps it in its open-file object, so
/// the socket lives as long as some fd refers to it.
pub struct OwnedSocket {
    id: SocketId,
    queue: Option<DropQueue>,
}

impl OwnedSocket {
    pub(crate) fn new(id: SocketId, queue: DropQueue) -> Self {
        OwnedSocket {
            id,
            queue: Some(queue),
        }
    }

    /// The id every operation takes.
    pub fn id(&self) -> SocketId {
        self.id
    }

    /// Gives up ownership without queueing a close (used by an explicit
    /// close).
    pub(crate) fn disarm(mut self) -> SocketId {
        self.queue = None;
        self.id
    }
}

impl Drop for OwnedSocket {
    fn drop(&mut self) {
        if let Some(q) = self.queue.take() {
            q.lock().push(self.id);
        }
    }
}

impl core::fmt::Debug for OwnedSocket {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "OwnedSocket({:?})", self.id)
    }
}

struct Slot<T> {
    gen: u32,
    value: Option<T>,
}

/// A slab of `T` addressed by [`SocketId`].
pub(crate) struct Table<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    live: usize,
}

impl<T> Table<T> {
    pub fn new() -> Self {
        Table {
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn insert(&mut self, value: T) -> SocketId {
        self.live += 1;
        if let Some(i) = self.free.pop() {
            let slot = &mut self.slots[i as usize];
            slot.value = Some(value);
            return SocketId::new(i, slot.gen);
        }
        let i = self.slots.len() as u32;
        self.slots.push(Slot {
            gen: 0,
            value: Some(value),
        });
        SocketId::new(i, 0)
    }

    pub fn get(&self, id: SocketId) -> Result<&T> {
        match self.slots.get(id.index()) {
            Some(s) if s.gen == id.gen() => s.value.as_ref().ok_or(Errno::EBADF),
            _ => Err(Errno::EBADF),
        }
    }

    pub fn get_mut(&mut self, id: SocketId) -> Result<&mut T> {
        match self.slots.get_mut(id.index()) {
            Some(s) if s.gen == id.gen() => s.value.as_mut().ok_or(Errno::EBADF),
            _ => Err(Errno::EBADF),
        }
    }

    pub fn remove(&mut self, id: SocketId) -> Result<T> {
        let slot = match self.slots.get_mut(id.index()) {
            Some(s) if s.gen == id.gen() && s.value.is_some() => s,
            _ => return Err(Errno::EBADF),
        };
        let v = slot.value.take().ok_or(Errno::EBADF)?;
        slot.gen = slot.gen.wrapping_add(1);
        self.free.push(id.index() as u32);
        self.live -= 1;
        Ok(v)
    }

    /// Ids of all live entries.
    pub fn ids(&self) -> Vec<SocketId> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.value.is_some())
            .map(|(i, s)| SocketId::new(i as u32, s.gen))
            .collect()
    }
}
