//! Byte layouts checked against the C definitions of the Linux x86_64 ABI
//! (the libc crate's `struct stat`, `statx`, `statfs`, `dirent64`,
//! `termios`, `winsize`), field by field.
use std::mem::{offset_of, size_of};

use veridian_vfs::abi::*;
use veridian_vfs::*;

fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}
fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

fn sample() -> Stat {
    let mut st = Stat::new(FileKind::CharDevice, 0o4755);
    st.dev = makedev(254, 3);
    st.ino = 0x1122_3344_5566;
    st.nlink = 7;
    st.uid = 1000;
    st.gid = 100;
    st.rdev = makedev(4, 300);
    st.size = 0xABCDEF;
    st.blksize = 4096;
    st.blocks = 48;
    st.atime = Timespec {
        sec: 1_600_000_001,
        nsec: 11,
    };
    st.mtime = Timespec {
        sec: 1_600_000_002,
        nsec: 22,
    };
    st.ctime = Timespec {
        sec: 1_600_000_003,
        nsec: 33,
    };
    st.mnt_id = 9;
    st
}

#[test]
fn struct_stat_matches_libc() {
    assert_eq!(size_of::<libc::stat>(), STRUCT_STAT_SIZE);
    let st = sample();
    let b = st.to_linux_stat();
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_dev)), st.dev);
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_ino)), st.ino);
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_nlink)), 7);
    assert_eq!(
        u32_at(&b, offset_of!(libc::stat, st_mode)),
        S_IFCHR | 0o4755
    );
    assert_eq!(u32_at(&b, offset_of!(libc::stat, st_uid)), 1000);
    assert_eq!(u32_at(&b, offset_of!(libc::stat, st_gid)), 100);
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_rdev)), st.rdev);
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_size)), 0xABCDEF);
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_blksize)), 4096);
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_blocks)), 48);
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_atime)), 1_600_000_001);
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_atime_nsec)), 11);
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_mtime)), 1_600_000_002);
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_mtime_nsec)), 22);
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_ctime)), 1_600_000_003);
    assert_eq!(u64_at(&b, offset_of!(libc::stat, st_ctime_nsec)), 33);
    // The device number decodes with the C library's major()/minor().
    assert_eq!((libc::major(st.rdev), libc::minor(st.rdev)), (4, 300));
    assert_eq!(libc::makedev(254, 3), st.dev);
}

#[test]
fn struct_statx_matches_libc() {
    assert_eq!(size_of::<libc::statx>(), STRUCT_STATX_SIZE);
    let st = sample();
    let b = st.to_statx();
    assert_eq!(
        u32_at(&b, offset_of!(libc::statx, stx_mask)) & STATX_BASIC_STATS,
        STATX_BASIC_STATS
    );
    assert_eq!(u32_at(&b, offset_of!(libc::statx, stx_blksize)), 4096);
    assert_eq!(u32_at(&b, offset_of!(libc::statx, stx_nlink)), 7);
    assert_eq!(u32_at(&b, offset_of!(libc::statx, stx_uid)), 1000);
    assert_eq!(u32_at(&b, offset_of!(libc::statx, stx_gid)), 100);
    let m = offset_of!(libc::statx, stx_mode);
    assert_eq!(
        u16::from_le_bytes([b[m], b[m + 1]]) as u32,
        S_IFCHR | 0o4755
    );
    assert_eq!(u64_at(&b, offset_of!(libc::statx, stx_ino)), st.ino);
    assert_eq!(u64_at(&b, offset_of!(libc::statx, stx_size)), 0xABCDEF);
    assert_eq!(u64_at(&b, offset_of!(libc::statx, stx_blocks)), 48);
    let ts = offset_of!(libc::statx_timestamp, tv_nsec);
    for (field, t) in [
        (offset_of!(libc::statx, stx_atime), st.atime),
        (offset_of!(libc::statx, stx_mtime), st.mtime),
        (offset_of!(libc::statx, stx_ctime), st.ctime),
    ] {
        assert_eq!(u64_at(&b, field) as i64, t.sec);
        assert_eq!(u32_at(&b, field + ts), t.nsec);
    }
    assert_eq!(u32_at(&b, offset_of!(libc::statx, stx_rdev_major)), 4);
    assert_eq!(u32_at(&b, offset_of!(libc::statx, stx_rdev_minor)), 300);
    assert_eq!(u32_at(&b, offset_of!(libc::statx, stx_dev_major)), 254);
    assert_eq!(u32_at(&b, offset_of!(libc::statx, stx_dev_minor)), 3);
    assert_eq!(u64_at(&b, offset_of!(libc::statx, stx_mnt_id)), 9);
}

