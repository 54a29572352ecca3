//! Files and folders: create/read/write/seek, metadata and permissions,
//! read_dir, rename, remove, hard links and symlinks.
use conformance::{raw, scratch_dir, Suite};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};

const PAGE: usize = 4096;
const PROT_READ: usize = 1;
const PROT_WRITE: usize = 2;
const MAP_SHARED: usize = 1;
const MAP_PRIVATE: usize = 2;
const MAP_ANONYMOUS: usize = 0x20;
const MS_ASYNC: usize = 1;
const MS_SYNC: usize = 4;
const EACCES: isize = 13;
const ENOMEM: isize = 12;
const EINVAL: isize = 22;

/// mmap(2) at an address of the kernel's choice: the address or `-errno`.
fn mmap(len: usize, prot: usize, flags: usize, fd: i32) -> isize {
    raw::sys(9, [0, len, prot, flags, fd as usize, 0])
}

fn main() {
    let mut suite = Suite::new("fs");
    let dir = scratch_dir("fs");
    let file = dir.join("data.txt");

    suite.check("create-write", || {
        let mut f = File::create(&file).unwrap();
        f.write_all(b"hello veridian\n").unwrap();
        f.sync_all().unwrap();
    });
    suite.check("flock", || {
        // Locks belong to open file descriptions: a second open of the
        // file is refused while the first holds an exclusive lock, and a
        // blocked locker goes on when the holder unlocks.
        const LOCK_SH: usize = 1;
        const LOCK_EX: usize = 2;
        const LOCK_NB: usize = 4;
        const LOCK_UN: usize = 8;
        let flock = |f: &File, op: usize| raw::sys(73, [f.as_raw_fd() as usize, op, 0, 0, 0, 0]);
        let path = dir.join("locked");
        let one = File::create(&path).unwrap();
        let two = File::open(&path).unwrap();
        assert_eq!(flock(&one, LOCK_EX), 0);
        assert_eq!(flock(&two, LOCK_SH | LOCK_NB), -11, "EWOULDBLOCK");
        let waiter = std::thread::spawn(move || {
            let start = std::time::Instant::now();
            assert_eq!(flock(&two, LOCK_EX), 0);
            (start.elapsed(), two)
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(flock(&one, LOCK_UN), 0);
        let (waited, two) = waiter.join().unwrap();
        assert!(waited.as_millis() >= 100, "the locker waited {waited:?}");
        assert_eq!(
            flock(&one, LOCK_SH | LOCK_NB),
            -11,
            "the waiter holds it now"
        );
        drop(two);
        assert_eq!(flock(&one, LOCK_SH | LOCK_NB), 0, "released with its file");
    });
    suite.check("read", || {
        assert_eq!(fs::read_to_string(&file).unwrap(), "hello veridian\n")
    });
    suite.check("append", || {
        let mut f = OpenOptions::new().append(true).open(&file).unwrap();
        f.write_all(b"second line\n").unwrap();
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            "hello veridian\nsecond line\n"
        );
    });
    suite.check("seek", || {
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&file)
            .unwrap();
        f.seek(SeekFrom::Start(6)).unwrap();
        f.write_all(b"VERIDIAN").unwrap();
        assert_eq!(f.stream_position().unwrap(), 14);
        let end = f.seek(SeekFrom::End(-5)).unwrap();
        assert_eq!(end, 27 - 5);
        let mut tail = String::new();
        f.read_to_string(&mut tail).unwrap();
        assert_eq!(tail, "line\n");
        f.rewind().unwrap();
        let mut all = String::new();
        f.read_to_string(&mut all).unwrap();
        assert_eq!(all, "hello VERIDIAN\nsecond line\n");
    });
    suite.check("set-len", || {
        let f = OpenOptions::new().write(true).open(&file).unwrap();
        f.set_len(5).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"hello");
        f.set_len(8).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"hello\0\0\0");
    });
    suite.check("large-file", || {
        let big = dir.join("big.bin");
        let data: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
        fs::write(&big, &data).unwrap();
        assert_eq!(fs::metadata(&big).unwrap().len(), data.len() as u64);
        assert!(fs::read(&big).unwrap() == data, "3 MiB round trip");
        fs::remove_file(&big).unwrap();
    });
    suite.check("metadata", || {
        let meta = fs::metadata(&file).unwrap();
        assert!(meta.is_file() && !meta.is_dir());
        assert_eq!(meta.len(), 8);
        assert!(meta.modified().is_ok());
        assert_eq!(meta.nlink(), 1);
        assert!(fs::metadata(&dir).unwrap().is_dir());
    });
    suite.check("permissions", || {
        fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let mut perms = fs::metadata(&file).unwrap().permissions();
        perms.set_readonly(true);
        fs::set_permissions(&file, perms).unwrap();
        assert!(fs::metadata(&file).unwrap().permissions().readonly());
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    });
    suite.check("create-dir-all", || {
        fs::create_dir_all(dir.join("a/b/c")).unwrap();
        fs::write(dir.join("a/b/c/leaf"), b"leaf").unwrap();
        assert!(fs::create_dir(dir.join("a")).is_err(), "existing dir");
    });
    suite.check("read-dir", || {
        fs::write(dir.join("a/one"), b"1").unwrap();
        fs::write(dir.join("a/two"), b"2").unwrap();
        let mut names: Vec<String> = fs::read_dir(dir.join("a"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["b", "one", "two"]);
        let b = fs::read_dir(dir.join("a"))
            .unwrap()
            .map(|e| e.unwrap())
            .find(|e| e.file_name() == "b")
            .unwrap();
        assert!(b.file_type().unwrap().is_dir());
    });
    suite.check("rename", || {
        fs::rename(dir.join("a/one"), dir.join("a/uno")).unwrap();
        assert!(!dir.join("a/one").exists());
        assert_eq!(fs::read(dir.join("a/uno")).unwrap(), b"1");
        fs::rename(dir.join("a/uno"), dir.join("a/two")).unwrap();
        assert_eq!(
            fs::read(dir.join("a/two")).unwrap(),
            b"1",
            "rename replaces"
        );
    });
    suite.check("hard-link", || {
        fs::hard_link(dir.join("a/two"), dir.join("a/two-link")).unwrap();
        assert_eq!(fs::metadata(dir.join("a/two")).unwrap().nlink(), 2);
        fs::remove_file(dir.join("a/two-link")).unwrap();
        assert_eq!(fs::metadata(dir.join("a/two")).unwrap().nlink(), 1);
    });
    suite.check("symlink", || {
        let link = dir.join("link-to-data");
        symlink("data.txt", &link).unwrap();
        assert_eq!(fs::read_link(&link).unwrap().to_str(), Some("data.txt"));
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&link).unwrap(), b"hello\0\0\0");
        assert_eq!(
            fs::canonicalize(&link).unwrap(),
            fs::canonicalize(&file).unwrap()
        );
        fs::remove_file(&link).unwrap();
        assert!(file.exists(), "removing a link keeps the target");
    });
    suite.check("errors", || {
        let missing = fs::read(dir.join("missing")).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
        let exists = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&file)
            .unwrap_err();
        assert_eq!(exists.kind(), std::io::ErrorKind::AlreadyExists);
        assert!(fs::remove_dir(dir.join("a")).is_err(), "non-empty dir");
    });
    suite.check("mmap-private-file", || {
        // Three pages and a bit of a file, mapped privately twice: the
        // mappings show the file (zeros past its end), a write stays in its
        // own mapping, and the contents outlive the file's name.
        let path = dir.join("mapped.bin");
        let data: Vec<u8> = (0..3 * PAGE + 100).map(|i| (i % 251) as u8).collect();
        fs::write(&path, &data).unwrap();
        let f = File::open(&path).unwrap();
        let map = |prot: usize| {
            let at = raw::sys(
                9,
                [0, 4 * PAGE, prot, MAP_PRIVATE, f.as_raw_fd() as usize, 0],
            );
            assert!(at > 0, "mmap: {at}");
            at as usize
        };
        let (a, b) = (map(PROT_READ | PROT_WRITE), map(PROT_READ));
        // SAFETY: both mappings are four pages long and stay mapped until
        // the munmap calls at the end; nothing else aliases them.
        let (ours, theirs) = unsafe {
            (
                std::slice::from_raw_parts_mut(a as *mut u8, 4 * PAGE),
                std::slice::from_raw_parts(b as *const u8, 4 * PAGE),
            )
        };
        assert_eq!(&ours[..data.len()], &data[..]);
        assert!(
            ours[data.len()..].iter().all(|&x| x == 0),
            "past the end reads zero"
        );
        ours[0] = 0xAA;
        ours[PAGE + 1] = 0xBB;
        assert_eq!((theirs[0], theirs[PAGE + 1]), (data[0], data[PAGE + 1]));
        assert_eq!(
            fs::read(&path).unwrap(),
            data,
            "a private write reached the file"
        );
        drop(f);
        fs::remove_file(&path).unwrap();
        fs::write(dir.join("after.bin"), vec![0x55u8; 4 * PAGE]).unwrap();
        assert_eq!(&theirs[..data.len()], &data[..]);
        assert_eq!((ours[0], ours[PAGE + 1], ours[2]), (0xAA, 0xBB, data[2]));
        for at in [a, b] {
            assert_eq!(raw::sys(11, [at, 4 * PAGE, 0, 0, 0, 0]), 0);
        }
    });
    suite.check("mmap-shared-file", || {
        // A file of two pages and a bit, mapped shared and writable: writes
        // through the mapping are the file's at once (read sees them), and
        // a write() shows in the mapping; they outlive the mapping and the
        // descriptor. Bytes past the end in the last page are not the
        // file's, and the file keeps its size.
        let path = dir.join("shared.bin");
        let size = 2 * PAGE + 100;
        let data: Vec<u8> = (0..size).map(|i| (i % 249) as u8).collect();
        fs::write(&path, &data).unwrap();
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let at = mmap(3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, f.as_raw_fd());
        assert!(at > 0, "mmap: {at}");
        // SAFETY: the mapping is three pages long and stays mapped until
        // the munmap below; nothing else aliases it in this process.
        let map = unsafe { std::slice::from_raw_parts_mut(at as *mut u8, 3 * PAGE) };
        assert_eq!(&map[..size], &data[..]);
        assert!(
            map[size..].iter().all(|&x| x == 0),
            "past the end reads zero"
        );
        map[0] = 0xA1;
        map[PAGE + 7] = 0xA2;
        map[size - 1] = 0xA3;
        map[size + 5] = 0xEE;
        let mut want = data.clone();
        (want[0], want[PAGE + 7], want[size - 1]) = (0xA1, 0xA2, 0xA3);
        assert_eq!(
            fs::read(&path).unwrap(),
            want,
            "read sees the mapping's writes"
        );
        f.seek(SeekFrom::Start(2)).unwrap();
        f.write_all(b"via write").unwrap();
        want[2..11].copy_from_slice(b"via write");
        assert_eq!(&map[..12], &want[..12], "the mapping sees write()");
        assert_eq!(raw::sys(26, [at as usize, 3 * PAGE, MS_SYNC, 0, 0, 0]), 0);
        assert_eq!(raw::sys(11, [at as usize, 3 * PAGE, 0, 0, 0, 0]), 0);
        drop(f);
        assert_eq!(fs::read(&path).unwrap(), want);
        assert_eq!(fs::metadata(&path).unwrap().len(), size as u64);
        fs::remove_file(&path).unwrap();
    });
    suite.check("mmap-shared-across-fork", || {
        // A child's writes into shared mappings (anonymous and of a file)
        // reach the parent; into a private one they do not.
        let path = dir.join("fork-shared.bin");
        fs::write(&path, vec![0u8; PAGE]).unwrap();
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let anon = mmap(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
        let file = mmap(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, f.as_raw_fd());
        let private = mmap(
            PAGE,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS,
            -1,
        );
        assert!(anon > 0 && file > 0 && private > 0);
        let (a, b, c) = (anon as *mut u8, file as *mut u8, private as *mut u8);
        // Touched before the fork (page present) and after (not yet).
        // SAFETY: the three are one-page mappings, mapped until the munmaps
        // below; every access here is inside them.
        unsafe { *a = 1 };
        let pid = raw::sys(57, [0; 6]);
        if pid == 0 {
            // SAFETY: the child's copies of the same mappings.
            unsafe {
                *a = 0x11;
                *a.add(100) = 0x12;
                *b.add(5) = 0x13;
                *c = 0x14;
            }
            raw::sys(231, [0; 6]);
        }
        assert!(pid > 0, "fork: {pid}");
        let mut status = 0i32;
        let r = raw::sys(
            61,
            [pid as usize, &mut status as *mut i32 as usize, 0, 0, 0, 0],
        );
        assert_eq!((r, status), (pid, 0));
        // SAFETY: as above.
        let seen = unsafe { (*a, *a.add(100), *b.add(5), *c) };
        assert_eq!(seen, (0x11, 0x12, 0x13, 0));
        assert_eq!(fs::read(&path).unwrap()[5], 0x13);
        for at in [anon, file, private] {
            assert_eq!(raw::sys(11, [at as usize, PAGE, 0, 0, 0, 0]), 0);
        }
        fs::remove_file(&path).unwrap();
    });
    suite.check("mmap-shared-needs-write-access", || {
        // A file open read-only maps shared only for reading, and cannot be
        // made writable later; msync wants a mapped range and sane flags.
        let path = dir.join("ro-shared.bin");
        fs::write(&path, vec![7u8; PAGE]).unwrap();
        let f = File::open(&path).unwrap();
        let fd = f.as_raw_fd();
        assert_eq!(mmap(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd), -EACCES);
        let at = mmap(PAGE, PROT_READ, MAP_SHARED, fd);
        assert!(at > 0, "mmap: {at}");
        assert_eq!(
            raw::sys(10, [at as usize, PAGE, PROT_READ | PROT_WRITE, 0, 0, 0]),
            -EACCES
        );
        // SAFETY: one readable page, mapped until the munmap below.
        assert_eq!(unsafe { *(at as *const u8) }, 7);
        assert_eq!(
            raw::sys(26, [at as usize, PAGE, MS_SYNC | MS_ASYNC, 0, 0, 0]),
            -EINVAL
        );
        assert_eq!(raw::sys(11, [at as usize, PAGE, 0, 0, 0, 0]), 0);
        assert_eq!(raw::sys(26, [at as usize, PAGE, MS_SYNC, 0, 0, 0]), -ENOMEM);
        fs::remove_file(&path).unwrap();
    });
    suite.check("tmpfile-and-memfd", || {
        // Unnamed files: O_TMPFILE in a folder and memfd_create leave no
        // name behind, hold data, and a memfd maps shared like a file.
        const O_TMPFILE: usize = 0o20200000;
        const O_RDWR: usize = 2;
        const MFD_CLOEXEC: usize = 1;
        let before = fs::read_dir(&dir).unwrap().count();
        let cdir = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
        let tmp = raw::sys(
            257,
            [
                -100isize as usize,
                cdir.as_ptr() as usize,
                O_TMPFILE | O_RDWR,
                0o600,
                0,
                0,
            ],
        );
        assert!(tmp >= 0, "open O_TMPFILE: {tmp}");
        assert_eq!(
            raw::sys(1, [tmp as usize, b"unnamed".as_ptr() as usize, 7, 0, 0, 0]),
            7
        );
        let ro = raw::sys(
            257,
            [
                -100isize as usize,
                cdir.as_ptr() as usize,
                O_TMPFILE,
                0o600,
                0,
                0,
            ],
        );
        assert_eq!(ro, -EINVAL, "an unnamed file must be writable");
        let memfd = raw::sys(319, [c"conf".as_ptr() as usize, MFD_CLOEXEC, 0, 0, 0, 0]);
        assert!(memfd >= 0, "memfd_create: {memfd}");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            before,
            "no name is left"
        );
        let shown = fs::read_link(format!("/proc/self/fd/{memfd}")).unwrap();
        assert!(
            shown.to_string_lossy().starts_with("/memfd:conf"),
            "{shown:?}"
        );
        assert_eq!(
            raw::sys(77, [memfd as usize, PAGE, 0, 0, 0, 0]),
            0,
            "ftruncate"
        );
        let at = mmap(PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd as i32);
        assert!(at > 0, "mmap: {at}");
        // SAFETY: one page, mapped until the munmap below.
        unsafe { *(at as *mut u8).add(3) = 0x5C };
        let mut back = [0u8; 4];
        assert_eq!(
            raw::sys(17, [memfd as usize, back.as_mut_ptr() as usize, 4, 0, 0, 0]),
            4
        );
        assert_eq!(back, [0, 0, 0, 0x5C], "read sees the mapping's write");
        assert_eq!(
            raw::sys(319, [c"x".as_ptr() as usize, 0x100, 0, 0, 0, 0]),
            -EINVAL
        );
        assert_eq!(raw::sys(11, [at as usize, PAGE, 0, 0, 0, 0]), 0);
        raw::close(memfd);
        raw::close(tmp);
    });
    suite.check("remove", || {
        fs::remove_file(&file).unwrap();
        assert!(!file.exists());
        fs::remove_dir_all(&dir).unwrap();
        assert!(!dir.exists());
    });
    suite.done();
}
