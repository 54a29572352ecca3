//! Calls C compiled by the build script and checks it against Rust.

extern "C" {
    fn fletcher16(data: *const u8, len: usize) -> u16;
}

fn fletcher16_rust(data: &[u8]) -> u16 {
    let (mut a, mut b) = (0u16, 0u16);
    for &byte in data {
        a = (a + u16::from(byte)) % 255;
        b = (b + a) % 255;
    }
    (b << 8) | a
}

fn main() {
    let data = b"abcde";
    // SAFETY: `fletcher16` reads exactly `len` bytes from `data`, which
    // points at a live slice of that length.
    let from_c = unsafe { fletcher16(data.as_ptr(), data.len()) };
    assert_eq!(from_c, fletcher16_rust(data));
    println!("cc-demo: fletcher16(abcde) = {from_c:#06x} from C, as in Rust");
}
