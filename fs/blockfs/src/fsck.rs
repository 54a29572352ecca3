//! Consistency check and repair.
//!
//! Pass 1 walks every in-use inode's block tree (claiming blocks in a
//! private bitmap, so shared or out-of-range pointers show up); pass 2
//! walks the directory tree from the root counting references; pass 3
//! compares link counts; pass 4 compares the on-disk bitmap and the
//! superblock counters with what was found. With `repair`, each problem is
//! fixed where possible and the bitmap and counters are rebuilt: a block
//! claimed twice is copied, bad pointers are cleared, damaged directories
//! are rebuilt from their readable entries, and inodes no directory names
//! are reconnected under `/lost+found` (freed only when that fails). The
//! repair is repeated until a check comes back clean (at most three more
//! times).

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::bitmap::Bitmap;
use crate::device::{BlockDevice, BLOCK_SIZE};
use crate::dir::{check_name, file_type_of, DirWalker};
use crate::error::{Error, Result};
use crate::fs::{FileSystem, ROOT_INO};
use crate::inode::{FileType, Inode, DIRECT, PTRS_PER_BLOCK};
use crate::namespace::MAX_TARGET;

/// Where `fsck --repair` puts inodes no directory names.
pub const LOST_FOUND: &[u8] = b"lost+found";

/// One inconsistency found by [`FileSystem::fsck`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// An in-use inode whose mode has no known file type.
    BadInodeType { ino: u32 },
    /// A block pointer outside the data area.
    BadPointer { ino: u32, block: u32 },
    /// A block claimed by more than one pointer.
    DuplicateBlock { ino: u32, block: u32 },
    /// A data block past the end of the file.
    DataBeyondEof { ino: u32, block: u32 },
    /// The unused triple-indirect pointer is set.
    TripleIndirect { ino: u32 },
    /// The inode's `blocks` field differs from the blocks it holds.
    BlockCountWrong {
        ino: u32,
        recorded: u32,
        actual: u32,
    },
    /// A symlink longer than a path may be.
    SymlinkTooLong { ino: u32 },
    /// A directory entry naming a free or out-of-range inode.
    DanglingEntry { dir: u32, ino: u32 },
    /// An entry's `file_type` differs from the inode's type.
    EntryTypeMismatch { dir: u32, ino: u32 },
    /// "." or ".." is missing or points to the wrong inode.
    BadDotEntry { dir: u32 },
    /// Bytes in a directory that do not form valid entries.
    MalformedDir { dir: u32 },
    /// A directory reachable through more than one entry.
    DirLinkedTwice { dir: u32, ino: u32 },
    /// `links_count` differs from the number of entries naming the inode.
    LinkCountWrong {
        ino: u32,
        recorded: u16,
        actual: u32,
    },
    /// An in-use inode no directory entry names.
    Orphan { ino: u32 },
    /// Blocks in use whose bitmap bit is clear (`count` of them, the first
    /// being `first`).
    BlocksMarkedFree { first: u32, count: u32 },
    /// Blocks nothing uses whose bitmap bit is set.
    BlocksLeaked { first: u32, count: u32 },
    /// A superblock counter differs from the truth.
    FreeCountWrong {
        field: &'static str,
        recorded: u32,
        actual: u32,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::BadInodeType { ino } => write!(f, "inode {ino}: unknown file type"),
            Problem::BadPointer { ino, block } => {
                write!(f, "inode {ino}: block pointer {block} out of range")
            }
            Problem::DuplicateBlock { ino, block } => {
                write!(f, "inode {ino}: block {block} used twice")
            }
            Problem::DataBeyondEof { ino, block } => {
                write!(f, "inode {ino}: block {block} lies past the end of file")
            }
            Problem::TripleIndirect { ino } => {
                write!(f, "inode {ino}: triple-indirect pointer set (unsupported)")
            }
            Problem::BlockCountWrong {
                ino,
                recorded,
                actual,
            } => {
                write!(f, "inode {ino}: blocks field {recorded}, holds {actual}")
            }
            Problem::SymlinkTooLong { ino } => {
                write!(f, "inode {ino}: symlink target longer than {MAX_TARGET}")
            }
            Problem::DanglingEntry { dir, ino } => {
                write!(f, "directory {dir}: entry names free inode {ino}")
            }
            Problem::EntryTypeMismatch { dir, ino } => {
                write!(
                    f,
                    "directory {dir}: entry for inode {ino} has the wrong file type"
                )
            }
            Problem::BadDotEntry { dir } => {
                write!(f, "directory {dir}: '.' or '..' missing or wrong")
            }
            Problem::MalformedDir { dir } => write!(f, "directory {dir}: malformed entries"),
            Problem::DirLinkedTwice { dir, ino } => {
                write!(f, "directory {dir}: extra link to directory {ino}")
            }
            Problem::LinkCountWrong {
                ino,
                recorded,
                actual,
            } => {
                write!(f, "inode {ino}: link count {recorded}, should be {actual}")
            }
            Problem::Orphan { ino } => write!(f, "inode {ino}: in use but not in any directory"),
            Problem::BlocksMarkedFree { first, count } => {
                write!(
                    f,
                    "{count} used block(s) marked free in the bitmap (first: {first})"
                )
            }
            Problem::BlocksLeaked { first, count } => {
                write!(
                    f,
                    "{count} unused block(s) marked used in the bitmap (first: {first})"
                )
            }
            Problem::FreeCountWrong {
                field,
                recorded,
                actual,
            } => {
                write!(f, "superblock {field} is {recorded}, should be {actual}")
            }
        }
    }
}

