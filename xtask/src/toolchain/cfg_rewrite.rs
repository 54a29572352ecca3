//! The mechanical half of the std port.
//!
//! VeridianOS speaks the Linux x86_64 syscall ABI and uses musl, so wherever
//! the `libc` crate or std picks a Linux or musl code path, VeridianOS takes
//! the same one. Rather than carry thousands of identical diff lines, the
//! source copy gets one rewrite: every `target_os = "linux"` predicate becomes
//! `any(target_os = "linux", target_os = "veridian")`, and (where musl's
//! definitions apply) every `target_env = "musl"` becomes
//! `any(target_env = "musl", target_os = "veridian")`. The places where
//! VeridianOS must differ from Linux are excluded here and handled by the
//! readable hand-written patches in `patches/library/`.

use anyhow::{Context, Result};
use regex::Regex;
use std::fs;
use std::path::Path;
use std::sync::LazyLock;
use walkdir::WalkDir;

/// Which predicates a tree gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rules {
    /// Only `target_os = "linux"`.
    Os,
    /// `target_os = "linux"` and `target_env = "musl"`.
    OsAndMusl,
}

/// A folder of the library (relative to `library/`) and its rules.
pub struct Tree {
    pub path: &'static str,
    pub rules: Rules,
    /// Files (relative to `path`) left to the hand-written patches.
    pub exclude: &'static [&'static str],
}

/// Everything the rewrite touches. `{libc}` is the vendored libc folder.
pub const TREES: &[Tree] = &[
    Tree {
        path: "vendor/{libc}/src",
        rules: Rules::OsAndMusl,
        exclude: &[],
    },
    // env_consts.rs names the OS ("veridian", not "linux"): hand-patched.
    Tree {
        path: "std/src",
        rules: Rules::OsAndMusl,
        exclude: &["sys/env_consts.rs"],
    },
    Tree {
        path: "backtrace/src",
        rules: Rules::OsAndMusl,
        exclude: &[],
    },
    Tree {
        path: "std_detect/src",
        rules: Rules::Os,
        exclude: &[],
    },
    // unwind links libgcc_eh on VeridianOS, not musl's libunwind: hand-patched.
    Tree {
        path: "unwind/src",
        rules: Rules::Os,
        exclude: &[],
    },
];

static LINUX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\btarget_os\s*=\s*"linux""#).expect("valid regex"));
static MUSL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\btarget_env\s*=\s*"musl""#).expect("valid regex"));

/// Rewrites one source text; returns the new text and how many predicates changed.
pub fn rewrite(source: &str, rules: Rules) -> (String, usize) {
    let mut count = 0;
    let text = LINUX.replace_all(source, |_: &regex::Captures| {
        count += 1;
        r#"any(target_os = "linux", target_os = "veridian")"#
    });
    if rules == Rules::Os {
        return (text.into_owned(), count);
    }
    let text = MUSL.replace_all(&text, |_: &regex::Captures| {
        count += 1;
        r#"any(target_env = "musl", target_os = "veridian")"#
    });
    (text.into_owned(), count)
}

/// Applies [`TREES`] to a library copy; returns the number of rewritten predicates.
pub fn rewrite_library(library: &Path, libc_dir: &str) -> Result<usize> {
    let mut total = 0;
    for tree in TREES {
        let root = library.join(tree.path.replace("{libc}", libc_dir));
        for entry in WalkDir::new(&root) {
            let entry = entry.with_context(|| format!("cannot walk {}", root.display()))?;
            let path = entry.path();
            let rel = path.strip_prefix(&root).unwrap_or(path);
            let is_rust = path.extension().is_some_and(|e| e == "rs");
            if !entry.file_type().is_file()
                || !is_rust
                || tree.exclude.iter().any(|x| rel == Path::new(x))
            {
                continue;
            }
            let source = fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let (text, count) = rewrite(&source, tree.rules);
            if count > 0 {
                fs::write(path, text)?;
                total += count;
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_predicates_gain_veridian() {
        let (out, n) = rewrite(
            r#"#[cfg(all(target_os = "linux", target_env = "gnu"))]"#,
            Rules::OsAndMusl,
        );
        assert_eq!(n, 1);
        assert_eq!(
            out,
            r#"#[cfg(all(any(target_os = "linux", target_os = "veridian"), target_env = "gnu"))]"#
        );
    }

    #[test]
    fn musl_predicates_only_with_musl_rules() {
        let src = r#"cfg!(all(target_os = "linux", not(target_env = "musl")))"#;
        let (os_only, n) = rewrite(src, Rules::Os);
        assert_eq!(n, 1);
        assert!(os_only.contains(r#"not(target_env = "musl")"#));
        let (both, n) = rewrite(src, Rules::OsAndMusl);
        assert_eq!(n, 2);
        assert!(both.contains(r#"not(any(target_env = "musl", target_os = "veridian"))"#));
    }

    #[test]
    fn other_systems_and_escaped_strings_are_left_alone() {
        let src = r#"#[cfg(target_os = "linuxish")] const S: &str = "target_os = \"linux\"";"#;
        let (out, n) = rewrite(src, Rules::OsAndMusl);
        assert_eq!((out.as_str(), n), (src, 0));
    }

    #[test]
    fn spacing_variants_are_found() {
        let (_, n) = rewrite(
            r#"cfg(target_os="linux") cfg(target_os  =  "linux")"#,
            Rules::Os,
        );
        assert_eq!(n, 2);
    }
}
