use super::*;
use alloc::vec;

const TOP: u64 = 0x7fff_ffff_f000;

/// Reads the image back the way a C runtime does.
struct Mem<'a>(&'a StackImage);

impl Mem<'_> {
    fn word(&self, at: u64) -> u64 {
        let o = (at - self.0.sp) as usize;
        u64::from_le_bytes(self.0.words[o..o + 8].try_into().unwrap())
    }

    fn cstr(&self, at: u64) -> Vec<u8> {
        let o = (at - self.0.strings_at) as usize;
        let s = &self.0.strings[o..];
        s[..s.iter().position(|&b| b == 0).unwrap()].to_vec()
    }
}

fn info() -> ProgramInfo {
    ProgramInfo {
        phdr: 0x400040,
        phent: 56,
        phnum: 9,
        entry: 0x401000,
        base: 0,
        hwcap: 0x178bfbff,
    }
}

#[test]
fn argv_envp_and_auxv_read_back() {
    let argv = vec![b"/bin/hello".to_vec(), b"a b".to_vec(), Vec::new()];
    let envp = vec![b"PATH=/bin".to_vec()];
    let aux = auxv(&info());
    let img = build(TOP, &[7; 16], b"/bin/hello", &argv, &envp, &aux).unwrap();
    assert_eq!(img.sp % 16, 0);
    assert!(img.sp + img.words.len() as u64 <= img.strings_at);
    assert!(img.strings_at + img.strings.len() as u64 <= TOP - 16);
    let m = Mem(&img);
    let mut at = img.sp;
    let mut next = || {
        let w = m.word(at);
        at += 8;
        w
    };
    assert_eq!(next(), 3);
    for a in &argv {
        assert_eq!(&m.cstr(next()), a);
    }
    assert_eq!(next(), 0);
    assert_eq!(m.cstr(next()), b"PATH=/bin");
    assert_eq!(next(), 0);
    let mut got = Vec::new();
    loop {
        let (k, v) = (next(), next());
        if k == AT_NULL {
            break;
        }
        got.push((k, v));
    }
    assert_eq!(&got[..aux.len()], &aux[..]);
    let tail: Vec<u64> = got[aux.len()..].iter().map(|&(k, _)| k).collect();
    assert_eq!(tail, vec![AT_RANDOM, AT_PLATFORM, AT_EXECFN]);
    let find = |key| got.iter().find(|&&(k, _)| k == key).unwrap().1;
    assert_eq!(m.cstr(find(AT_PLATFORM)), b"x86_64");
    assert_eq!(m.cstr(find(AT_EXECFN)), b"/bin/hello");
    let r = (find(AT_RANDOM) - img.strings_at) as usize;
    assert_eq!(&img.strings[r..r + 16], &[7; 16]);
    assert_eq!(find(AT_PAGESZ), 4096);
    assert_eq!(find(AT_ENTRY), 0x401000);
    assert_eq!(find(AT_PHNUM), 9);
}

#[test]
fn at_base_carries_the_interpreter_address() {
    let aux = auxv(&ProgramInfo {
        base: 0x7f00_0000_0000,
        ..info()
    });
    assert!(aux.contains(&(AT_BASE, 0x7f00_0000_0000)));
}

#[test]
fn too_many_string_bytes_are_refused() {
    let big = vec![vec![b'x'; MAX_STRINGS]];
    assert_eq!(build(TOP, &[0; 16], b"/p", &big, &[], &[]), Err(TooBig));
    let fits = vec![vec![b'x'; MAX_STRINGS - 16 - 7 - 3 - 1]];
    assert!(build(TOP, &[0; 16], b"/p", &fits, &[], &[]).is_ok());
}

proptest::proptest! {
    #[test]
    fn layout_is_aligned_and_fits_below_the_top(
        argv in proptest::collection::vec(proptest::collection::vec(1u8..255, 0..40), 0..20),
        envp in proptest::collection::vec(proptest::collection::vec(1u8..255, 0..40), 0..20),
    ) {
        let img = build(TOP, &[1; 16], b"/x", &argv, &envp, &auxv(&info())).unwrap();
        proptest::prop_assert_eq!(img.sp % 16, 0);
        proptest::prop_assert!(img.sp + img.words.len() as u64 <= img.strings_at);
        proptest::prop_assert!(img.strings_at + img.strings.len() as u64 <= TOP - 16);
        let m = Mem(&img);
        proptest::prop_assert_eq!(m.word(img.sp), argv.len() as u64);
        for (i, a) in argv.iter().enumerate() {
            proptest::prop_assert_eq!(&m.cstr(m.word(img.sp + 8 + 8 * i as u64)), a);
        }
        let envp_at = img.sp + 16 + 8 * argv.len() as u64;
        for (i, e) in envp.iter().enumerate() {
            proptest::prop_assert_eq!(&m.cstr(m.word(envp_at + 8 * i as u64)), e);
        }
    }
}
