//! Garbage arguments never panic: random paths, flags, fds, offsets,
//! ioctl/fcntl commands across every operation; the image stays
//! consistent afterwards.
mod common;
use common::*;

use proptest::prelude::*;

fn path() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"/".to_vec()),
        Just(b".".to_vec()),
        Just(b"..".to_vec()),
        Just(b"a".to_vec()),
        Just(b"b".to_vec()),
        Just(b"dev".to_vec()),
        Just(b"proc".to_vec()),
        Just(b"self".to_vec()),
        Just(b"fd".to_vec()),
        Just(b"null".to_vec()),
        Just(b"1".to_vec()),
        Just(b".veridian-orphans".to_vec()),
        prop::collection::vec(any::<u8>(), 0..4),
    ];
    prop::collection::vec(piece, 0..7).prop_map(|v| v.concat())
}

fn flags() -> impl Strategy<Value = u32> {
    prop_oneof![any::<u32>(), (0u32..0o20000000)]
}

#[derive(Debug, Clone)]
enum Call {
    Open(i32, Vec<u8>, u32, u32),
    Read(i32, usize),
    Write(i32, Vec<u8>),
    Pread(i32, usize, i64),
    Pwrite(i32, usize, i64),
    Seek(i32, i64, u32),
    Getdents(i32, usize),
    Stat(i32, Vec<u8>, u32),
    Mkdir(i32, Vec<u8>, u32),
    Unlink(i32, Vec<u8>, u32),
    Rename(i32, Vec<u8>, i32, Vec<u8>, u32),
    Link(i32, Vec<u8>, i32, Vec<u8>, u32),
    Symlink(Vec<u8>, i32, Vec<u8>),
    Readlink(i32, Vec<u8>),
    Chdir(Vec<u8>),
    Fchdir(i32),
    Access(i32, Vec<u8>, u32, u32),
    Chmod(i32, Vec<u8>, u32, u32),
    Utimens(i32, Option<Vec<u8>>, Option<[(i64, i64); 2]>, u32),
    Truncate(i32, i64),
    Fcntl(i32, u32, u64),
    Ioctl(i32, u32, Vec<u8>),
    Dup3(i32, i32, u32),
    Pipe(u32),
    Close(i32),
    Poll(i32),
    Sendfile(i32, i32, Option<i64>, usize),
    CopyRange(i32, Option<i64>, i32, Option<i64>, usize, u32),
    Fallocate(i32, u32, i64, i64),
}

fn call() -> impl Strategy<Value = Call> {
    let fd = -3i32..12;
    let dirfd = prop_oneof![Just(AT_FDCWD), -3i32..12];
    prop_oneof![
        (dirfd.clone(), path(), flags(), any::<u32>())
            .prop_map(|(d, p, f, m)| Call::Open(d, p, f, m)),
        (fd.clone(), 0usize..5000).prop_map(|(f, n)| Call::Read(f, n)),
        (fd.clone(), prop::collection::vec(any::<u8>(), 0..5000))
            .prop_map(|(f, d)| Call::Write(f, d)),
        (fd.clone(), 0usize..5000, any::<i64>()).prop_map(|(f, n, o)| Call::Pread(f, n, o)),
        (
            fd.clone(),
            0usize..5000,
            prop_oneof![any::<i64>(), 0i64..100_000]
        )
            .prop_map(|(f, n, o)| Call::Pwrite(f, n, o)),
        (fd.clone(), any::<i64>(), 0u32..6).prop_map(|(f, o, w)| Call::Seek(f, o, w)),
        (fd.clone(), 0usize..300).prop_map(|(f, n)| Call::Getdents(f, n)),
        (dirfd.clone(), path(), flags()).prop_map(|(d, p, f)| Call::Stat(d, p, f)),
        (dirfd.clone(), path(), any::<u32>()).prop_map(|(d, p, m)| Call::Mkdir(d, p, m)),
        (
            dirfd.clone(),
            path(),
            prop_oneof![Just(0u32), Just(AT_REMOVEDIR), any::<u32>()]
        )
            .prop_map(|(d, p, f)| Call::Unlink(d, p, f)),
        (dirfd.clone(), path(), dirfd.clone(), path(), 0u32..8)
            .prop_map(|(a, p, b, q, f)| Call::Rename(a, p, b, q, f)),
        (dirfd.clone(), path(), dirfd.clone(), path(), flags())
            .prop_map(|(a, p, b, q, f)| Call::Link(a, p, b, q, f)),
        (path(), dirfd.clone(), path()).prop_map(|(t, d, p)| Call::Symlink(t, d, p)),
        (dirfd.clone(), path()).prop_map(|(d, p)| Call::Readlink(d, p)),
        path().prop_map(Call::Chdir),
        fd.clone().prop_map(Call::Fchdir),
        (dirfd.clone(), path(), 0u32..16, flags())
            .prop_map(|(d, p, m, f)| Call::Access(d, p, m, f)),
        (dirfd.clone(), path(), any::<u32>(), flags())
            .prop_map(|(d, p, m, f)| Call::Chmod(d, p, m, f)),
        (
            dirfd.clone(),
            prop::option::of(path()),
            prop::option::of(any::<[(i64, i64); 2]>()),
            flags()
        )
            .prop_map(|(d, p, t, f)| Call::Utimens(d, p, t, f)),
        (fd.clone(), prop_oneof![any::<i64>(), 0i64..100_000])
            .prop_map(|(f, n)| Call::Truncate(f, n)),
        (
            fd.clone(),
            prop_oneof![0u32..12, 1024u32..1040, any::<u32>()],
            any::<u64>()
        )
            .prop_map(|(f, c, a)| Call::Fcntl(f, c, a)),
        (
            fd.clone(),
            prop_oneof![0x5400u32..0x5460, any::<u32>()],
            prop::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(f, c, a)| Call::Ioctl(f, c, a)),
        (fd.clone(), -3i32..2000, flags()).prop_map(|(a, b, f)| Call::Dup3(a, b, f)),
        flags().prop_map(Call::Pipe),
        fd.clone().prop_map(Call::Close),
        fd.clone().prop_map(Call::Poll),
        (
            fd.clone(),
            fd.clone(),
            prop::option::of(any::<i64>()),
            0usize..200_000
        )
            .prop_map(|(a, b, o, n)| Call::Sendfile(a, b, o, n)),
        (
            fd.clone(),
            prop::option::of(any::<i64>()),
            fd.clone(),
            prop::option::of(0i64..100_000),
            0usize..200_000,
            0u32..2
        )
            .prop_map(|(a, o, b, q, n, f)| Call::CopyRange(a, o, b, q, n, f)),
        (
            fd,
            0u32..3,
            any::<i64>(),
            prop_oneof![any::<i64>(), 0i64..50_000]
        )
            .prop_map(|(f, m, o, l)| Call::Fallocate(f, m, o, l)),
    ]
}

