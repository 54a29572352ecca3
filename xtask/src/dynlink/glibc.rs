//! Installs the glibc files it carries (the loader, libc.so.6 and Debian's
//! echo and printenv), runs the two programs and prints their output with
//! the system's ID from /etc/os-release. Generated into a fresh project by
//! `dynlink::glibc_programs`, which adds the `FILES` table.

use std::os::unix::fs::PermissionsExt;

fn main() {
    for (path, bytes) in FILES {
        let p = std::path::Path::new(path);
        std::fs::create_dir_all(p.parent().expect("absolute path")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let _ = std::fs::create_dir_all("/lib64");
    let _ = std::os::unix::fs::symlink(LOADER, "/lib64/ld-linux-x86-64.so.2");
    let os = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let id = os
        .lines()
        .find_map(|l| l.strip_prefix("ID="))
        .unwrap_or("?")
        .trim_matches('"')
        .to_string();
    let echo = std::process::Command::new("/tmp/glibc-echo")
        .args(["hello", "from", "glibc"])
        .output()
        .expect("spawn echo");
    let printenv = std::process::Command::new("/tmp/glibc-printenv")
        .arg("GLIBC_CHECK")
        .env("GLIBC_CHECK", "seen")
        .output()
        .expect("spawn printenv");
    println!(
        "glibc: os={id} echo={:?} {} printenv={:?} {}",
        String::from_utf8_lossy(&echo.stdout).trim(),
        echo.status,
        String::from_utf8_lossy(&printenv.stdout).trim(),
        printenv.status
    );
}
