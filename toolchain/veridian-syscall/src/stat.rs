//! File metadata (`linux/stat.h`, `linux/statfs.h`, `linux/kdev_t.h`):
//! mode bits, statx mask bits, utimensat's special times, statfs flags and
//! the device-number encoding.

constants! {
    // File type bits of st_mode.
    /// Mask of the file type bits.
    S_IFMT: u32 = 0o170000;
    S_IFSOCK: u32 = 0o140000;
    S_IFLNK: u32 = 0o120000;
    S_IFREG: u32 = 0o100000;
    S_IFBLK: u32 = 0o060000;
    S_IFDIR: u32 = 0o040000;
    S_IFCHR: u32 = 0o020000;
    S_IFIFO: u32 = 0o010000;

    // Permission bits of st_mode.
    S_ISUID: u32 = 0o4000;
    S_ISGID: u32 = 0o2000;
    /// The sticky bit.
    S_ISVTX: u32 = 0o1000;
    S_IRWXU: u32 = 0o700;
    S_IRUSR: u32 = 0o400;
    S_IWUSR: u32 = 0o200;
    S_IXUSR: u32 = 0o100;
    S_IRWXG: u32 = 0o070;
    S_IRGRP: u32 = 0o040;
    S_IWGRP: u32 = 0o020;
    S_IXGRP: u32 = 0o010;
    S_IRWXO: u32 = 0o007;
    S_IROTH: u32 = 0o004;
    S_IWOTH: u32 = 0o002;
    S_IXOTH: u32 = 0o001;

    // statx(2) mask bits.
    STATX_TYPE: u32 = 0x1;
    STATX_MODE: u32 = 0x2;
    STATX_NLINK: u32 = 0x4;
    STATX_UID: u32 = 0x8;
    STATX_GID: u32 = 0x10;
    STATX_ATIME: u32 = 0x20;
    STATX_MTIME: u32 = 0x40;
    STATX_CTIME: u32 = 0x80;
    STATX_INO: u32 = 0x100;
    STATX_SIZE: u32 = 0x200;
    STATX_BLOCKS: u32 = 0x400;
    /// Everything `struct stat` has (`STATX_TYPE` … `STATX_BLOCKS`).
    STATX_BASIC_STATS: u32 = 0x7ff;
    STATX_BTIME: u32 = 0x800;
    STATX_MNT_ID: u32 = 0x1000;

    // utimensat(2): special tv_nsec values.
    /// Set the time stamp to the current time.
    UTIME_NOW: i64 = (1 << 30) - 1;
    /// Leave the time stamp unchanged.
    UTIME_OMIT: i64 = (1 << 30) - 2;

    // statfs f_flags.
    /// The file system is mounted read-only.
    ST_RDONLY: u64 = 1;
    ST_NOSUID: u64 = 2;
}

stable! {
    /// Linux's `new_encode_dev`: the `st_dev`/`st_rdev` encoding of a
    /// device number (major in bits 8..20, minor in bits 0..8 and 20..32).
    #[cfg_attr(
        feature = "rustc-dep-of-std",
        rustc_const_stable(feature = "veridian_syscall", since = "1.96.0")
    )]
    pub const fn makedev(major: u32, minor: u32) -> u64 {
        ((minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)) as u64
    }
}

stable! {
    /// Splits a device number encoded by [`makedev`] into (major, minor).
    #[cfg_attr(
        feature = "rustc-dep-of-std",
        rustc_const_stable(feature = "veridian_syscall", since = "1.96.0")
    )]
    pub const fn dev_split(dev: u64) -> (u32, u32) {
        let d = dev as u32;
        ((d >> 8) & 0xfff, (d & 0xff) | ((d >> 12) & !0xff))
    }
}
