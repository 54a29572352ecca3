//! The smallest std program: one line on stdout.
fn main() {
    println!("Hello from VeridianOS rustc!");
}