/// The outcome of a check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsckReport {
    /// Everything found (before any repair).
    pub problems: Vec<Problem>,
    /// In-use inodes and directories seen.
    pub inodes: u32,
    pub directories: u32,
    /// Whether repairs were written.
    pub repaired: bool,
}

impl FsckReport {
    /// No problem found.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Where a block pointer is stored.
#[derive(Debug, Clone, Copy)]
enum Loc {
    Direct(usize),
    Indirect,
    Double,
    InBlock(u32, u32),
}

#[derive(Debug, Clone, Copy)]
struct Dup {
    ino: u32,
    loc: Loc,
    data: bool,
    block: u32,
}

enum Visit {
    Skip,
    Data,
    Descend,
}

struct Scan {
    owner: Bitmap,
    dups: Vec<Dup>,
    problems: Vec<Problem>,
    record: bool,
    /// Fix what is found as the scan goes.
    repair: bool,
}

impl Scan {
    fn report(&mut self, p: Problem) {
        if self.record {
            self.problems.push(p);
        }
    }
}

impl<D: BlockDevice> FileSystem<D> {
    /// Checks the whole file system; with `repair` also fixes what it can
    /// and syncs. A read-only mount can only check. Frees still waiting
    /// for a sync are synced first.
    pub fn fsck(&mut self, repair: bool) -> Result<FsckReport> {
        self.read_all_inodes()?;
        // Blocks and inodes freed since the last sync are released by it:
        // check the state a sync leaves (a no-op on a fresh mount).
        if !self.order.freed_blocks.is_empty() || !self.order.freed_inodes.is_empty() {
            self.sync()?;
        }
        if !repair {
            return self.fsck_pass(false);
        }
        self.check_writable()?;
        let report = self.fsck_pass(true)?;
        // One fix can uncover another (a block freed from a damaged inode
        // that another one also claimed, ...): repeat until a check is
        // clean, a bounded number of times.
        for _ in 0..3 {
            if self.fsck_pass(false)?.is_clean() {
                break;
            }
            self.fsck_pass(true)?;
        }
        Ok(report)
    }

