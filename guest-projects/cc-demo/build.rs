//! Compiles src/checksum.c into a static library with the cc crate.

fn main() {
    println!("cargo:rerun-if-changed=src/checksum.c");
    cc::Build::new().file("src/checksum.c").compile("checksum");
}
