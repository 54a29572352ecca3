use super::*;
use crate::page::PAGE_SIZE;
use alloc::vec;
use proptest::prelude::*;
use veridian_syscall::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};

const P: u64 = PAGE_SIZE;

fn file(end: u64, prot: u32, id: u32, off: u64, len: u64) -> Vma<u32> {
    Vma {
        end,
        prot,
        file: Some((id, off)),
        file_len: len,
        droppable: true,
        sharing: Sharing::Private,
    }
}

fn starts(m: &VmaMap<u32>) -> Vec<(u64, u64, u32)> {
    m.iter().map(|(&s, v)| (s, v.end, v.prot)).collect()
}

#[test]
fn find_and_overlaps() {
    let mut m = VmaMap::<u32>::new();
    m.insert(0x1000, Vma::anonymous(0x3000, 3));
    assert_eq!(m.find(0x0fff), None);
    assert_eq!(m.find(0x1000).map(|(s, _)| s), Some(0x1000));
    assert_eq!(m.find(0x2fff).map(|(s, _)| s), Some(0x1000));
    assert_eq!(m.find(0x3000), None);
    assert!(m.overlaps(0, 0x1001));
    assert!(!m.overlaps(0, 0x1000));
    assert!(!m.overlaps(0x3000, 0x9000));
}

#[test]
fn remove_splits_and_moves_the_file_offset() {
    let mut m = VmaMap::new();
    m.insert(0x10000, file(0x20000, 1, 7, 0x4000, 0x9000));
    let removed = m.remove(0x12000, 0x14000);
    assert_eq!(removed, vec![(0x12000, 0x14000)]);
    assert_eq!(
        starts(&m),
        vec![(0x10000, 0x12000, 1), (0x14000, 0x20000, 1)]
    );
    let (_, left) = m.find(0x10000).unwrap();
    assert_eq!((left.file, left.file_len), (Some((7, 0x4000)), 0x2000));
    let (_, right) = m.find(0x14000).unwrap();
    assert_eq!((right.file, right.file_len), (Some((7, 0x8000)), 0x5000));
    // A removal over a hole and two regions reports only what was mapped.
    assert_eq!(
        m.remove(0x11000, 0x15000),
        vec![(0x11000, 0x12000), (0x14000, 0x15000)]
    );
}

#[test]
fn insert_replaces_what_was_there() {
    let mut m = VmaMap::<u32>::new();
    m.insert(0x1000, Vma::anonymous(0x5000, 3));
    let covered = m.insert(0x2000, Vma::anonymous(0x3000, 1));
    assert_eq!(covered, vec![(0x2000, 0x3000)]);
    assert_eq!(
        starts(&m),
        vec![
            (0x1000, 0x2000, 3),
            (0x2000, 0x3000, 1),
            (0x3000, 0x5000, 3)
        ]
    );
}

#[test]
fn protect_needs_the_whole_range_mapped() {
    let mut m = VmaMap::<u32>::new();
    m.insert(0x1000, Vma::anonymous(0x2000, 3));
    m.insert(0x3000, Vma::anonymous(0x4000, 3));
    assert_eq!(m.protect(0x1000, 0x4000, 1), Err(ProtectError::Unmapped));
    assert_eq!(starts(&m), vec![(0x1000, 0x2000, 3), (0x3000, 0x4000, 3)]);
    m.insert(0x2000, Vma::anonymous(0x3000, 3));
    assert_eq!(
        m.protect(0x1800, 0x3800, 1),
        Ok(vec![(0x1800, 0x2000), (0x2000, 0x3000), (0x3000, 0x3800)])
    );
    assert_eq!(
        starts(&m),
        vec![
            (0x1000, 0x1800, 3),
            (0x1800, 0x2000, 1),
            (0x2000, 0x3000, 1),
            (0x3000, 0x3800, 1),
            (0x3800, 0x4000, 3)
        ]
    );
}