    /// One check, or one check-and-repair, pass.
    fn fsck_pass(&mut self, repair: bool) -> Result<FsckReport> {
        let usable = self.geo.usable_inodes();
        let original = self.blocks.clone();
        let sb_free_blocks = self.sb.free_blocks;
        let sb_free_inodes = self.sb.free_inodes;

        // Pass 1: inodes and their blocks.
        let mut types = vec![0u8; usable as usize];
        let mut scan = self.scan_blocks(&mut types, repair, true)?;
        let mut report = FsckReport {
            problems: core::mem::take(&mut scan.problems),
            ..Default::default()
        };
        if repair {
            self.replace_block_bitmap(&scan.owner);
            for dup in core::mem::take(&mut scan.dups) {
                self.fix_dup(dup)?;
            }
        }

        // Pass 2: the tree.
        let mut refs = vec![0u32; usable as usize];
        self.walk_tree(&types, &mut refs, &mut report, repair)?;

        // Pass 3: link counts, as found.
        for ino in 0..usable {
            if types[ino as usize] == 0 {
                continue;
            }
            report.inodes += 1;
            let links = self.read_inode(ino)?.links;
            let actual = refs[ino as usize];
            if actual == 0 && ino != ROOT_INO {
                report.problems.push(Problem::Orphan { ino });
            } else if actual != links as u32 {
                report.problems.push(Problem::LinkCountWrong {
                    ino,
                    recorded: links,
                    actual,
                });
            }
        }
        if repair {
            self.fix_links(&types, refs)?;
        }

        // Pass 4: bitmap and counters, against the state found in pass 1.
        let mut ranges = (None::<(u32, u32)>, None::<(u32, u32)>);
        for b in 0..self.geo.block_count {
            let (used, marked) = (scan.owner.get(b), original.get(b));
            let slot = match (used, marked) {
                (true, false) => &mut ranges.0,
                (false, true) => &mut ranges.1,
                _ => continue,
            };
            match slot {
                Some((_, n)) => *n += 1,
                None => *slot = Some((b, 1)),
            }
        }
        if let Some((first, count)) = ranges.0 {
            report
                .problems
                .push(Problem::BlocksMarkedFree { first, count });
        }
        if let Some((first, count)) = ranges.1 {
            report.problems.push(Problem::BlocksLeaked { first, count });
        }
        let free_blocks = scan.owner.free();
        if sb_free_blocks != free_blocks && ranges == (None, None) {
            report.problems.push(Problem::FreeCountWrong {
                field: "free_blocks",
                recorded: sb_free_blocks,
                actual: free_blocks,
            });
        }
        let live = types.iter().filter(|&&t| t != 0).count() as u32;
        let free_inodes = self.geo.inode_count - live;
        if sb_free_inodes != free_inodes {
            report.problems.push(Problem::FreeCountWrong {
                field: "free_inodes",
                recorded: sb_free_inodes,
                actual: free_inodes,
            });
        }

        if repair {
            // Orphans freed and pointers cleared: recount from scratch.
            let mut types = vec![0u8; usable as usize];
            let scan = self.scan_blocks(&mut types, false, false)?;
            self.replace_block_bitmap(&scan.owner);
            for (ino, t) in types.iter().enumerate() {
                self.set_inode_used(ino as u32, *t != 0);
            }
            // The counters may be wrong even where no bit changed.
            self.update_counters();
            self.sync()?;
            report.repaired = true;
        }
        Ok(report)
    }

    fn replace_block_bitmap(&mut self, owner: &Bitmap) {
        // The scan's ownership is the truth: nothing is left to free later.
        self.order.freed_blocks.clear();
        for b in 0..self.geo.block_count {
            self.set_block_used(b, owner.get(b));
        }
    }

    fn raw_ptr(&mut self, block: u32, idx: u32) -> Result<u32> {
        let data = self.cache.read(&mut self.dev, block)?;
        let o = idx as usize * 4;
        Ok(u32::from_le_bytes([
            data[o],
            data[o + 1],
            data[o + 2],
            data[o + 3],
        ]))
    }

