//! Fuzz target: the input is a whole image (padded to 4 KiB blocks).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/common/exercise.rs"]
#[allow(dead_code)]
mod exercise;

fuzz_target!(|data: &[u8]| {
    exercise::exercise(data.to_vec());
});
