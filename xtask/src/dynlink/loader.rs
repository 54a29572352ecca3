//! Writes the cdylib it carries to a file, dlopen()s it through musl's
//! loader, calls its `plugin_add` twice and prints what it returned, with
//! the system's ID from /etc/os-release.

use std::ffi::{c_char, c_int, c_void, CStr, CString};

unsafe extern "C" {
    fn dlopen(path: *const c_char, flags: c_int) -> *mut c_void;
    fn dlsym(handle: *mut c_void, name: *const c_char) -> *mut c_void;
    fn dlerror() -> *const c_char;
}

const RTLD_NOW: c_int = 2;
static PLUGIN: &[u8] = include_bytes!(env!("PLUGIN_SO"));

type PluginAdd = unsafe extern "C" fn(u32, u32, *mut u8, usize) -> usize;

fn last_error() -> String {
    // SAFETY: dlerror returns null or a NUL-terminated string.
    unsafe {
        let e = dlerror();
        if e.is_null() {
            "no error".into()
        } else {
            CStr::from_ptr(e).to_string_lossy().into_owned()
        }
    }
}

fn main() {
    let os = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let id = os
        .lines()
        .find_map(|l| l.strip_prefix("ID="))
        .unwrap_or("?")
        .trim_matches('"')
        .to_string();
    let path = std::env::temp_dir().join(format!("libplugin-{}.so", std::process::id()));
    std::fs::write(&path, PLUGIN).expect("write the plugin");
    let cpath = CString::new(path.to_str().expect("UTF-8 path")).unwrap();
    // SAFETY: a NUL-terminated path; the library's constructors are std's.
    let handle = unsafe { dlopen(cpath.as_ptr(), RTLD_NOW) };
    assert!(!handle.is_null(), "dlopen: {}", last_error());
    // SAFETY: a NUL-terminated symbol name in a live handle.
    let sym = unsafe { dlsym(handle, c"plugin_add".as_ptr()) };
    assert!(!sym.is_null(), "dlsym: {}", last_error());
    // SAFETY: plugin_add has this signature (see the plugin's source).
    let add: PluginAdd = unsafe { std::mem::transmute(sym) };
    let mut buf = [0u8; 128];
    let mut last = String::new();
    for _ in 0..2 {
        // SAFETY: buf has buf.len() writable bytes.
        let n = unsafe { add(2, 3, buf.as_mut_ptr(), buf.len()) };
        last = String::from_utf8_lossy(&buf[..n]).into_owned();
    }
    let _ = std::fs::remove_file(&path);
    println!("loader: os={id} {last}");
}