    fn set_loc(&mut self, inode: &mut Inode, loc: Loc, value: u32) -> Result<()> {
        match loc {
            Loc::Direct(i) => inode.direct[i] = value,
            Loc::Indirect => inode.indirect = value,
            Loc::Double => inode.double_indirect = value,
            Loc::InBlock(b, i) => self.set_ptr(b, i, value)?,
        }
        Ok(())
    }

    /// Pass 1 over every in-use inode; fills `types` (dirent type byte, 0
    /// for free slots).
    fn scan_blocks(&mut self, types: &mut [u8], repair: bool, record: bool) -> Result<Scan> {
        let mut scan = Scan {
            owner: Bitmap::new(self.geo.block_count),
            dups: Vec::new(),
            problems: Vec::new(),
            record,
            repair,
        };
        for b in 0..self.geo.first_data_block {
            scan.owner.set(b, true);
        }
        for ino in 0..types.len() as u32 {
            let mut inode = self.read_inode(ino)?;
            if !inode.in_use() && ino != ROOT_INO {
                continue;
            }
            let Some(ft) = FileType::from_mode(inode.mode) else {
                scan.report(Problem::BadInodeType { ino });
                if repair && ino != ROOT_INO {
                    self.write_inode(ino, &Inode::default())?;
                    self.set_inode_used(ino, false);
                }
                continue;
            };
            types[ino as usize] = ft.dirent_type();
            let too_long = ft == FileType::Symlink && inode.size as usize > MAX_TARGET;
            if too_long {
                scan.report(Problem::SymlinkTooLong { ino });
            }
            let before = inode.clone();
            let count = self.scan_inode(ino, &mut inode, &mut scan)?;
            if inode.triple_indirect != 0 {
                scan.report(Problem::TripleIndirect { ino });
                if repair {
                    inode.triple_indirect = 0;
                }
            }
            if count != inode.blocks {
                scan.report(Problem::BlockCountWrong {
                    ino,
                    recorded: inode.blocks,
                    actual: count,
                });
                if repair {
                    inode.blocks = count;
                }
            }
            if repair && too_long {
                // Keep the first block's bytes as the target and drop every
                // other pointer (the bitmap is rebuilt at the end; freeing
                // here could hit blocks another inode also claims).
                inode.size = MAX_TARGET as u32;
                inode.direct[1..].fill(0);
                inode.indirect = 0;
                inode.double_indirect = 0;
                inode.blocks = u32::from(inode.direct[0] != 0);
                scan.dups
                    .retain(|d| d.ino != ino || matches!(d.loc, Loc::Direct(0)));
            }
            if repair && inode != before {
                self.write_inode(ino, &inode)?;
            }
        }
        Ok(scan)
    }

    /// Claims one pointer; decides whether it counts and whether to descend.
    fn visit(
        &mut self,
        ino: u32,
        inode: &mut Inode,
        loc: Loc,
        p: u32,
        lblk: Option<u64>,
        scan: &mut Scan,
    ) -> Result<Visit> {
        if p == 0 {
            return Ok(Visit::Skip);
        }
        if !self.geo.is_data_block(p) {
            scan.report(Problem::BadPointer { ino, block: p });
            if scan.repair {
                self.set_loc(inode, loc, 0)?;
            }
            return Ok(Visit::Skip);
        }
        if let Some(l) = lblk {
            if l >= (inode.size as u64).div_ceil(BLOCK_SIZE as u64) {
                scan.report(Problem::DataBeyondEof { ino, block: p });
                if scan.repair {
                    self.set_loc(inode, loc, 0)?;
                }
                return Ok(Visit::Skip);
            }
        }
        if scan.owner.get(p) {
            scan.report(Problem::DuplicateBlock { ino, block: p });
            scan.dups.push(Dup {
                ino,
                loc,
                data: lblk.is_some(),
                block: p,
            });
            return Ok(if lblk.is_some() {
                Visit::Data
            } else {
                Visit::Skip
            });
        }
        scan.owner.set(p, true);
        Ok(if lblk.is_some() {
            Visit::Data
        } else {
            Visit::Descend
        })
    }

