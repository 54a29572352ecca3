//! Memory calls: mmap (anonymous and file mappings, private or shared),
//! munmap, mremap, mprotect, msync, brk, madvise.

use alloc::sync::Arc;
use veridian_syscall::mman::{
    MADV_DONTNEED, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED,
    MAP_SHARED_VALIDATE, MAP_TYPE, MREMAP_FIXED, MREMAP_MAYMOVE, MS_ASYNC, MS_INVALIDATE, MS_SYNC,
    PROT_EXEC, PROT_READ, PROT_WRITE,
};
use veridian_vfs::abi::{O_ACCMODE, O_RDWR, O_WRONLY};
use veridian_vfs::Errno;

use super::KResult;
use crate::mm::shared::SharedMemory;
use crate::mm::vma::{Backing, ProtectError, Sharing, Vma, STACK_SIZE, STACK_TOP};
use crate::mm::{page_down, page_up, PAGE_SIZE, USER_END};
use crate::task;

/// Regions per process, as Linux's default vm.max_map_count.
const MAX_MAP_COUNT: usize = 65530;

pub fn mmap(addr: u64, len: u64, prot: u32, flags: u32, fd: i32, off: u64) -> KResult {
    if len == 0
        || !off.is_multiple_of(PAGE_SIZE)
        || prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0
    {
        return Err(Errno::EINVAL);
    }
    let len = page_up(len);
    if len == 0 || len > (1 << 40) {
        return Err(Errno::ENOMEM);
    }
    let shared = match flags & MAP_TYPE {
        MAP_PRIVATE => false,
        MAP_SHARED | MAP_SHARED_VALIDATE => true,
        _ => return Err(Errno::EINVAL),
    };
    let mut sharing = Sharing::Private;
    let file: Option<(Arc<dyn Backing>, u64, u64)> = if flags & MAP_ANONYMOUS == 0 {
        let f = task::current().files().get(fd)?;
        let mode = f.flags() & O_ACCMODE;
        if mode == O_WRONLY || (shared && prot & PROT_WRITE != 0 && mode != O_RDWR) {
            return Err(Errno::EACCES);
        }
        if shared {
            sharing = Sharing::Shared {
                writable: mode == O_RDWR,
            };
        }
        let size = crate::fs::vfs().fstat_file(&f)?.size;
        Some((crate::fs::backing(f), off, size.saturating_sub(off)))
    } else if shared {
        sharing = Sharing::Shared { writable: true };
        Some((Arc::new(SharedMemory::new()), 0, len))
    } else {
        None
    };
    let mm = task::current_mm();
    let mut m = mm.lock();
    if m.vmas.len() >= MAX_MAP_COUNT {
        return Err(Errno::ENOMEM);
    }
    let start = if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
        if !addr.is_multiple_of(PAGE_SIZE)
            || addr.checked_add(len).map(|e| e > USER_END).unwrap_or(true)
            || addr == 0
        {
            return Err(Errno::EINVAL);
        }
        if flags & MAP_FIXED_NOREPLACE != 0
            && m.vmas
                .range(..addr + len)
                .next_back()
                .map(|(_, v)| v.end > addr)
                .unwrap_or(false)
        {
            return Err(Errno::EEXIST);
        }
        addr
    } else {
        let hint = if addr != 0 && addr < STACK_TOP - STACK_SIZE {
            page_down(addr)
        } else {
            0
        };
        let free_at_hint = hint != 0
            && hint
                .checked_add(len)
                .map(|e| e <= STACK_TOP - STACK_SIZE)
                .unwrap_or(false)
            && !m
                .vmas
                .range(..hint + len)
                .next_back()
                .map(|(_, v)| v.end > hint)
                .unwrap_or(false);
        if free_at_hint {
            hint
        } else {
            m.find_free(len).ok_or(Errno::ENOMEM)?
        }
    };
    let (file, file_len) = match file {
        Some((b, off, flen)) => (Some((b, off)), flen),
        None => (None, 0),
    };
    m.insert_vma(
        start,
        Vma {
            end: start + len,
            prot,
            file,
            file_len,
            droppable: true,
            sharing,
        },
    );
    Ok(start)
}

pub fn mremap(old: u64, old_size: u64, new_size: u64, flags: u32, new_addr: u64) -> KResult {
    if !old.is_multiple_of(PAGE_SIZE)
        || flags & !3 != 0
        || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
    {
        return Err(Errno::EINVAL);
    }
    let (old_len, new_len) = (page_up(old_size), page_up(new_size));
    if new_len == 0 || new_len > (1 << 40) || old_len == 0 {
        return Err(Errno::EINVAL);
    }
    let old_end = old.checked_add(old_len).ok_or(Errno::EFAULT)?;
    let mm = task::current_mm();
    let mut m = mm.lock();
    let (vstart, vma) = m
        .find(old)
        .map(|(s, v)| (s, v.clone()))
        .ok_or(Errno::EFAULT)?;
    if old_end > vma.end {
        return Err(Errno::EFAULT);
    }
    if flags & MREMAP_FIXED == 0 {
        if new_len <= old_len {
            m.remove_range(old + new_len, old_end);
            return Ok(old);
        }
        let grow_end = old.checked_add(new_len).ok_or(Errno::ENOMEM)?;
        let free = grow_end <= STACK_TOP - STACK_SIZE
            && !m
                .vmas
                .range(..grow_end)
                .next_back()
                .map(|(&s, v)| s >= old_end || (v.end > old_end && s != vstart))
                .unwrap_or(false);
        if free && vma.end == old_end {
            m.vmas.extend(vstart, grow_end);
            return Ok(old);
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(Errno::ENOMEM);
        }
    }
    let to = if flags & MREMAP_FIXED != 0 {
        if !new_addr.is_multiple_of(PAGE_SIZE)
            || new_addr
                .checked_add(new_len)
                .map(|e| e > USER_END)
                .unwrap_or(true)
        {
            return Err(Errno::EINVAL);
        }
        if new_addr < old_end && old < new_addr + new_len {
            return Err(Errno::EINVAL);
        }
        m.remove_range(new_addr, new_addr + new_len);
        new_addr
    } else {
        m.find_free(new_len).ok_or(Errno::ENOMEM)?
    };
    let keep = old_len.min(new_len);
    let file = vma
        .file
        .as_ref()
        .map(|(f, off)| (f.clone(), off + (old - vstart)));
    let file_len = vma.file_len.saturating_sub(old - vstart);
    m.space
        .move_range(old, to, keep)
        .map_err(|_| Errno::ENOMEM)?;
    m.remove_range(old, old_end);
    m.insert_vma(
        to,
        Vma {
            end: to + new_len,
            file,
            file_len,
            ..vma
        },
    );
    Ok(to)
}

