//! Panics unwind (the target's panic strategy is `unwind`): `catch_unwind`
//! stops a panic and runs the unwound frames' destructors; a panic leaving
//! `main` ends the process with status 101 and the message on stderr.
use std::cell::Cell;
use std::panic;

struct SetOnDrop<'a>(&'a Cell<bool>);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

fn main() {
    let dropped = Cell::new(false);
    let caught = panic::catch_unwind(panic::AssertUnwindSafe(|| {
        let _guard = SetOnDrop(&dropped);
        panic!("caught on purpose");
    }));
    let message = caught
        .err()
        .and_then(|p| p.downcast_ref::<&str>().map(|s| s.to_string()));
    if message.as_deref() == Some("caught on purpose") && dropped.get() {
        println!("CONF panic catch-unwind ok");
    }
    let v: Vec<u32> = Vec::new();
    let index = std::env::args().count() + 2;
    // An out-of-bounds index the compiler cannot prove.
    println!("unreachable {}", v[index]);
    println!("CONF panic after-panic-still-running");
}