fn run(w: &World, p: &Proc, call: &Call) {
    let (v, c) = (&w.vfs, p.c());
    let mut buf = vec![0u8; 5000];
    match call.clone() {
        Call::Open(d, path, f, m) => drop(v.openat(c, d, &path, f, m)),
        Call::Read(f, n) => drop(v.read(c, f, &mut buf[..n])),
        Call::Write(f, d) => drop(v.write(c, f, &d)),
        Call::Pread(f, n, o) => drop(v.pread(c, f, &mut buf[..n], o)),
        Call::Pwrite(f, n, o) => drop(v.pwrite(c, f, &buf[..n], o)),
        Call::Seek(f, o, wh) => drop(v.lseek(c, f, o, wh)),
        Call::Getdents(f, n) => drop(v.getdents64(c, f, &mut buf[..n])),
        Call::Stat(d, path, f) => {
            if let Ok(st) = v.fstatat(c, d, &path, f) {
                st.to_linux_stat();
                st.to_statx();
            }
        }
        Call::Mkdir(d, path, m) => drop(v.mkdirat(c, d, &path, m)),
        Call::Unlink(d, path, f) => drop(v.unlinkat(c, d, &path, f)),
        Call::Rename(a, p1, b, p2, f) => drop(v.renameat2(c, a, &p1, b, &p2, f)),
        Call::Link(a, p1, b, p2, f) => drop(v.linkat(c, a, &p1, b, &p2, f)),
        Call::Symlink(t, d, path) => drop(v.symlinkat(c, &t, d, &path)),
        Call::Readlink(d, path) => drop(v.readlinkat(c, d, &path)),
        Call::Chdir(path) => drop(v.chdir(c, &path)),
        Call::Fchdir(f) => drop(v.fchdir(c, f)),
        Call::Access(d, path, m, f) => drop(v.faccessat(c, d, &path, m, f)),
        Call::Chmod(d, path, m, f) => drop(v.fchmodat(c, d, &path, m, f)),
        Call::Utimens(d, path, t, f) => drop(v.utimensat(c, d, path.as_deref(), t, f)),
        Call::Truncate(f, n) => drop(v.ftruncate(c, f, n)),
        Call::Fcntl(f, cmd, a) => drop(v.fcntl(c, f, cmd, a)),
        Call::Ioctl(f, cmd, a) => drop(v.ioctl(c, f, cmd, &a)),
        Call::Dup3(a, b, f) => drop(v.dup3(c, a, b, f)),
        Call::Pipe(f) => drop(v.pipe2(c, f)),
        Call::Close(f) => drop(v.close(c, f)),
        Call::Poll(f) => drop(v.poll(c, f)),
        Call::Sendfile(a, b, mut o, n) => drop(v.sendfile(c, a, b, o.as_mut(), n)),
        Call::CopyRange(a, mut o, b, mut q, n, f) => {
            let _ = v.copy_file_range(c, a, o.as_mut(), b, q.as_mut(), n, f);
        }
        Call::Fallocate(f, m, o, l) => drop(v.fallocate(c, f, m, o, l)),
    }
    let _ = v.getcwd(c);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn garbage_never_panics(calls in prop::collection::vec(call(), 1..80)) {
        let w = world();
        let p = w.spawn(1, b"/t");
        w.vfs.mkdirat(p.c(), AT_FDCWD, b"/a", 0o755).unwrap();
        w.put(&p, b"/a/b", b"seed");
        for call in &calls {
            run(&w, &p, call);
        }
        p.fds.close_all();
        w.vfs.sync().unwrap();
        w.root.with_fs(|fs| {
            let report = fs.fsck(false).unwrap();
            assert!(report.is_clean(), "{report:?}");
        });
    }
}
