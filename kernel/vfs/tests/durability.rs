//! Durability through the VFS: `O_SYNC`/`O_DSYNC` writes, `fsync`,
//! `fdatasync`, `syncfs` and `sync` return with the data on the device and
//! a device flush issued after it; power-off marks the image clean.

use std::sync::{Arc, Mutex};

use blockfs::{BlockDevice, DeviceError, FileSystem, FormatOptions, MemDevice, BLOCK_SIZE};
use veridian_vfs::abi::*;
use veridian_vfs::{BlockFsMount, Caller, FdTable, FsContext, Vfs};

/// What reached the device, as of its last flush.
#[derive(Default)]
struct Durable {
    /// The image as written so far.
    written: Vec<u8>,
    /// The image at the last flush.
    flushed: Vec<u8>,
    flushes: usize,
}

struct Dev(Arc<Mutex<Durable>>);

impl BlockDevice for Dev {
    fn block_count(&self) -> u64 {
        (self.0.lock().unwrap().written.len() / BLOCK_SIZE) as u64
    }
    fn read_block(&mut self, i: u64, buf: &mut [u8; BLOCK_SIZE]) -> Result<(), DeviceError> {
        let d = self.0.lock().unwrap();
        let o = i as usize * BLOCK_SIZE;
        buf.copy_from_slice(&d.written[o..o + BLOCK_SIZE]);
        Ok(())
    }
    fn write_block(&mut self, i: u64, buf: &[u8; BLOCK_SIZE]) -> Result<(), DeviceError> {
        let mut d = self.0.lock().unwrap();
        let o = i as usize * BLOCK_SIZE;
        d.written[o..o + BLOCK_SIZE].copy_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        let mut d = self.0.lock().unwrap();
        d.flushed = d.written.clone();
        d.flushes += 1;
        Ok(())
    }
}

fn setup() -> (Vfs, Arc<Mutex<Durable>>) {
    let fs = FileSystem::format(MemDevice::new(1024), &FormatOptions::default()).unwrap();
    let image = fs.unmount().unwrap().into_vec();
    let state = Arc::new(Mutex::new(Durable {
        written: image.clone(),
        flushed: image,
        flushes: 0,
    }));
    let fs = FileSystem::mount(Dev(state.clone()), Default::default()).unwrap();
    (Vfs::new(Arc::new(BlockFsMount::new(fs).unwrap())), state)
}

/// `path`'s content in the image as of the last flush (what survives a
/// power cut), after an fsck repair of that image.
fn durable_content(state: &Mutex<Durable>, path: &[u8]) -> Option<Vec<u8>> {
    let image = state.lock().unwrap().flushed.clone();
    let mut fs = FileSystem::mount(MemDevice::from_vec(image), Default::default()).unwrap();
    fs.fsck(true).unwrap();
    let ino = fs.resolve(path, true).ok()?;
    let size = fs.metadata(ino).unwrap().size as usize;
    let mut buf = vec![0u8; size];
    fs.read_at(ino, 0, &mut buf).unwrap();
    Some(buf)
}

#[test]
fn sync_calls_make_data_and_names_durable() {
    let (vfs, state) = setup();
    let fds = Arc::new(FdTable::new());
    let fsx = Arc::new(FsContext::new(vfs.root()));
    let c = Caller {
        fds: &fds,
        fs: &fsx,
    };
    // Without a sync nothing is promised, and nothing is flushed.
    let fd = vfs
        .openat(c, AT_FDCWD, b"/plain", O_CREAT | O_WRONLY, 0o644)
        .unwrap();
    vfs.write(c, fd, b"not yet").unwrap();
    assert_eq!(durable_content(&state, b"/plain"), None);
    vfs.fsync(c, fd).unwrap();
    assert_eq!(durable_content(&state, b"/plain").unwrap(), b"not yet");

    for (i, flag) in [O_SYNC, O_DSYNC].into_iter().enumerate() {
        let path = format!("/o_sync{i}");
        let fd = vfs
            .openat(
                c,
                AT_FDCWD,
                path.as_bytes(),
                O_CREAT | O_WRONLY | flag,
                0o644,
            )
            .unwrap();
        let before = state.lock().unwrap().flushes;
        vfs.write(c, fd, b"synchronous").unwrap();
        assert!(state.lock().unwrap().flushes > before, "the write flushed");
        assert_eq!(
            durable_content(&state, path.as_bytes()).unwrap(),
            b"synchronous"
        );
        vfs.pwrite(c, fd, b"S", 0).unwrap();
        assert_eq!(
            durable_content(&state, path.as_bytes()).unwrap(),
            b"Synchronous"
        );
    }

    // Replace by rename, then sync(): the new content under the old name.
    let tmp = vfs
        .openat(c, AT_FDCWD, b"/plain.tmp", O_CREAT | O_WRONLY, 0o644)
        .unwrap();
    vfs.write(c, tmp, b"replaced").unwrap();
    vfs.fsync(c, tmp).unwrap();
    vfs.renameat2(c, AT_FDCWD, b"/plain.tmp", AT_FDCWD, b"/plain", 0)
        .unwrap();
    assert_eq!(durable_content(&state, b"/plain").unwrap(), b"not yet");
    vfs.sync().unwrap();
    assert_eq!(durable_content(&state, b"/plain").unwrap(), b"replaced");
    assert_eq!(durable_content(&state, b"/plain.tmp"), None);

    // Mounted and changed: not clean; power-off: clean.
    let sb = |s: &Mutex<Durable>| {
        u16::from_le_bytes(s.lock().unwrap().flushed[58..60].try_into().unwrap())
    };
    assert_eq!(sb(&state), blockfs::STATE_DIRTY);
    vfs.sync_for_shutdown().unwrap();
    assert_eq!(sb(&state), blockfs::STATE_CLEAN);
}
