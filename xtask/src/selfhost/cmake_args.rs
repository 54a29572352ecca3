//! The CMake configurations of `cargo xtask llvm`, as plain data so they can
//! be checked without building anything.

use std::path::{Path, PathBuf};

/// Where the LLVM build's inputs and outputs live.
#[derive(Debug, Clone)]
pub struct LlvmPaths {
    /// The unpacked llvm-project tree (holds llvm/, lld/, runtimes/, …).
    pub src: PathBuf,
    /// The repository's toolchain/cmake/llvm-veridian-x86_64.cmake.
    pub toolchain_file: PathBuf,
    /// Snapshot of the toolchain's musl sysroot.
    pub sysroot: PathBuf,
    /// Linux UAPI headers (linux/, asm/, asm-generic/).
    pub kernel_headers: PathBuf,
    /// Install prefix of libc++/libc++abi/libunwind.
    pub cxx: PathBuf,
    /// Install prefix of LLVM and lld.
    pub install: PathBuf,
}

/// The triple LLVM is built for and reports.
pub const TRIPLE: &str = "x86_64-unknown-veridian";

/// The components besides static libraries that the VeridianOS-hosted
/// rustc needs: headers rustc_llvm compiles against, the llvm-config
/// bootstrap asks, and lld (its `rust-lld`).
pub const RUSTC_TOOLS: &[&str] = &["llvm-headers", "llvm-config", "lld"];

/// The components only the guest's C/C++ compiler needs: clang with its
/// resource headers, and llvm-ar.
pub const CLANG_TOOLS: &[&str] = &["clang", "clang-resource-headers", "llvm-ar"];

/// What `ninja install-distribution` installs besides static libraries.
pub fn distribution_tools() -> String {
    [RUSTC_TOOLS, CLANG_TOOLS].concat().join(";")
}

/// The Ninja targets that build and install what rustc needs and no more
/// (each distribution component has an `install-<name>` target): the
/// libraries named, or all of LLVM's when they are unknown.
pub fn rustc_install_targets(libraries: Option<&[String]>) -> Vec<String> {
    let libs: Vec<String> = match libraries {
        Some(libs) if !libs.is_empty() => libs.to_vec(),
        _ => vec!["llvm-libraries".into()],
    };
    libs.iter()
        .map(String::as_str)
        .chain(RUSTC_TOOLS.iter().copied())
        .map(|c| format!("install-{c}"))
        .collect()
}

/// The LLVM components rustc_llvm's build script asks llvm-config for (its
/// REQUIRED_COMPONENTS and, of its optional targets, X86).
pub const RUSTC_COMPONENTS: &[&str] = &[
    "ipo",
    "bitreader",
    "bitwriter",
    "linker",
    "asmparser",
    "lto",
    "coverage",
    "instrumentation",
    "x86",
];

/// The LINK_COMPONENTS of lld's drivers (Common, ELF, COFF, MachO, MinGW,
/// wasm; the X86 target stands for `${LLVM_TARGETS_TO_BUILD}`).
pub const LLD_COMPONENTS: &[&str] = &[
    "x86",
    "binaryformat",
    "bitreader",
    "bitwriter",
    "cgdata",
    "codegen",
    "core",
    "debuginfocodeview",
    "debuginfodwarf",
    "debuginfomsf",
    "debuginfopdb",
    "demangle",
    "dtlto",
    "libdriver",
    "lto",
    "mc",
    "objcarcopts",
    "object",
    "option",
    "passes",
    "profiledata",
    "support",
    "target",
    "targetparser",
    "textapi",
    "transformutils",
    "windowsdriver",
    "windowsmanifest",
];

/// `LLVM_DISTRIBUTION_COMPONENTS`: the static libraries named (those
/// rustc and lld link), or, when they are unknown, all of LLVM's
/// (`llvm-libraries`: ~300 more of the 2286 build steps, for the JIT,
/// DWARF linker, exegesis, ObjCopy, TableGen, ... libraries).
pub fn distribution(libraries: Option<&[String]>) -> String {
    match libraries {
        Some(libs) if !libs.is_empty() => format!("{};{}", libs.join(";"), distribution_tools()),
        _ => format!("llvm-libraries;{}", distribution_tools()),
    }
}

