//! Memory-mapping arguments (`asm-generic/mman-common.h`,
//! `asm/mman.h`, `linux/mman.h`, `linux/memfd.h`): mmap protections and
//! flags, mremap, madvise and msync flags, memfd_create flags.

constants! {
    // Protections (mmap, mprotect).
    PROT_NONE: u32 = 0;
    PROT_READ: u32 = 1;
    PROT_WRITE: u32 = 2;
    PROT_EXEC: u32 = 4;
    PROT_GROWSDOWN: u32 = 0x0100_0000;
    PROT_GROWSUP: u32 = 0x0200_0000;

    // mmap(2) flags.
    MAP_SHARED: u32 = 0x01;
    MAP_PRIVATE: u32 = 0x02;
    /// `MAP_SHARED` that fails on unknown flags.
    MAP_SHARED_VALIDATE: u32 = 0x03;
    /// Mask of the mapping type (`MAP_SHARED`, `MAP_PRIVATE`, ...).
    MAP_TYPE: u32 = 0x0f;
    /// Place the mapping exactly at `addr`, replacing what is there.
    MAP_FIXED: u32 = 0x10;
    /// Not backed by a file; the fd is ignored and the memory is zeroed.
    MAP_ANONYMOUS: u32 = 0x20;
    /// x86_64: place the mapping in the low 2 GiB.
    MAP_32BIT: u32 = 0x40;
    MAP_GROWSDOWN: u32 = 0x0100;
    /// Ignored (historic).
    MAP_DENYWRITE: u32 = 0x0800;
    /// Ignored (historic).
    MAP_EXECUTABLE: u32 = 0x1000;
    MAP_LOCKED: u32 = 0x2000;
    MAP_NORESERVE: u32 = 0x4000;
    MAP_POPULATE: u32 = 0x8000;
    MAP_NONBLOCK: u32 = 0x1_0000;
    MAP_STACK: u32 = 0x2_0000;
    MAP_HUGETLB: u32 = 0x4_0000;
    MAP_SYNC: u32 = 0x8_0000;
    /// As `MAP_FIXED`, but fail with `EEXIST` instead of replacing.
    MAP_FIXED_NOREPLACE: u32 = 0x10_0000;

    // mremap(2) flags.
    MREMAP_MAYMOVE: u32 = 1;
    MREMAP_FIXED: u32 = 2;
    MREMAP_DONTUNMAP: u32 = 4;

    // madvise(2) advice.
    MADV_NORMAL: u32 = 0;
    MADV_RANDOM: u32 = 1;
    MADV_SEQUENTIAL: u32 = 2;
    MADV_WILLNEED: u32 = 3;
    /// Drop the pages: private anonymous memory reads back as zeros.
    MADV_DONTNEED: u32 = 4;
    MADV_FREE: u32 = 8;
    MADV_REMOVE: u32 = 9;
    MADV_DONTFORK: u32 = 10;
    MADV_DOFORK: u32 = 11;
    MADV_HUGEPAGE: u32 = 14;
    MADV_NOHUGEPAGE: u32 = 15;

    // msync(2) flags.
    MS_ASYNC: u32 = 1;
    MS_INVALIDATE: u32 = 2;
    MS_SYNC: u32 = 4;

    // memfd_create(2) flags.
    MFD_CLOEXEC: u32 = 1;
    MFD_ALLOW_SEALING: u32 = 2;
}
