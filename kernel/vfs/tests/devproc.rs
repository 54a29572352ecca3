//! devfs devices and procfs contents.
mod common;
use common::*;
use std::sync::{Arc, Mutex};

/// A console: input queue, captured output.
#[derive(Default)]
struct Console {
    input: Mutex<Vec<u8>>,
    output: Mutex<Vec<u8>>,
    raw: Mutex<bool>,
    foreground: Mutex<i32>,
    flushes: Mutex<usize>,
}

impl CharDevice for Console {
    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let mut i = self.input.lock().unwrap();
        if i.is_empty() {
            return Err(Errno::EAGAIN);
        }
        let n = buf.len().min(i.len());
        buf[..n].copy_from_slice(&i[..n]);
        i.drain(..n);
        Ok(n)
    }
    fn write(&self, data: &[u8]) -> Result<usize> {
        self.output.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn poll(&self) -> PollEvents {
        POLLOUT
            | if self.input.lock().unwrap().is_empty() {
                0
            } else {
                POLLIN
            }
    }
    fn is_tty(&self) -> bool {
        true
    }
    fn termios_changed(&self, t: &Termios) {
        *self.raw.lock().unwrap() = t.lflag & 0o2 == 0;
    }
    fn foreground_changed(&self, pgrp: i32) {
        *self.foreground.lock().unwrap() = pgrp;
    }
    fn flush_input(&self) {
        *self.flushes.lock().unwrap() += 1;
    }
}