#[test]
fn shared_regions_of_read_only_backings_refuse_write_access() {
    let mut m = VmaMap::new();
    let mut ro = file(0x3000, PROT_READ, 9, 0, 0x3000);
    ro.sharing = Sharing::Shared { writable: false };
    let mut rw = file(0x5000, PROT_READ, 8, 0, 0x2000);
    rw.sharing = Sharing::Shared { writable: true };
    m.insert(0x1000, ro);
    m.insert(0x3000, rw);
    assert_eq!(
        m.protect(0x1000, 0x5000, PROT_READ | PROT_WRITE),
        Err(ProtectError::NotWritable)
    );
    assert_eq!(m.find(0x1000).unwrap().1.end, 0x3000, "nothing changed");
    assert!(m.protect(0x1000, 0x3000, PROT_READ | PROT_EXEC).is_ok());
    assert!(m.protect(0x4000, 0x5000, PROT_READ | PROT_WRITE).is_ok());
    let (start, right) = m.find(0x4000).unwrap();
    assert_eq!(
        (start, right.sharing),
        (0x4000, Sharing::Shared { writable: true })
    );
    assert!(right.is_shared());
}

#[test]
fn protect_keeps_file_and_droppable() {
    let mut m = VmaMap::new();
    let mut v = file(0x4000, 5, 9, 0, 0x2800);
    v.droppable = false;
    m.insert(0, v);
    m.protect(0x1000, 0x2000, 1).unwrap();
    let (_, mid) = m.find(0x1000).unwrap();
    assert_eq!(
        (mid.file, mid.file_len, mid.droppable),
        (Some((9, 0x1000)), 0x1000, false)
    );
    let (_, right) = m.find(0x2000).unwrap();
    assert_eq!(
        (right.file, right.file_len, right.prot),
        (Some((9, 0x2000)), 0x800, 5)
    );
}

#[test]
fn permission_checks() {
    assert!(!Vma::<u32>::anonymous(1, 0).allows(false));
    assert!(Vma::<u32>::anonymous(1, PROT_READ).allows(false));
    assert!(!Vma::<u32>::anonymous(1, PROT_READ | PROT_EXEC).allows(true));
    assert!(Vma::<u32>::anonymous(1, PROT_WRITE).allows(true));
    assert!(Vma::<u32>::anonymous(1, PROT_EXEC).allows(false));
}

#[test]
fn extend_only_into_free_space() {
    let mut m = VmaMap::<u32>::new();
    m.insert(0x1000, Vma::anonymous(0x2000, 3));
    m.insert(0x5000, Vma::anonymous(0x6000, 3));
    assert!(!m.extend(0x1800, 0x3000));
    assert!(!m.extend(0x1000, 0x2000));
    assert!(!m.extend(0x1000, 0x5001));
    assert!(m.extend(0x1000, 0x5000));
    assert_eq!(m.find(0x4fff).map(|(s, _)| s), Some(0x1000));
}

#[test]
fn find_free_takes_the_shortest_gap_that_fits_and_respects_bounds() {
    let mut m = VmaMap::<u32>::new();
    let floor = 0x10_0000;
    let ceiling = 0x20_0000;
    assert_eq!(m.find_free(0x2000, floor, ceiling), Some(floor));
    // Gaps: 3 pages at floor+0x1000, 1 page at floor+0x5000, 2 pages at
    // floor+0x7000, then the rest up to the ceiling.
    m.insert(floor, Vma::anonymous(floor + 0x1000, 3));
    m.insert(floor + 0x4000, Vma::anonymous(floor + 0x5000, 3));
    m.insert(floor + 0x6000, Vma::anonymous(floor + 0x7000, 3));
    m.insert(floor + 0x9000, Vma::anonymous(floor + 0xa000, 3));
    assert_eq!(m.find_free(0x1000, floor, ceiling), Some(floor + 0x5000));
    assert_eq!(m.find_free(0x2000, floor, ceiling), Some(floor + 0x7000));
    assert_eq!(m.find_free(0x3000, floor, ceiling), Some(floor + 0x1000));
    assert_eq!(m.find_free(0x4000, floor, ceiling), Some(floor + 0xa000));
    // Removing a region joins the gaps on both sides of it.
    m.remove(floor + 0x4000, floor + 0x5000);
    assert_eq!(m.find_free(0x5000, floor, ceiling), Some(floor + 0x1000));
    // Growing a region in place uses up the gap after it.
    assert!(m.extend(floor + 0x6000, floor + 0x9000));
    // The 2-page gap is gone: the 5-page one is now the shortest that fits.
    assert_eq!(m.find_free(0x2000, floor, ceiling), Some(floor + 0x1000));
    assert_eq!(m.find_free(0x10_0000, floor, ceiling), None);
    assert_eq!(m.find_free(0x2000, u64::MAX - 0x1000, u64::MAX), None);
}