    /// Walks one inode's block tree; returns the blocks it holds.
    fn scan_inode(&mut self, ino: u32, inode: &mut Inode, scan: &mut Scan) -> Result<u32> {
        let mut count = 0u32;
        for i in 0..DIRECT {
            if !matches!(
                self.visit(
                    ino,
                    inode,
                    Loc::Direct(i),
                    inode.direct[i],
                    Some(i as u64),
                    scan
                )?,
                Visit::Skip
            ) {
                count += 1;
            }
        }
        let ind = inode.indirect;
        if let Visit::Descend = self.visit(ino, inode, Loc::Indirect, ind, None, scan)? {
            count += 1 + self.scan_ptr_block(ino, inode, ind, DIRECT as u64, scan)?;
        }
        let dind = inode.double_indirect;
        if let Visit::Descend = self.visit(ino, inode, Loc::Double, dind, None, scan)? {
            count += 1;
            let base = (DIRECT as u64) + PTRS_PER_BLOCK as u64;
            for i in 0..PTRS_PER_BLOCK {
                let p = self.raw_ptr(dind, i)?;
                if let Visit::Descend =
                    self.visit(ino, inode, Loc::InBlock(dind, i), p, None, scan)?
                {
                    let first = base + i as u64 * PTRS_PER_BLOCK as u64;
                    count += 1 + self.scan_ptr_block(ino, inode, p, first, scan)?;
                }
            }
        }
        Ok(count)
    }

    fn scan_ptr_block(
        &mut self,
        ino: u32,
        inode: &mut Inode,
        block: u32,
        first: u64,
        scan: &mut Scan,
    ) -> Result<u32> {
        let mut count = 0;
        for i in 0..PTRS_PER_BLOCK {
            let p = self.raw_ptr(block, i)?;
            let loc = Loc::InBlock(block, i);
            if !matches!(
                self.visit(ino, inode, loc, p, Some(first + i as u64), scan)?,
                Visit::Skip
            ) {
                count += 1;
            }
        }
        Ok(count)
    }

    /// Gives a second claimant of a block its own copy (data), or drops
    /// the pointer (pointer blocks, or when no space is left).
    fn fix_dup(&mut self, dup: Dup) -> Result<()> {
        let mut inode = self.read_inode(dup.ino)?;
        let copy = if dup.data {
            self.alloc_block().ok()
        } else {
            None
        };
        match copy {
            Some(new) => {
                let data = *self.cache.read(&mut self.dev, dup.block)?;
                *self.cache.zeroed(&mut self.dev, new)? = data;
                self.set_loc(&mut inode, dup.loc, new)?;
            }
            None => {
                self.set_loc(&mut inode, dup.loc, 0)?;
                if dup.data {
                    inode.blocks = inode.blocks.saturating_sub(1);
                }
            }
        }
        self.write_inode(dup.ino, &inode)
    }