struct Disk(Mutex<Vec<u8>>);
impl RawBlock for Disk {
    fn size(&self) -> u64 {
        self.0.lock().unwrap().len() as u64
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<usize> {
        let d = self.0.lock().unwrap();
        let off = (off as usize).min(d.len());
        let n = buf.len().min(d.len() - off);
        buf[..n].copy_from_slice(&d[off..off + n]);
        Ok(n)
    }
    fn write_at(&self, off: u64, data: &[u8]) -> Result<usize> {
        let mut d = self.0.lock().unwrap();
        let off = off as usize;
        if off >= d.len() {
            return Err(Errno::ENOSPC);
        }
        let n = data.len().min(d.len() - off);
        d[off..off + n].copy_from_slice(&data[..n]);
        Ok(n)
    }
}

#[test]
fn memory_and_random_devices() {
    let w = world();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    let null = w.vfs.openat(c, AT_FDCWD, b"/dev/null", O_RDWR, 0).unwrap();
    let mut b = [1u8; 8];
    assert_eq!(w.vfs.read(c, null, &mut b).unwrap(), 0);
    assert_eq!(w.vfs.write(c, null, b"gone").unwrap(), 4);
    let st = w.vfs.fstat(c, null).unwrap();
    assert_eq!((st.kind, st.rdev), (FileKind::CharDevice, makedev(1, 3)));
    assert_eq!(w.vfs.lseek(c, null, 0, SEEK_SET).unwrap(), 0);
    let zero = w
        .vfs
        .openat(c, AT_FDCWD, b"/dev/zero", O_RDONLY, 0)
        .unwrap();
    assert_eq!(w.vfs.read(c, zero, &mut b).unwrap(), 8);
    assert_eq!(b, [0; 8]);
    let full = w
        .vfs
        .openat(c, AT_FDCWD, b"/dev/full", O_WRONLY, 0)
        .unwrap();
    assert_eq!(w.vfs.write(c, full, b"x"), Err(Errno::ENOSPC));
    let ur = w
        .vfs
        .openat(c, AT_FDCWD, b"/dev/urandom", O_RDONLY, 0)
        .unwrap();
    w.vfs.read(c, ur, &mut b).unwrap();
    assert_eq!(
        b,
        [1, 2, 3, 4, 5, 6, 7, 8],
        "bytes come from the kernel's source"
    );
    assert_eq!(
        w.vfs
            .openat(c, AT_FDCWD, b"/dev/newfile", O_CREAT | O_WRONLY, 0o644),
        Err(Errno::EROFS)
    );
    let names: Vec<Vec<u8>> = w.ls(&p, b"/dev").into_iter().map(|e| e.0).collect();
    for n in [
        &b"null"[..],
        b"zero",
        b"full",
        b"random",
        b"urandom",
        b"fd",
        b"stdin",
    ] {
        assert!(
            names.contains(&n.to_vec()),
            "{}",
            String::from_utf8_lossy(n)
        );
    }
}

#[test]
fn console_tty_and_block_devices() {
    let w = world();
    let con = Arc::new(Console::default());
    w.dev.register_char(b"console", 5, 1, con.clone()).unwrap();
    w.dev.register_char(b"ttyS1", 4, 65, con.clone()).unwrap();
    assert_eq!(
        w.dev.register_char(b"console", 5, 1, con.clone()),
        Err(Errno::EEXIST)
    );
    let disk = Arc::new(Disk(Mutex::new(vec![0xAB; 8192])));
    w.dev.register_block(b"vdb", 254, 16, disk.clone()).unwrap();
    let p = w.spawn(1, b"/t");
    let c = p.c();
    for _ in 0..3 {
        w.vfs
            .openat(c, AT_FDCWD, b"/dev/console", O_RDWR, 0)
            .unwrap();
    }
    assert_eq!(w.vfs.write(c, 1, b"hello\n").unwrap(), 6);
    assert_eq!(&*con.output.lock().unwrap(), b"hello\n");
    let mut b = [0u8; 4];
    assert_eq!(w.vfs.read(c, 0, &mut b), Err(Errno::EAGAIN));
    assert_eq!(w.vfs.poll(c, 0), POLLOUT);
    con.input.lock().unwrap().extend_from_slice(b"ls\n");
    assert!(w.vfs.poll_read_ready(&p.fds.get(0).unwrap()));
    assert_eq!(w.vfs.read(c, 0, &mut b).unwrap(), 3);
    assert_eq!(w.vfs.lseek(c, 0, 0, SEEK_CUR), Err(Errno::ESPIPE));
    // termios round trip; the driver hears about raw mode.
    let t = w.vfs.ioctl(c, 0, TCGETS, &[]).unwrap().out;
    let mut tio = Termios::from_bytes(&t).unwrap();
    assert_eq!(tio, Termios::default());
    tio.lflag &= !0o2;
    w.vfs.ioctl(c, 0, TCSETS, &tio.to_bytes()).unwrap();
    assert!(*con.raw.lock().unwrap());
    assert_eq!(
        Termios::from_bytes(&w.vfs.ioctl(c, 1, TCGETS, &[]).unwrap().out),
        Some(tio)
    );
    assert_eq!(w.vfs.ioctl(c, 0, TCSETS, &[0; 3]), Err(Errno::EFAULT));
    // Another node of the same device shares its terminal state.
    let s1 = w.vfs.openat(c, AT_FDCWD, b"/dev/ttyS1", O_RDWR, 0).unwrap();
    assert_eq!(
        Termios::from_bytes(&w.vfs.ioctl(c, s1, TCGETS, &[]).unwrap().out),
        Some(tio)
    );
    w.vfs.ioctl(c, s1, TCSETSF, &tio.to_bytes()).unwrap();
    assert_eq!(*con.flushes.lock().unwrap(), 1, "TCSETSF flushes input");
    w.vfs.ioctl(c, s1, TIOCSPGRP, &7i32.to_le_bytes()).unwrap();
    assert_eq!(*con.foreground.lock().unwrap(), 7);
    let pgrp = w.vfs.ioctl(c, 0, TIOCGPGRP, &[]).unwrap().out;
    assert_eq!(pgrp, 7i32.to_le_bytes());
    w.vfs.close(c, s1).unwrap();
    let ws = w.vfs.ioctl(c, 2, TIOCGWINSZ, &[]).unwrap().out;
    assert_eq!(
        WinSize::from_bytes(&ws),
        Some(WinSize {
            rows: 25,
            cols: 80,
            xpixel: 0,
            ypixel: 0
        })
    );
    assert_eq!(w.vfs.ioctl(c, 2, 0x1234, &[]), Err(Errno::ENOTTY));
    // /dev/stdout resolves through /proc/self/fd/1 to the console.
    assert_eq!(
        w.vfs.fstatat(c, AT_FDCWD, b"/dev/stdout", 0).unwrap().rdev,
        makedev(5, 1)
    );
    // Block device: size, positional I/O, SEEK_END.
    let vdb = w.vfs.openat(c, AT_FDCWD, b"/dev/vdb", O_RDWR, 0).unwrap();
    let st = w.vfs.fstat(c, vdb).unwrap();
    assert_eq!(
        (st.kind, st.size, st.rdev),
        (FileKind::BlockDevice, 8192, makedev(254, 16))
    );
    assert_eq!(w.vfs.lseek(c, vdb, 0, SEEK_END).unwrap(), 8192);
    assert_eq!(w.vfs.pwrite(c, vdb, b"MBR", 510).unwrap(), 3);
    assert_eq!(&disk.0.lock().unwrap()[510..513], b"MBR");
    assert_eq!(w.vfs.pread(c, vdb, &mut b, 8190).unwrap(), 2);
    assert_eq!(w.vfs.pwrite(c, vdb, b"x", 9000), Err(Errno::ENOSPC));
}

#[test]
fn procfs_self_fd_exe_and_info_files() {
    let w = world();
    let p = w.spawn(7, b"/bin/prog");
    let c = p.c();
    w.vfs.mkdirat(c, AT_FDCWD, b"/bin", 0o755).unwrap();
    w.put(&p, b"/bin/prog", b"\x7fELF");
    let fd = w
        .vfs
        .openat(c, AT_FDCWD, b"/bin/../bin/prog", O_RDONLY, 0)
        .unwrap();
    let (r, _wr) = w.vfs.pipe2(c, 0).unwrap();
    assert_eq!(w.vfs.readlinkat(c, AT_FDCWD, b"/proc/self").unwrap(), b"7");
    assert_eq!(
        w.vfs.readlinkat(c, AT_FDCWD, b"/proc/self/exe").unwrap(),
        b"/bin/prog"
    );
    assert_eq!(
        w.get(&p, b"/proc/self/exe").unwrap(),
        b"\x7fELF",
        "exe is followed to the file"
    );
    assert_eq!(
        w.vfs
            .readlinkat(c, AT_FDCWD, format!("/proc/self/fd/{fd}").as_bytes())
            .unwrap(),
        b"/bin/prog"
    );
    let pipe_name = w
        .vfs
        .readlinkat(c, AT_FDCWD, format!("/proc/7/fd/{r}").as_bytes())
        .unwrap();
    assert!(
        pipe_name.starts_with(b"pipe:["),
        "{}",
        String::from_utf8_lossy(&pipe_name)
    );
    assert_eq!(
        w.vfs.readlinkat(c, AT_FDCWD, b"/proc/self/fd/99"),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        w.vfs.readlinkat(c, AT_FDCWD, b"/proc/99/exe"),
        Err(Errno::ENOENT)
    );
    // A relative open shows the cwd-joined path.
    w.vfs.chdir(c, b"/bin").unwrap();
    let fd2 = w.vfs.openat(c, AT_FDCWD, b"./prog", O_RDONLY, 0).unwrap();
    assert_eq!(
        w.vfs
            .readlinkat(c, AT_FDCWD, format!("/proc/self/fd/{fd2}").as_bytes())
            .unwrap(),
        b"/bin/prog"
    );
    let fds: Vec<Vec<u8>> = w
        .ls(&p, b"/proc/self/fd")
        .into_iter()
        .map(|e| e.0)
        .collect();
    // 4 is the directory fd the listing itself uses.
    let mut expect: Vec<Vec<u8>> = [".", "..", "0", "1", "2", "3", "4"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    expect.sort();
    assert_eq!(fds, expect);
    let root: Vec<Vec<u8>> = w.ls(&p, b"/proc").into_iter().map(|e| e.0).collect();
    assert!(root.contains(&b"7".to_vec()) && root.contains(&b"meminfo".to_vec()));
    assert_eq!(
        w.get(&p, b"/proc/self/cmdline").unwrap(),
        b"/bin/prog\0--flag\0"
    );
    assert_eq!(w.get(&p, b"/proc/7/comm").unwrap(), b"prog\n");
    let mem = String::from_utf8(w.get(&p, b"/proc/meminfo").unwrap()).unwrap();
    assert!(
        mem.starts_with("MemTotal:") && mem.contains(" 1048576 kB"),
        "{mem}"
    );
    let cpu = String::from_utf8(w.get(&p, b"/proc/cpuinfo").unwrap()).unwrap();
    assert!(cpu.contains("model name\t: Test CPU"), "{cpu}");
    assert_eq!(w.get(&p, b"/proc/uptime").unwrap(), b"12.34 3.00\n");
    assert_eq!(w.get(&p, b"/proc/self/maps"), Err(Errno::ENOENT));
    let mounts = w.get(&p, b"/proc/self/mounts").unwrap();
    assert_eq!(mounts, w.get(&p, b"/proc/mounts").unwrap());
    assert_eq!(
        String::from_utf8(mounts).unwrap(),
        "blockfs / blockfs rw 0 0\ndevtmpfs /dev devtmpfs rw 0 0\nproc /proc proc ro 0 0\n"
    );
    assert_eq!(
        w.vfs.openat(c, AT_FDCWD, b"/proc/meminfo", O_WRONLY, 0),
        Err(Errno::EROFS)
    );
    assert_eq!(
        w.vfs
            .fstatat(c, AT_FDCWD, b"/proc/self/fd", 0)
            .unwrap()
            .kind,
        FileKind::Directory
    );
    // Another pid's view.
    let q = w.spawn(8, b"/bin/other");
    assert_eq!(
        w.vfs.readlinkat(q.c(), AT_FDCWD, b"/proc/self").unwrap(),
        b"8"
    );
    assert_eq!(
        w.vfs.readlinkat(q.c(), AT_FDCWD, b"/proc/7/exe").unwrap(),
        b"/bin/prog"
    );
    assert_eq!(w.vfs.getcwd(c).unwrap(), b"/bin");
}

/// musl's realpath() opens the path O_PATH and reads /proc/self/fd/N: the
/// link must be the canonical path, with symlinks and dot-dots resolved.
#[test]
fn proc_fd_links_are_canonical() {
    let w = world();
    let p = w.spawn(3, b"/t");
    let c = p.c();
    let link = |fd: i32| {
        w.vfs
            .readlinkat(c, AT_FDCWD, format!("/proc/self/fd/{fd}").as_bytes())
            .unwrap()
    };
    w.vfs.mkdirat(c, AT_FDCWD, b"/a", 0o755).unwrap();
    w.vfs.mkdirat(c, AT_FDCWD, b"/a/b", 0o755).unwrap();
    w.put(&p, b"/a/b/f", b"x");
    w.vfs.symlinkat(c, b"b", AT_FDCWD, b"/a/rel").unwrap();
    w.vfs.symlinkat(c, b"/a/rel/f", AT_FDCWD, b"/abs").unwrap();
    w.vfs.symlinkat(c, b"../a/b", AT_FDCWD, b"/a/up").unwrap();
    let cases: [(&[u8], &[u8]); 6] = [
        (b"/a/rel/f", b"/a/b/f"),
        (b"/abs", b"/a/b/f"),
        (b"//a/./up/../b/f", b"/a/b/f"),
        (b"/a/rel/..", b"/a"),
        (b"/a/up/", b"/a/b"),
        (b"/../dev/./null", b"/dev/null"),
    ];
    for (path, want) in cases {
        let fd = w
            .vfs
            .openat(c, AT_FDCWD, path, O_PATH | O_CLOEXEC, 0)
            .unwrap();
        assert_eq!(link(fd), want, "{}", String::from_utf8_lossy(path));
    }
    let fd = w
        .vfs
        .openat(c, AT_FDCWD, b"/abs", O_PATH | O_NOFOLLOW, 0)
        .unwrap();
    assert_eq!(link(fd), b"/abs", "an O_NOFOLLOW link is itself");
    // Relative to the cwd (entered through a symlink) and to a dirfd.
    w.vfs.chdir(c, b"/a/rel").unwrap();
    let fd = w.vfs.openat(c, AT_FDCWD, b"f", O_RDONLY, 0).unwrap();
    assert_eq!(link(fd), b"/a/b/f");
    let d = w
        .vfs
        .openat(c, AT_FDCWD, b"..", O_RDONLY | O_DIRECTORY, 0)
        .unwrap();
    assert_eq!(link(d), b"/a");
    let fd = w
        .vfs
        .openat(c, d, b"up/new", O_CREAT | O_WRONLY, 0o644)
        .unwrap();
    assert_eq!(link(fd), b"/a/b/new");
    w.vfs.fchdir(c, d).unwrap();
    let fd = w.vfs.openat(c, AT_FDCWD, b"b", O_RDONLY, 0).unwrap();
    assert_eq!(link(fd), b"/a/b");
    // The check realpath makes: stat of the link text is the same file.
    let st1 = w.vfs.fstat(c, fd).unwrap();
    let st2 = w.vfs.fstatat(c, AT_FDCWD, &link(fd), 0).unwrap();
    assert_eq!((st1.dev, st1.ino), (st2.dev, st2.ino));
}
