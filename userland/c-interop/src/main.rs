//! Calls into C compiled by the cc crate and checks the answer.
use std::ffi::{c_char, c_int, CStr};

unsafe extern "C" {
    fn veridian_greet(name: *const c_char, out: *mut c_char, len: usize) -> c_int;
}

fn main() {
    let mut buf = [0 as c_char; 64];
    // SAFETY: a NUL-terminated name and a buffer whose real length is passed.
    let n = unsafe { veridian_greet(c"rust".as_ptr(), buf.as_mut_ptr(), buf.len()) };
    // SAFETY: snprintf NUL-terminates within `buf`.
    let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
    assert_eq!(text, "C says hello to rust (4 bytes)");
    assert_eq!(n as usize, text.len());
    println!("CONF c-interop greet ok");
    println!("CONF c-interop done 1");
}