    /// Repair of pass 3: unreferenced inodes are reconnected under
    /// `/lost+found` as `#<inode>` (directories first, so their contents
    /// come back with them), then every link count is set from a fresh
    /// walk. Only what cannot be reconnected is freed.
    fn fix_links(&mut self, types: &[u8], mut refs: Vec<u32>) -> Result<()> {
        let dir_type = FileType::Directory.dirent_type();
        // Gains an entry if lost+found has to be made.
        let mut types = types.to_vec();
        for dirs_only in [true, false] {
            let orphans: Vec<u32> = (1..types.len() as u32)
                .filter(|&i| types[i as usize] != 0 && refs[i as usize] == 0)
                .filter(|&i| !dirs_only || types[i as usize] == dir_type)
                .collect();
            if orphans.is_empty() {
                continue;
            }
            let mut attached = false;
            for &ino in &orphans {
                // An orphan directory inside another one returns with it.
                if dirs_only && self.parent_is_orphan_dir(ino, &types, &refs)? {
                    continue;
                }
                attached |= self.reconnect(ino, &mut types).is_ok();
            }
            if attached {
                refs.iter_mut().for_each(|r| *r = 0);
                let mut scratch = FsckReport::default();
                self.walk_tree(&types, &mut refs, &mut scratch, true)?;
            }
        }
        // Count again: repairs of the walk (entries cleared, "." and ".."
        // put back) changed the references.
        refs.iter_mut().for_each(|r| *r = 0);
        self.walk_tree(&types, &mut refs, &mut FsckReport::default(), true)?;
        for ino in 0..types.len() as u32 {
            if types[ino as usize] == 0 {
                continue;
            }
            let mut inode = self.read_inode(ino)?;
            let mut want = refs[ino as usize];
            if want == 0 && ino != ROOT_INO {
                self.free_inode(ino, &mut inode)?;
                continue;
            }
            if types[ino as usize] == dir_type {
                want = want.max(2);
            }
            let want = want.min(u16::MAX as u32) as u16;
            if inode.links != want {
                inode.links = want;
                self.write_inode(ino, &inode)?;
            }
        }
        Ok(())
    }

    /// Whether directory `ino`'s ".." names another unreferenced directory.
    fn parent_is_orphan_dir(&mut self, ino: u32, types: &[u8], refs: &[u32]) -> Result<bool> {
        let inode = self.read_inode(ino)?;
        let parent = match self.find_entry(&inode, b"..") {
            Ok(Some(e)) => e.ino,
            _ => return Ok(false),
        };
        let dir_type = FileType::Directory.dirent_type();
        Ok(parent != ino
            && types.get(parent as usize) == Some(&dir_type)
            && refs.get(parent as usize) == Some(&0)
            && parent != ROOT_INO)
    }

    /// Links `ino` into `/lost+found` (made if missing, and then added to
    /// `types`) as `#<ino>`.
    fn reconnect(&mut self, ino: u32, types: &mut [u8]) -> Result<()> {
        let ft = file_type_of(types[ino as usize]).ok_or(Error::Corrupt("bad type table"))?;
        let dir_type = FileType::Directory.dirent_type();
        let lf = match self.lookup(ROOT_INO, LOST_FOUND) {
            Ok(lf) if types.get(lf as usize) == Some(&dir_type) => lf,
            Ok(_) => return Err(Error::Exists),
            Err(Error::NotFound) => {
                let lf = self.mkdir(ROOT_INO, LOST_FOUND, 0o700)?;
                types[lf as usize] = dir_type;
                lf
            }
            Err(e) => return Err(e),
        };
        let mut lf_inode = self.read_inode(lf)?;
        let name = alloc::format!("#{ino}");
        self.add_entry(&mut lf_inode, name.as_bytes(), ino, ft)?;
        self.write_inode(lf, &lf_inode)?;
        if ft == FileType::Directory {
            let mut inode = self.read_inode(ino)?;
            match self.find_entry(&inode, b"..")? {
                Some(e) => self.retarget_entry(&mut inode, e.pos, lf, FileType::Directory)?,
                None => self.insert_entry(&mut inode, b"..", lf, FileType::Directory)?,
            }
            self.write_inode(ino, &inode)?;
        }
        Ok(())
    }

