//! Compiles src/greet.c with the target's C compiler through the cc crate.
fn main() {
    println!("cargo:rerun-if-changed=src/greet.c");
    cc::Build::new()
        .file("src/greet.c")
        .warnings_into_errors(true)
        .compile("greet");
}
