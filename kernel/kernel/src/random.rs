//! Kernel randomness: a ChaCha20 generator seeded from RDRAND (mixed with
//! the TSC when RDRAND is missing), for getrandom, /dev/urandom, AT_RANDOM.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use spin::Mutex;

static RNG: Mutex<Option<ChaCha20Rng>> = Mutex::new(None);

fn seed() -> [u8; 32] {
    let mut s = [0u8; 32];
    for (i, chunk) in s.chunks_mut(8).enumerate() {
        let v = crate::arch::cpu::rdrand().unwrap_or_else(|| {
            crate::arch::cpu::rdtsc().rotate_left(17 * i as u32) ^ 0x9E37_79B9_7F4A_7C15
        });
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    s
}

/// Fills `buf` with random bytes.
pub fn fill(buf: &mut [u8]) {
    let mut g = RNG.lock();
    g.get_or_insert_with(|| ChaCha20Rng::from_seed(seed()))
        .fill_bytes(buf);
}