#[test]
fn segments_sharing_a_page_merge_protections() {
    let mut m = VmaMap::<u32>::new();
    // text [0x400000, 0x401100) and data [0x401100, 0x403000): page 0x401000 is shared.
    m.add_segment(0x400000, 0x402000, PROT_READ | PROT_EXEC, None, 0);
    m.add_segment(0x401000, 0x403000, PROT_READ | PROT_WRITE, None, 0);
    assert_eq!(
        starts(&m),
        vec![(0x400000, 0x402000, 7), (0x402000, 0x403000, 3)]
    );
    assert!(m.iter().all(|(_, v)| !v.droppable));
    // A segment inside the pages already covered adds only its protection.
    m.add_segment(0x402000, 0x403000, PROT_EXEC, None, 0);
    assert_eq!(
        starts(&m),
        vec![(0x400000, 0x402000, 7), (0x402000, 0x403000, 7)]
    );
}

#[test]
fn segments_keep_their_file_offsets_past_a_shared_page() {
    let mut m = VmaMap::<u32>::new();
    // text: file 0x0..0x1100 at 0x400000; data: file 0x1100..0x1900 at
    // 0x401100 with bss to 0x404000. Page 0x401000 is shared (filled at exec).
    m.add_segment(
        0x400000,
        0x402000,
        PROT_READ | PROT_EXEC,
        Some((7, 0)),
        0x1100,
    );
    m.add_segment(
        0x401000,
        0x404000,
        PROT_READ | PROT_WRITE,
        Some((7, 0x1000)),
        0x900,
    );
    let text = m.find(0x400000).unwrap().1;
    assert_eq!((text.file, text.file_len), (Some((7, 0)), 0x1100));
    // The data region starts at 0x402000, where no file bytes remain.
    let (s, data) = m.find(0x402000).unwrap();
    assert_eq!((s, data.file, data.file_len), (0x402000, None, 0));
    // A data segment reaching further into the file keeps the offset of
    // its first own page.
    let mut m = VmaMap::<u32>::new();
    m.add_segment(0x400000, 0x402000, PROT_READ, Some((7, 0)), 0x1100);
    m.add_segment(
        0x401000,
        0x405000,
        PROT_READ | PROT_WRITE,
        Some((7, 0x1000)),
        0x2800,
    );
    let (s, data) = m.find(0x403000).unwrap();
    assert_eq!(
        (s, data.file, data.file_len),
        (0x402000, Some((7, 0x2000)), 0x1800)
    );
}

/// What one page looks like in the page-granular model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Page {
    prot: u32,
    file: Option<(u32, u64)>,
    /// File bytes visible in this page (0..=PAGE_SIZE).
    visible: u64,
    droppable: bool,
}

const PAGES: u64 = 48;

fn page_of(m: &VmaMap<u32>, p: u64) -> Option<Page> {
    let (s, v) = m.find(p * P)?;
    let rel = p * P - s;
    Some(Page {
        prot: v.prot,
        file: v.file.map(|(id, off)| (id, off + rel)),
        visible: v.file_len.saturating_sub(rel).min(P),
        droppable: v.droppable,
    })
}

#[derive(Clone, Debug)]
enum Op {
    Insert(u64, u64, u32, Option<(u32, u64, u64)>),
    Remove(u64, u64),
    Protect(u64, u64, u32),
    Extend(u64, u64),
}

fn op() -> impl Strategy<Value = Op> {
    let range = (0..PAGES, 1..PAGES / 2).prop_map(|(s, n)| (s, (s + n).min(PAGES)));
    prop_oneof![
        (
            range.clone(),
            0u32..8,
            proptest::option::of((0u32..4, 0u64..64, 0u64..PAGES * P))
        )
            .prop_map(|((s, e), prot, f)| Op::Insert(
                s,
                e,
                prot,
                f.map(|(id, o, l)| (id, o * P, l))
            )),
        range.clone().prop_map(|(s, e)| Op::Remove(s, e)),
        (range.clone(), 0u32..8).prop_map(|((s, e), prot)| Op::Protect(s, e, prot)),
        range.prop_map(|(s, e)| Op::Extend(s, e)),
    ]
}