/// LLVM's library names (`LLVMCore`) from `llvm-config --libnames` output
/// (`libLLVMCore.a libLLVMSupport.a`); others (Debian's LLVM adds Polly's
/// to the pass pipeline) are not part of our build.
pub fn library_names(libnames: &str) -> Vec<String> {
    let mut names: Vec<String> = libnames
        .split_whitespace()
        .filter_map(|f| f.strip_prefix("lib").and_then(|f| f.strip_suffix(".a")))
        .filter(|name| name.starts_with("LLVM"))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

fn d(name: &str, value: impl AsRef<str>) -> String {
    format!("-D{name}={}", value.as_ref())
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

fn common(paths: &LlvmPaths) -> Vec<String> {
    vec![
        "-G".into(),
        "Ninja".into(),
        d("CMAKE_TOOLCHAIN_FILE", p(&paths.toolchain_file)),
        d("VERIDIAN_SYSROOT", p(&paths.sysroot)),
        d("VERIDIAN_KERNEL_HEADERS", p(&paths.kernel_headers)),
        d("CMAKE_BUILD_TYPE", "Release"),
    ]
}

/// libc++, libc++abi and libunwind, static, against musl; libc++abi is merged
/// into libc++.a and unwinds with gcc's libgcc_eh (the unwinder Rust's std
/// for this target links), so a process has one unwinder. libunwind is built
/// and installed too, for programs that want LLVM's.
pub fn runtimes_args(paths: &LlvmPaths) -> Vec<String> {
    let mut a = common(paths);
    a.extend([
        "-S".into(),
        p(&paths.src.join("runtimes")),
        d("CMAKE_INSTALL_PREFIX", p(&paths.cxx)),
        // The compiler checks cannot link C++ before libc++ exists.
        d("CMAKE_TRY_COMPILE_TARGET_TYPE", "STATIC_LIBRARY"),
        d("LLVM_ENABLE_RUNTIMES", "libcxx;libcxxabi;libunwind"),
        d("LLVM_ENABLE_PER_TARGET_RUNTIME_DIR", "OFF"),
        d("LIBCXX_HAS_MUSL_LIBC", "ON"),
        d("LIBCXX_ENABLE_SHARED", "OFF"),
        d("LIBCXXABI_ENABLE_SHARED", "OFF"),
        d("LIBUNWIND_ENABLE_SHARED", "OFF"),
        d("LIBCXX_ENABLE_STATIC_ABI_LIBRARY", "ON"),
        d("LIBCXXABI_USE_LLVM_UNWINDER", "OFF"),
        d("LIBCXX_INCLUDE_TESTS", "OFF"),
        d("LIBCXX_INCLUDE_BENCHMARKS", "OFF"),
        d("LIBCXXABI_INCLUDE_TESTS", "OFF"),
        d("LIBUNWIND_INCLUDE_TESTS", "OFF"),
        d("LIBCXX_USE_COMPILER_RT", "OFF"),
        d("LIBCXXABI_USE_COMPILER_RT", "OFF"),
        d("LIBUNWIND_USE_COMPILER_RT", "OFF"),
        // musl has no __cxa_thread_atexit_impl.
        d("LIBCXXABI_HAS_CXA_THREAD_ATEXIT_IMPL", "OFF"),
        d("CMAKE_POSITION_INDEPENDENT_CODE", "ON"),
        d("LLVM_INCLUDE_TESTS", "OFF"),
        d("LIBCXX_INCLUDE_DOCS", "OFF"),
    ]);
    a
}

/// LLVM (X86 only), lld and clang for x86_64-unknown-veridian, static, threads on
/// (rustc runs LLVM on several threads; LLVM's locks must be real ones).
/// `native_tools`: a host folder with an llvm-tblgen and llvm-config of the
/// very same LLVM version, which saves building native tools first.
/// `libraries`: the static libraries to build and install (see
/// [`distribution`]).
pub fn llvm_args(
    paths: &LlvmPaths,
    native_tools: Option<&Path>,
    libraries: Option<&[String]>,
) -> Vec<String> {
    let mut a = common(paths);
    a.extend([
        "-S".into(),
        p(&paths.src.join("llvm")),
        d("VERIDIAN_CXX_ROOT", p(&paths.cxx)),
        d("CMAKE_INSTALL_PREFIX", p(&paths.install)),
        d("LLVM_ENABLE_PROJECTS", "lld;clang"),
        // clang as a C/C++ compiler only: no static analyzer, no plugins
        // (a static program cannot load them), no libxml2.
        d("CLANG_ENABLE_STATIC_ANALYZER", "OFF"),
        d("CLANG_PLUGIN_SUPPORT", "OFF"),
        d("CLANG_ENABLE_LIBXML2", "OFF"),
        d("CLANG_INCLUDE_TESTS", "OFF"),
        d("CLANG_INCLUDE_DOCS", "OFF"),
        d("CLANG_BUILD_EXAMPLES", "OFF"),
        d("LLVM_TARGETS_TO_BUILD", "X86"),
        d("LLVM_EXPERIMENTAL_TARGETS_TO_BUILD", ""),
        d("LLVM_HOST_TRIPLE", TRIPLE),
        d("LLVM_DEFAULT_TARGET_TRIPLE", TRIPLE),
        d("LLVM_ENABLE_ASSERTIONS", "OFF"),
        d("LLVM_ENABLE_THREADS", "ON"),
        d("LLVM_BUILD_STATIC", "ON"),
        d("LLVM_LINK_LLVM_DYLIB", "OFF"),
        d("LLVM_BUILD_LLVM_DYLIB", "OFF"),
        d("BUILD_SHARED_LIBS", "OFF"),
        d("LLVM_ENABLE_PIC", "ON"),
        d("LLVM_ENABLE_ZLIB", "OFF"),
        d("LLVM_ENABLE_ZSTD", "OFF"),
        d("LLVM_ENABLE_LIBXML2", "OFF"),
        d("LLVM_ENABLE_LIBEDIT", "OFF"),
        d("LLVM_ENABLE_LIBPFM", "OFF"),
        d("LLVM_ENABLE_FFI", "OFF"),
        d("LLVM_ENABLE_CURL", "OFF"),
        d("LLVM_ENABLE_HTTPLIB", "OFF"),
        d("LLVM_ENABLE_Z3_SOLVER", "OFF"),
        d("LLVM_ENABLE_BINDINGS", "OFF"),
        d("LLVM_INCLUDE_TESTS", "OFF"),
        d("LLVM_INCLUDE_BENCHMARKS", "OFF"),
        d("LLVM_INCLUDE_EXAMPLES", "OFF"),
        d("LLVM_INCLUDE_DOCS", "OFF"),
        d("LLVM_BUILD_UTILS", "OFF"),
        d("LLVM_INCLUDE_UTILS", "OFF"),
        d("LLVM_BUILD_TOOLS", "ON"),
        // libLTO and libRemarks are shared libraries only (for linkers and
        // IDEs that dlopen them): a static-only target has no use for them.
        d("LLVM_TOOL_LTO_BUILD", "OFF"),
        d("LLVM_TOOL_REMARKS_SHLIB_BUILD", "OFF"),
        // Static executables have no dynamic section, so no RPATH for
        // CMake's install step to rewrite (it fails looking for one).
        d("CMAKE_SKIP_RPATH", "ON"),
    ]);
    if let Some(dir) = native_tools {
        a.extend([
            d("LLVM_TABLEGEN", p(&dir.join("llvm-tblgen"))),
            d("LLVM_NATIVE_TOOL_DIR", p(dir)),
            d("LLVM_CONFIG_PATH", p(&dir.join("llvm-config"))),
        ]);
    }
    a.push(d("LLVM_DISTRIBUTION_COMPONENTS", distribution(libraries)));
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn paths() -> LlvmPaths {
        let b = PathBuf::from("/b/llvm");
        LlvmPaths {
            src: b.join("src/llvm-toolchain-22_22.1.8"),
            toolchain_file: crate::paths::repo_root()
                .join("toolchain/cmake/llvm-veridian-x86_64.cmake"),
            sysroot: b.join("sysroot"),
            kernel_headers: b.join("kernel-headers"),
            cxx: b.join("cxx"),
            install: b.join("install"),
        }
    }

    /// Every -D is NAME=value with a CMake identifier, and no name repeats.
    fn well_formed(args: &[String]) {
        let mut seen = HashSet::new();
        for a in args.iter().filter(|a| a.starts_with("-D")) {
            let (name, _) = a[2..]
                .split_once('=')
                .unwrap_or_else(|| panic!("no '=' in {a}"));
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "{a}"
            );
            assert!(seen.insert(name.to_string()), "{name} given twice");
        }
        assert!(args.windows(2).any(|w| w[0] == "-G" && w[1] == "Ninja"));
        assert_eq!(args.iter().filter(|a| *a == "-S").count(), 1);
    }

    fn value<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("-D{name}=")))
    }

    #[test]
    fn runtimes_configuration() {
        let a = runtimes_args(&paths());
        well_formed(&a);
        assert_eq!(
            value(&a, "LLVM_ENABLE_RUNTIMES"),
            Some("libcxx;libcxxabi;libunwind")
        );
        assert_eq!(value(&a, "LIBCXX_HAS_MUSL_LIBC"), Some("ON"));
        assert_eq!(value(&a, "LIBCXX_ENABLE_SHARED"), Some("OFF"));
        assert_eq!(value(&a, "LIBCXXABI_USE_LLVM_UNWINDER"), Some("OFF"));
        assert_eq!(value(&a, "CMAKE_INSTALL_PREFIX"), Some("/b/llvm/cxx"));
        assert!(
            value(&a, "VERIDIAN_CXX_ROOT").is_none(),
            "libc++ cannot use itself"
        );
    }

    #[test]
    fn llvm_configuration() {
        let libs = library_names(
            "libLLVMX86CodeGen.a libLLVMCore.a libPolly.a libLLVMSupport.a libLLVMCore.a",
        );
        assert_eq!(libs, ["LLVMCore", "LLVMSupport", "LLVMX86CodeGen"]);
        let a = llvm_args(
            &paths(),
            Some(Path::new("/usr/lib/llvm-22/bin")),
            Some(&libs),
        );
        well_formed(&a);
        for (k, v) in [
            ("LLVM_TARGETS_TO_BUILD", "X86"),
            ("LLVM_HOST_TRIPLE", TRIPLE),
            ("LLVM_DEFAULT_TARGET_TRIPLE", TRIPLE),
            ("LLVM_ENABLE_ZLIB", "OFF"),
            ("LLVM_ENABLE_ZSTD", "OFF"),
            ("LLVM_ENABLE_LIBXML2", "OFF"),
            ("LLVM_ENABLE_THREADS", "ON"),
            ("LLVM_BUILD_STATIC", "ON"),
            ("LLVM_ENABLE_PROJECTS", "lld;clang"),
            ("CLANG_PLUGIN_SUPPORT", "OFF"),
            ("LLVM_TOOL_LTO_BUILD", "OFF"),
            ("VERIDIAN_CXX_ROOT", "/b/llvm/cxx"),
            ("LLVM_TABLEGEN", "/usr/lib/llvm-22/bin/llvm-tblgen"),
        ] {
            assert_eq!(value(&a, k), Some(v), "{k}");
        }
        let dist: Vec<&str> = value(&a, "LLVM_DISTRIBUTION_COMPONENTS")
            .unwrap()
            .split(';')
            .collect();
        assert_eq!(
            dist,
            [
                "LLVMCore",
                "LLVMSupport",
                "LLVMX86CodeGen",
                "llvm-headers",
                "llvm-config",
                "lld",
                "clang",
                "clang-resource-headers",
                "llvm-ar"
            ]
        );
        let without = llvm_args(&paths(), None, None);
        well_formed(&without);
        assert!(value(&without, "LLVM_TABLEGEN").is_none());
        assert!(value(&without, "LLVM_DISTRIBUTION_COMPONENTS")
            .unwrap()
            .starts_with("llvm-libraries;"));
    }

    #[test]
    fn rustc_targets_install_the_libraries_and_tools_rustc_links() {
        let libs = ["LLVMCore".to_string(), "LLVMSupport".to_string()];
        assert_eq!(
            rustc_install_targets(Some(&libs)),
            [
                "install-LLVMCore",
                "install-LLVMSupport",
                "install-llvm-headers",
                "install-llvm-config",
                "install-lld"
            ]
        );
        let all = rustc_install_targets(None);
        assert_eq!(all[0], "install-llvm-libraries");
        assert!(!all.iter().any(|t| t.contains("clang")));
        // Every component either half installs is a distribution component.
        let dist = distribution(Some(&libs));
        for c in RUSTC_TOOLS.iter().chain(CLANG_TOOLS) {
            assert!(dist.split(';').any(|d| d == *c), "{c}");
        }
    }

    #[test]
    fn toolchain_file_reads_every_variable_we_pass() {
        let text = std::fs::read_to_string(paths().toolchain_file).unwrap();
        for var in [
            "VERIDIAN_SYSROOT",
            "VERIDIAN_KERNEL_HEADERS",
            "VERIDIAN_CXX_ROOT",
        ] {
            assert!(
                text.contains(&format!("${{{var}}}")),
                "{var} unused by the toolchain file"
            );
        }
        assert!(text.contains("CMAKE_TRY_COMPILE_PLATFORM_VARIABLES"));
        // No machine-specific paths in the repository's file.
        assert!(!text.contains("/root") && !text.contains("/home/") && !text.contains("/work/"));
    }
}