#[test]
fn struct_statfs_matches_libc() {
    assert_eq!(size_of::<libc::statfs>(), STRUCT_STATFS_SIZE);
    let s = FsStat {
        fs_type: 0x424C4B46,
        block_size: 4096,
        blocks: 1000,
        blocks_free: 600,
        files: 300,
        files_free: 200,
        name_max: 255,
        flags: ST_RDONLY,
        fsid: 0x55,
    };
    let b = s.to_linux_statfs();
    assert_eq!(u64_at(&b, offset_of!(libc::statfs, f_type)), 0x424C4B46);
    assert_eq!(u64_at(&b, offset_of!(libc::statfs, f_bsize)), 4096);
    assert_eq!(u64_at(&b, offset_of!(libc::statfs, f_blocks)), 1000);
    assert_eq!(u64_at(&b, offset_of!(libc::statfs, f_bfree)), 600);
    assert_eq!(u64_at(&b, offset_of!(libc::statfs, f_bavail)), 600);
    assert_eq!(u64_at(&b, offset_of!(libc::statfs, f_files)), 300);
    assert_eq!(u64_at(&b, offset_of!(libc::statfs, f_ffree)), 200);
    assert_eq!(u64_at(&b, offset_of!(libc::statfs, f_fsid)), 0x55);
    assert_eq!(u64_at(&b, offset_of!(libc::statfs, f_namelen)), 255);
    assert_eq!(u64_at(&b, offset_of!(libc::statfs, f_frsize)), 4096);
    assert_eq!(
        u64_at(&b, offset_of!(libc::statfs, f_frsize) + 8),
        1,
        "f_flags follows f_frsize"
    );
}

#[test]
fn linux_dirent64_matches_libc() {
    assert_eq!(offset_of!(libc::dirent64, d_ino), 0);
    assert_eq!(offset_of!(libc::dirent64, d_off), 8);
    assert_eq!(offset_of!(libc::dirent64, d_reclen), 16);
    assert_eq!(offset_of!(libc::dirent64, d_type), 18);
    assert_eq!(offset_of!(libc::dirent64, d_name), DIRENT_NAME_OFFSET);
    assert_eq!(FileKind::Directory.dirent_type(), libc::DT_DIR);
    assert_eq!(FileKind::Regular.dirent_type(), libc::DT_REG);
    assert_eq!(FileKind::Symlink.dirent_type(), libc::DT_LNK);
    assert_eq!(FileKind::CharDevice.dirent_type(), libc::DT_CHR);
    assert_eq!(FileKind::BlockDevice.dirent_type(), libc::DT_BLK);
    assert_eq!(FileKind::Fifo.dirent_type(), libc::DT_FIFO);
    // Records are NUL-terminated and 8-byte aligned.
    for len in 1..=255 {
        let r = record_len(len);
        assert_eq!(r % 8, 0);
        assert!(r > DIRENT_NAME_OFFSET + len && r < DIRENT_NAME_OFFSET + len + 9);
    }
}

#[test]
fn termios_and_winsize_layouts() {
    // The kernel's struct termios (TCGETS) is glibc's without the speeds.
    assert_eq!(offset_of!(libc::termios, c_line), 16);
    assert_eq!(offset_of!(libc::termios, c_cc), 17);
    assert_eq!(TERMIOS_SIZE, 17 + 19);
    let t = Termios::default();
    let b = t.to_bytes();
    assert_eq!(
        u32_at(&b, offset_of!(libc::termios, c_lflag)) & libc::ICANON,
        libc::ICANON
    );
    assert_eq!(
        u32_at(&b, offset_of!(libc::termios, c_lflag)) & libc::ECHO,
        libc::ECHO
    );
    assert_eq!(
        u32_at(&b, offset_of!(libc::termios, c_oflag)),
        libc::OPOST | libc::ONLCR
    );
    assert_eq!(b[17 + libc::VINTR], 3);
    assert_eq!(b[17 + libc::VEOF], 4);
    assert_eq!(b[17 + libc::VMIN], 1);
    assert_eq!(Termios::from_bytes(&b), Some(t));
    assert_eq!(size_of::<libc::winsize>(), 8);
    let w = WinSize::default().to_bytes();
    assert_eq!(
        u16::from_le_bytes([w[offset_of!(libc::winsize, ws_row)], w[1]]),
        25
    );
    assert_eq!(
        u16::from_le_bytes([w[offset_of!(libc::winsize, ws_col)], w[3]]),
        80
    );
}

#[test]
fn shared_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Vfs>();
    check::<FdTable>();
    check::<FsContext>();
    check::<OpenFile>();
    check::<DevFs>();
    check::<ProcFs>();
    check::<BlockFsMount<blockfs::MemDevice>>();
}