pub fn munmap(addr: u64, len: u64) -> KResult {
    if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
        return Err(Errno::EINVAL);
    }
    let end = addr.checked_add(page_up(len)).ok_or(Errno::EINVAL)?;
    if end > USER_END {
        return Err(Errno::EINVAL);
    }
    task::current_mm().lock().remove_range(addr, end);
    Ok(0)
}

pub fn mprotect(addr: u64, len: u64, prot: u32) -> KResult {
    if !addr.is_multiple_of(PAGE_SIZE) || prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let end = addr.checked_add(page_up(len)).ok_or(Errno::ENOMEM)?;
    if end > USER_END {
        return Err(Errno::ENOMEM);
    }
    match task::current_mm().lock().protect(addr, end, prot) {
        Ok(()) => Ok(0),
        Err(ProtectError::Unmapped) => Err(Errno::ENOMEM),
        Err(ProtectError::NotWritable) => Err(Errno::EACCES),
    }
}

/// msync(2): the range must be mapped; `MS_SYNC` writes the file systems
/// back (a shared file mapping's pages are the block cache's, so `read`
/// sees them at once and a sync makes them durable). `MS_ASYNC` has
/// nothing to start: the pages are already the file's.
pub fn msync(addr: u64, len: u64, flags: u32) -> KResult {
    if !addr.is_multiple_of(PAGE_SIZE)
        || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || flags & (MS_ASYNC | MS_SYNC) == (MS_ASYNC | MS_SYNC)
    {
        return Err(Errno::EINVAL);
    }
    let end = addr.checked_add(page_up(len)).ok_or(Errno::ENOMEM)?;
    let shared = {
        let mm = task::current_mm();
        let m = mm.lock();
        let mut va = addr;
        let mut shared = false;
        while va < end {
            let (_, vma) = m.find(va).ok_or(Errno::ENOMEM)?;
            shared |= vma.is_shared();
            va = vma.end;
        }
        shared
    };
    if shared && flags & MS_SYNC != 0 {
        crate::fs::vfs().sync()?;
    }
    Ok(0)
}

pub fn brk(addr: u64) -> KResult {
    let mm = task::current_mm();
    let mut m = mm.lock();
    if addr == 0 || addr < m.brk_start || addr > m.brk_start + (1 << 32) {
        return Ok(m.brk);
    }
    let (old_top, new_top) = (page_up(m.brk), page_up(addr));
    if new_top > old_top {
        // Only [old_top, new_top) is new: what the program mapped inside its
        // heap stays (musl's malloc puts a PROT_NONE guard page there).
        let below = m.vmas.range(..new_top).next_back().map(|(&s, v)| (s, v));
        let clash = below.is_some_and(|(_, v)| v.end > old_top);
        if clash {
            return Ok(m.brk);
        }
        let extend = below
            .filter(|(_, v)| v.end == old_top && v.file.is_none() && v.prot == 3 && v.droppable)
            .map(|(s, _)| s);
        match extend {
            Some(s) => {
                m.vmas.extend(s, new_top);
            }
            None => m.insert(old_top, new_top, 3, None, 0),
        }
    } else if new_top < old_top {
        m.remove_range(new_top, old_top);
    }
    m.brk = addr;
    Ok(addr)
}

pub fn madvise(addr: u64, len: u64, advice: u32) -> KResult {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let end = addr.saturating_add(page_up(len)).min(USER_END);
    let mm = task::current_mm();
    let mut m = mm.lock();
    let regions: alloc::vec::Vec<(u64, u64, bool)> = m
        .vmas
        .range(..end)
        .filter(|(_, v)| v.end > addr)
        .map(|(&s, v)| (s.max(addr), v.end.min(end), v.droppable))
        .collect();
    if advice == MADV_DONTNEED {
        // Mapped pages refault as zeros or from their file; loaded program
        // segments are kept (nothing to refault them from).
        for &(s, e, droppable) in &regions {
            if droppable {
                m.space.unmap_range(s, e);
            }
        }
    }
    let covered: u64 = regions.iter().map(|&(s, e, _)| e - s).sum();
    if covered < end - addr {
        return Err(Errno::ENOMEM);
    }
    Ok(0)
}
