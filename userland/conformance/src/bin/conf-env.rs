//! Environment variables, arguments and the current directory.
//!
//! Usage: `conf-env alpha "two words" ''` with CONF_ENV_GIVEN=from-parent set.
use conformance::{scratch_dir, Suite};
use std::env;

fn main() {
    let mut suite = Suite::new("env");
    suite.check("args", || {
        let args: Vec<String> = env::args().skip(1).collect();
        assert_eq!(args, ["alpha", "two words", ""]);
        assert!(env::args().next().unwrap().ends_with("conf-env"));
    });
    suite.check("var-inherited", || {
        assert_eq!(env::var("CONF_ENV_GIVEN").as_deref(), Ok("from-parent"))
    });
    suite.check("var-set-remove", || {
        // SAFETY: single-threaded at this point; no other thread reads the environment.
        unsafe { env::set_var("CONF_ENV_NEW", "value=with=equals") };
        assert_eq!(env::var("CONF_ENV_NEW").as_deref(), Ok("value=with=equals"));
        assert!(env::vars().any(|(k, v)| k == "CONF_ENV_NEW" && v == "value=with=equals"));
        // SAFETY: as above.
        unsafe { env::remove_var("CONF_ENV_NEW") };
        assert!(env::var("CONF_ENV_NEW").is_err());
        assert!(env::var("CONF_ENV_NEVER_SET").is_err());
    });
    suite.check("current-exe", || {
        let exe = env::current_exe().unwrap();
        assert!(exe.ends_with("conf-env"), "current_exe = {}", exe.display());
    });
    suite.check("current-dir", || {
        let start = env::current_dir().unwrap();
        assert!(start.is_absolute());
        let dir = scratch_dir("env");
        env::set_current_dir(&dir).unwrap();
        assert_eq!(
            env::current_dir().unwrap().canonicalize().unwrap(),
            dir.canonicalize().unwrap()
        );
        std::fs::write("relative.txt", b"here").unwrap();
        assert_eq!(std::fs::read(dir.join("relative.txt")).unwrap(), b"here");
        env::set_current_dir(&start).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(env::set_current_dir("/definitely/not/here").is_err());
    });
    suite.check("consts", || {
        assert_eq!(env::consts::OS, "veridian");
        assert_eq!(env::consts::FAMILY, "unix");
        assert_eq!(env::consts::ARCH, "x86_64");
        // Checked when this program is compiled: it is built for VeridianOS.
        const { assert!(cfg!(target_os = "veridian") && cfg!(unix)) };
    });
    suite.check("raw-syscall", || {
        use std::os::veridian::syscall::{decode, errno, nr, syscall0, syscall3};
        // SAFETY: getpid takes no arguments and touches no memory.
        let pid = decode(unsafe { syscall0(nr::GETPID) }).unwrap();
        assert_eq!(pid as u32, std::process::id());
        let byte = b"x";
        // SAFETY: write() only reads the one byte passed; fd 9999 is not open.
        let ret = unsafe { syscall3(nr::WRITE, 9999, byte.as_ptr() as usize, 1) };
        assert_eq!(decode(ret), Err(errno::EBADF));
    });
    suite.check("home-and-temp", || {
        assert!(env::temp_dir().is_absolute());
    });
    suite.done();
}