proptest! {
    #[test]
    fn the_map_matches_a_page_model(ops in proptest::collection::vec(op(), 1..40)) {
        let mut m = VmaMap::<u32>::new();
        let mut model: Vec<Option<Page>> = vec![None; PAGES as usize];
        for op in ops {
            match op {
                Op::Insert(s, e, prot, f) => {
                    let covered: Vec<u64> = (s..e).filter(|&p| model[p as usize].is_some()).collect();
                    let vma = Vma {
                        end: e * P,
                        prot,
                        file: f.map(|(id, off, _)| (id, off)),
                        file_len: f.map_or(0, |(_, _, l)| l),
                        droppable: true,
                        sharing: Sharing::Private,
                    };
                    let got = m.insert(s * P, vma);
                    let got_pages: Vec<u64> =
                        got.iter().flat_map(|&(a, b)| a / P..b / P).collect();
                    prop_assert_eq!(got_pages, covered);
                    for p in s..e {
                        let rel = (p - s) * P;
                        model[p as usize] = Some(Page {
                            prot,
                            file: f.map(|(id, off, _)| (id, off + rel)),
                            visible: f.map_or(0, |(_, _, l)| l.saturating_sub(rel).min(P)),
                            droppable: true,
                        });
                    }
                }
                Op::Remove(s, e) => {
                    let covered: Vec<u64> = (s..e).filter(|&p| model[p as usize].is_some()).collect();
                    let got_pages: Vec<u64> =
                        m.remove(s * P, e * P).iter().flat_map(|&(a, b)| a / P..b / P).collect();
                    prop_assert_eq!(got_pages, covered);
                    for p in s..e {
                        model[p as usize] = None;
                    }
                }
                Op::Protect(s, e, prot) => {
                    let whole = (s..e).all(|p| model[p as usize].is_some());
                    let got = m.protect(s * P, e * P, prot).ok();
                    prop_assert_eq!(got.is_some(), whole);
                    if let Some(ranges) = got {
                        let pages: Vec<u64> = ranges.iter().flat_map(|&(a, b)| a / P..b / P).collect();
                        prop_assert_eq!(pages, (s..e).collect::<Vec<_>>());
                        for p in s..e {
                            if let Some(pg) = model[p as usize].as_mut() {
                                pg.prot = prot;
                            }
                        }
                    }
                }
                Op::Extend(s, e) => {
                    let region = m.range(s * P..=s * P).next().map(|(_, v)| v.clone());
                    let free_after = |end: u64| (end / P..e).all(|p| model[p as usize].is_none());
                    let expect = region.as_ref().is_some_and(|v| e * P > v.end && free_after(v.end));
                    prop_assert_eq!(m.extend(s * P, e * P), expect);
                    if let (true, Some(v)) = (expect, region) {
                        for p in v.end / P..e {
                            let rel = (p - s) * P;
                            model[p as usize] = Some(Page {
                                prot: v.prot,
                                file: v.file.map(|(id, off)| (id, off + rel)),
                                visible: v.file_len.saturating_sub(rel).min(P),
                                droppable: v.droppable,
                            });
                        }
                    }
                }
            }
            // A free range found lies on free pages; none is found only when
            // no run of free pages is long enough.
            for n in 1..=4u64 {
                let longest_run = (0..PAGES).fold((0u64, 0u64), |(best, run), p| {
                    let run = if model[p as usize].is_none() { run + 1 } else { 0 };
                    (best.max(run), run)
                }).0;
                match m.find_free(n * P, 0, PAGES * P) {
                    Some(a) => {
                        prop_assert!(a % P == 0 && a / P + n <= PAGES);
                        prop_assert!((a / P..a / P + n).all(|p| model[p as usize].is_none()));
                    }
                    None => prop_assert!(longest_run < n),
                }
            }
            // Regions are non-empty, page-aligned, sorted and disjoint ...
            let mut prev = 0;
            for (&s, v) in m.iter() {
                prop_assert!(s >= prev && s < v.end && s % P == 0 && v.end % P == 0);
                prev = v.end;
            }
            // ... and say for every page what the model says.
            for p in 0..PAGES {
                prop_assert_eq!(page_of(&m, p), model[p as usize], "page {}", p);
            }
        }
    }
}
