//! Wake-ups for blocked waiters: pipes call the kernel's hook with the
//! files' wait key; char devices use `device_key`.
mod common;
use common::*;
use std::sync::{Arc, Mutex};

static WOKEN: Mutex<Vec<usize>> = Mutex::new(Vec::new());

fn hook(key: usize) {
    WOKEN.lock().unwrap().push(key);
}

fn take() -> Vec<usize> {
    std::mem::take(&mut *WOKEN.lock().unwrap())
}

struct Tty;
impl CharDevice for Tty {
    fn read(&self, _: &mut [u8]) -> Result<usize> {
        Err(Errno::EAGAIN)
    }
    fn write(&self, d: &[u8]) -> Result<usize> {
        Ok(d.len())
    }
}

#[test]
fn pipes_wake_their_key_and_devices_have_theirs() {
    set_wake_hook(hook);
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    let (r, wr) = w.vfs.pipe2(c, 0).unwrap();
    let key = p.fds.get(r).unwrap().wait_key();
    assert_eq!(
        p.fds.get(wr).unwrap().wait_key(),
        key,
        "both ends share the key"
    );
    take();
    let mut b = [0u8; 4];
    assert_eq!(w.vfs.read(c, r, &mut b), Err(Errno::EAGAIN));
    assert!(take().is_empty(), "a failed read changes nothing");
    w.vfs.write(c, wr, b"ab").unwrap();
    assert_eq!(take(), [key]);
    w.vfs.read(c, r, &mut b).unwrap();
    assert_eq!(take(), [key]);
    w.vfs.close(c, wr).unwrap();
    assert_eq!(take(), [key], "EOF wakes readers");
    let (r2, _w2) = w.vfs.pipe2(c, 0).unwrap();
    let other = p.fds.get(r2).unwrap().wait_key();
    assert_ne!(other, key);

    let dev: Arc<dyn CharDevice> = Arc::new(Tty);
    w.dev.register_char(b"ttyS2", 4, 66, dev.clone()).unwrap();
    let fd = w.vfs.openat(c, AT_FDCWD, b"/dev/ttyS2", O_RDWR, 0).unwrap();
    assert_eq!(p.fds.get(fd).unwrap().wait_key(), device_key(&dev));
    let null = w.vfs.openat(c, AT_FDCWD, b"/dev/null", O_RDWR, 0).unwrap();
    assert_ne!(p.fds.get(null).unwrap().wait_key(), device_key(&dev));
}
