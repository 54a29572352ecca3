//! Fuzz target: the input is a list of patches applied to a valid sample
//! image, so mutations reach deep into the inode table, pointer blocks and
//! directories. Each patch is `[offset: u16 LE, len: u8, bytes...]`; the
//! offset counts 8-byte units, covering the whole 160 KiB sample.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/exercise.rs"]
#[allow(dead_code)]
mod exercise;

static BASE: OnceLock<Vec<u8>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let mut image = BASE.get_or_init(|| exercise::sample_image(40)).clone();
    let mut rest = data;
    while let [lo, hi, len, tail @ ..] = rest {
        let off = u16::from_le_bytes([*lo, *hi]) as usize * 8;
        let n = (*len as usize).min(tail.len());
        for (i, b) in tail[..n].iter().enumerate() {
            if let Some(slot) = image.get_mut(off + i) {
                *slot = *b;
            }
        }
        rest = &tail[n..];
    }
    exercise::exercise(image);
});