    /// Rewrites a damaged directory from the entries that can still be
    /// read: fresh "." and "..", then each live entry once. Entries lost
    /// in unreadable bytes leave orphans, which pass 3 reconnects.
    fn rebuild_dir(&mut self, dir: u32, parent: u32, dinode: &mut Inode) -> Result<()> {
        let mut keep = Vec::new();
        let mut w = DirWalker::new(dinode, 0);
        while let Some(e) = w.next(self, dinode)? {
            if e.ino != 0 && !e.is_dot() && check_name(e.name()).is_ok() {
                keep.push((
                    e.name().to_vec(),
                    e.ino,
                    file_type_of(e.ftype).unwrap_or(FileType::Regular),
                ));
            }
        }
        self.free_from(dinode, 0)?;
        dinode.size = 0;
        self.init_dir(dinode, dir, parent)?;
        for (name, ino, ft) in keep {
            match self.insert_entry(dinode, &name, ino, ft) {
                Ok(()) | Err(Error::Exists) => {}
                Err(_) => break,
            }
        }
        self.write_inode(dir, dinode)
    }

    /// Pass 2: walks directories from the root, counting references.
    fn walk_tree(
        &mut self,
        types: &[u8],
        refs: &mut [u32],
        report: &mut FsckReport,
        repair: bool,
    ) -> Result<()> {
        let dir_type = FileType::Directory.dirent_type();
        if types.first() != Some(&dir_type) {
            return Err(Error::Corrupt("root inode is not a directory"));
        }
        let mut visited = Bitmap::new(types.len() as u32);
        visited.set(ROOT_INO, true);
        let mut queue = vec![(ROOT_INO, ROOT_INO)];
        while let Some((dir, parent)) = queue.pop() {
            report.directories += 1;
            let mut dinode = self.read_inode(dir)?;
            let mut w = DirWalker::new(&dinode, 0);
            let (mut dot, mut dotdot, mut extra_dot) = (false, false, false);
            while let Some(e) = w.next(self, &dinode)? {
                if !e.is_live() {
                    continue;
                }
                if e.name() == b"." || e.name() == b".." {
                    let want = if e.name() == b"." { dir } else { parent };
                    let seen = if e.name() == b"." {
                        &mut dot
                    } else {
                        &mut dotdot
                    };
                    if *seen {
                        // A second "." or "..": zeroing its inode would not
                        // delete it (inode 0 is the root), so rebuild.
                        report.problems.push(Problem::BadDotEntry { dir });
                        extra_dot = true;
                        continue;
                    }
                    *seen = true;
                    if e.ino != want {
                        report.problems.push(Problem::BadDotEntry { dir });
                        if repair {
                            self.retarget_entry(&mut dinode, e.pos, want, FileType::Directory)?;
                        }
                    }
                    refs[want as usize] += 1;
                    continue;
                }
                let t = types.get(e.ino as usize).copied().unwrap_or(0);
                if t == 0 {
                    report
                        .problems
                        .push(Problem::DanglingEntry { dir, ino: e.ino });
                    if repair {
                        self.clear_entry(&mut dinode, e.pos)?;
                    }
                    continue;
                }
                let ft = file_type_of(t).ok_or(Error::Corrupt("bad type table"))?;
                if ft == FileType::Directory {
                    if visited.get(e.ino) {
                        report
                            .problems
                            .push(Problem::DirLinkedTwice { dir, ino: e.ino });
                        if repair {
                            self.clear_entry(&mut dinode, e.pos)?;
                        }
                        continue;
                    }
                    visited.set(e.ino, true);
                    queue.push((e.ino, dir));
                }
                if e.ftype != t {
                    report
                        .problems
                        .push(Problem::EntryTypeMismatch { dir, ino: e.ino });
                    if repair {
                        self.retarget_entry(&mut dinode, e.pos, e.ino, ft)?;
                    }
                }
                refs[e.ino as usize] += 1;
            }
            if w.malformed {
                report.problems.push(Problem::MalformedDir { dir });
            }
            if !dot || !dotdot {
                report.problems.push(Problem::BadDotEntry { dir });
            }
            if repair && (w.malformed || !dot || !dotdot || extra_dot) {
                self.rebuild_dir(dir, parent, &mut dinode)?;
            }
        }
        Ok(())
    }
}
