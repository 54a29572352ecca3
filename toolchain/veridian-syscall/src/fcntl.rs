//! File-descriptor and path-call arguments (`asm-generic/fcntl.h`,
//! `linux/fcntl.h`, `linux/fs.h`, `unistd.h`): open flags, `*at` flags,
//! fcntl commands, access modes, lseek whence, renameat2 flags.

constants! {
    // open(2) flags.
    /// Mask of the access mode (`O_RDONLY`, `O_WRONLY`, `O_RDWR`).
    O_ACCMODE: u32 = 0o3;
    O_RDONLY: u32 = 0;
    O_WRONLY: u32 = 1;
    O_RDWR: u32 = 2;
    O_CREAT: u32 = 0o100;
    O_EXCL: u32 = 0o200;
    O_NOCTTY: u32 = 0o400;
    O_TRUNC: u32 = 0o1000;
    O_APPEND: u32 = 0o2000;
    O_NONBLOCK: u32 = 0o4000;
    /// Same value as `O_NONBLOCK`.
    O_NDELAY: u32 = O_NONBLOCK;
    O_DSYNC: u32 = 0o10000;
    /// Signal-driven I/O (`FASYNC`).
    O_ASYNC: u32 = 0o20000;
    O_DIRECT: u32 = 0o40000;
    /// Implied on x86_64 (64-bit offsets); accepted and ignored.
    O_LARGEFILE: u32 = 0o100000;
    O_DIRECTORY: u32 = 0o200000;
    O_NOFOLLOW: u32 = 0o400000;
    O_NOATIME: u32 = 0o1000000;
    O_CLOEXEC: u32 = 0o2000000;
    /// `__O_SYNC | O_DSYNC`.
    O_SYNC: u32 = 0o4010000;
    /// Same value as `O_SYNC`.
    O_RSYNC: u32 = O_SYNC;
    O_PATH: u32 = 0o10000000;
    /// `__O_TMPFILE | O_DIRECTORY`.
    O_TMPFILE: u32 = 0o20200000;
    /// The status flags `F_SETFL` may change (Linux's `SETFL_MASK`);
    /// `fcntl` keeps the others as they were.
    SETFL_MASK: u32 = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

    // *at(2) arguments.
    /// The `dirfd` that means "relative to the working directory".
    AT_FDCWD: i32 = -100;
    AT_SYMLINK_NOFOLLOW: u32 = 0x100;
    /// unlinkat(2): remove a directory (as rmdir).
    AT_REMOVEDIR: u32 = 0x200;
    /// faccessat(2): check with the effective ids (same bit as `AT_REMOVEDIR`).
    AT_EACCESS: u32 = 0x200;
    /// linkat(2): follow a symbolic link given as the source.
    AT_SYMLINK_FOLLOW: u32 = 0x400;
    AT_NO_AUTOMOUNT: u32 = 0x800;
    /// Operate on `dirfd` itself when the path is empty.
    AT_EMPTY_PATH: u32 = 0x1000;
    /// statx(2): mask of the synchronisation mode bits.
    AT_STATX_SYNC_TYPE: u32 = 0x6000;
    AT_STATX_SYNC_AS_STAT: u32 = 0x0000;
    AT_STATX_FORCE_SYNC: u32 = 0x2000;
    AT_STATX_DONT_SYNC: u32 = 0x4000;

    // renameat2(2) flags.
    RENAME_NOREPLACE: u32 = 1;
    RENAME_EXCHANGE: u32 = 2;
    RENAME_WHITEOUT: u32 = 4;

    // access(2) modes.
    F_OK: u32 = 0;
    X_OK: u32 = 1;
    W_OK: u32 = 2;
    R_OK: u32 = 4;

    // lseek(2) whence.
    SEEK_SET: u32 = 0;
    SEEK_CUR: u32 = 1;
    SEEK_END: u32 = 2;
    SEEK_DATA: u32 = 3;
    SEEK_HOLE: u32 = 4;

    // fcntl(2) commands.
    F_DUPFD: u32 = 0;
    F_GETFD: u32 = 1;
    F_SETFD: u32 = 2;
    F_GETFL: u32 = 3;
    F_SETFL: u32 = 4;
    F_GETLK: u32 = 5;
    F_SETLK: u32 = 6;
    F_SETLKW: u32 = 7;
    F_SETOWN: u32 = 8;
    F_GETOWN: u32 = 9;
    F_OFD_GETLK: u32 = 36;
    F_OFD_SETLK: u32 = 37;
    F_OFD_SETLKW: u32 = 38;
    F_DUPFD_CLOEXEC: u32 = 1030;
    F_SETPIPE_SZ: u32 = 1031;
    F_GETPIPE_SZ: u32 = 1032;
    F_ADD_SEALS: u32 = 1033;
    F_GET_SEALS: u32 = 1034;
    /// The descriptor flag `F_GETFD`/`F_SETFD` report and set.
    FD_CLOEXEC: u32 = 1;

    // struct flock l_type.
    F_RDLCK: u16 = 0;
    F_WRLCK: u16 = 1;
    F_UNLCK: u16 = 2;

    // flock(2) operations.
    LOCK_SH: u32 = 1;
    LOCK_EX: u32 = 2;
    LOCK_NB: u32 = 4;
    LOCK_UN: u32 = 8;

    // close_range(2) flags.
    CLOSE_RANGE_UNSHARE: u32 = 1 << 1;
    CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;
}
