//! A panic aborts the process (the target's panic strategy is `abort`):
//! the harness expects SIGABRT and the panic message on stderr.
fn main() {
    println!("CONF panic before ok");
    let v: Vec<u32> = Vec::new();
    let index = std::env::args().count() + 2;
    // An out-of-bounds index the compiler cannot prove.
    println!("unreachable {}", v[index]);
    println!("CONF panic after-panic-still-running");
}
