//! Debian source packages through apt: a `deb-src` entry of our own for the
//! suites the machine already uses, `apt-get source --download-only`, and a
//! check of every file against the SHA-256 in apt's signed index.
//!
//! Debian's security archive lists some source files (e.g. the LLVM 22 orig
//! tarball) that its mirror does not serve, while the main archive's pool
//! does. When apt cannot fetch a file, it is fetched from the same Debian
//! mirror's main pool instead and accepted only if its SHA-256 matches.

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::run;

/// Our own apt source file (deb822).
pub const SOURCES_FILE: &str = "/etc/apt/sources.list.d/veridian-deb-src.sources";

/// One `deb` stanza of the machine's apt configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub uris: String,
    pub suites: String,
    pub components: String,
    pub signed_by: Option<String>,
}

/// The `Types: deb` stanzas of a deb822 `.sources` file.
pub fn deb_entries_deb822(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let field = |name: &str| {
            stanza.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim().to_string())
            })
        };
        let enabled = field("Enabled").map(|v| v != "no").unwrap_or(true);
        let is_deb = field("Types").is_some_and(|t| t.split_whitespace().any(|t| t == "deb"));
        if let (true, true, Some(uris), Some(suites), Some(components)) = (
            enabled,
            is_deb,
            field("URIs"),
            field("Suites"),
            field("Components"),
        ) {
            out.push(Entry {
                uris,
                suites,
                components,
                signed_by: field("Signed-By"),
            });
        }
    }
    out
}

/// The `deb` lines of a one-line-style `sources.list`.
pub fn deb_entries_list(text: &str) -> Vec<Entry> {
    text.lines()
        .filter_map(|line| {
            let line = line.split('#').next()?.trim();
            let rest = line.strip_prefix("deb ")?.trim();
            let mut words = rest.split_whitespace().peekable();
            let mut signed_by = None;
            if words.peek()?.starts_with('[') {
                let mut opts = String::new();
                for w in words.by_ref() {
                    opts.push_str(w);
                    opts.push(' ');
                    if w.ends_with(']') {
                        break;
                    }
                }
                signed_by = opts
                    .trim_matches(|c| c == '[' || c == ']' || c == ' ')
                    .split_whitespace()
                    .find_map(|o| o.strip_prefix("signed-by=").map(str::to_string));
            }
            let uri = words.next()?.to_string();
            let suite = words.next()?.to_string();
            let components: Vec<&str> = words.collect();
            Some(Entry {
                uris: uri,
                suites: suite,
                components: components.join(" "),
                signed_by,
            })
        })
        .collect()
}

/// The deb822 text of `deb-src` stanzas mirroring `entries` (Debian ones only:
/// the project uses nothing but Debian's registry).
pub fn render_deb_src(entries: &[Entry]) -> String {
    let mut out = String::from(
        "# Written by `cargo xtask llvm` (Rust on VeridianOS): source packages for the\n\
         # suites the machine already installs from.\n",
    );
    for e in entries.iter().filter(|e| e.uris.contains("debian.org")) {
        out.push_str(&format!(
            "\nTypes: deb-src\nURIs: {}\nSuites: {}\nComponents: {}\n",
            e.uris, e.suites, e.components
        ));
        if let Some(key) = &e.signed_by {
            out.push_str(&format!("Signed-By: {key}\n"));
        }
    }
    out
}

/// Writes [`SOURCES_FILE`] (and runs `apt-get update`) unless it is current.
pub fn ensure_deb_src() -> Result<()> {
    let mut entries = Vec::new();
    if let Ok(text) = fs::read_to_string("/etc/apt/sources.list") {
        entries.extend(deb_entries_list(&text));
    }
    let dir = Path::new("/etc/apt/sources.list.d");
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    for f in files {
        if f == Path::new(SOURCES_FILE) {
            continue;
        }
        let text = fs::read_to_string(&f).unwrap_or_default();
        match f.extension().and_then(|e| e.to_str()) {
            Some("sources") => entries.extend(deb_entries_deb822(&text)),
            Some("list") => entries.extend(deb_entries_list(&text)),
            _ => {}
        }
    }
    let wanted = render_deb_src(&entries);
    if !wanted.contains("deb-src") {
        bail!("found no Debian `deb` entries in /etc/apt to mirror as deb-src");
    }
    if fs::read_to_string(SOURCES_FILE).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    fs::write(SOURCES_FILE, &wanted)
        .with_context(|| format!("cannot write {SOURCES_FILE} (root needed)"))?;
    println!("  apt: wrote {SOURCES_FILE}; apt-get update");
    run::output(Command::new("apt-get").args(["update", "-qq"]))?;
    Ok(())
}

/// A source package version as apt knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    pub version: String,
    pub directory: String,
    /// (file name, size, sha256)
    pub files: Vec<(String, u64, String)>,
}

/// Parses `apt-cache showsrc` output into its records.
pub fn parse_showsrc(text: &str) -> Vec<SourceRecord> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n").filter(|s| !s.trim().is_empty()) {
        let mut rec = SourceRecord {
            version: String::new(),
            directory: String::new(),
            files: Vec::new(),
        };
        let mut in_sha = false;
        for line in stanza.lines() {
            if let Some(v) = line.strip_prefix("Version:") {
                rec.version = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("Directory:") {
                rec.directory = v.trim().to_string();
            }
            if line.starts_with(' ') && in_sha {
                let parts: Vec<&str> = line.split_whitespace().collect();
                if let [sha, size, name] = parts[..] {
                    rec.files
                        .push((name.to_string(), size.parse().unwrap_or(0), sha.to_string()));
                }
                continue;
            }
            in_sha = line.starts_with("Checksums-Sha256:");
        }
        if !rec.version.is_empty() {
            out.push(rec);
        }
    }
    out
}

/// The upstream part of a Debian version ("1:22.1.8-1~deb12u1" → "22.1.8").
pub fn upstream_version(debian_version: &str) -> &str {
    let no_epoch = debian_version
        .split_once(':')
        .map(|(_, v)| v)
        .unwrap_or(debian_version);
    no_epoch
        .rsplit_once('-')
        .map(|(v, _)| v)
        .unwrap_or(no_epoch)
}

/// Downloads the files of `package` at upstream version `upstream` whose
/// names end with `suffix` (e.g. ".orig.tar.xz") into `dir`, each checked
/// against apt's SHA-256. Returns the record used.
pub fn download(package: &str, upstream: &str, suffix: &str, dir: &Path) -> Result<SourceRecord> {
    ensure_deb_src()?;
    let text = run::output(Command::new("apt-cache").args(["showsrc", package]))?;
    let rec = parse_showsrc(&text)
        .into_iter()
        .find(|r| upstream_version(&r.version) == upstream)
        .with_context(|| format!("apt knows no source of {package} {upstream}"))?;
    fs::create_dir_all(dir)?;
    let wanted: Vec<&(String, u64, String)> = rec
        .files
        .iter()
        .filter(|(n, _, _)| n.ends_with(suffix))
        .collect();
    if wanted.is_empty() {
        bail!("{package} {upstream} has no *{suffix} file");
    }
    if wanted
        .iter()
        .all(|(name, _, sha)| sha256_file(&dir.join(name)).ok().as_deref() == Some(sha.as_str()))
    {
        return Ok(rec);
    }
    // apt first; it may leave some files missing (see the module comment).
    let _ = Command::new("apt-get")
        .args(["source", "--download-only", "-qq"])
        .arg(format!("{package}={}", rec.version))
        .current_dir(dir)
        .output();
    for (name, _, sha) in wanted.iter().copied() {
        let path = dir.join(name);
        if sha256_file(&path).ok().as_deref() == Some(sha.as_str()) {
            continue;
        }
        fetch_from_pool(&rec, name, &path)?;
        let got = sha256_file(&path)?;
        if &got != sha {
            let _ = fs::remove_file(&path);
            bail!("{name}: SHA-256 {got} does not match apt's {sha}");
        }
    }
    Ok(rec)
}

/// The mirror URLs a pool file may be at: the record's own directory on each
/// Debian mirror we configured, and the main archive's pool.
pub fn candidate_urls(mirrors: &[String], directory: &str, name: &str) -> Vec<String> {
    let main_dir = directory.replacen("pool/updates/", "pool/", 1);
    let mut out = Vec::new();
    for m in mirrors {
        let base = m.trim_end_matches('/');
        for d in [directory, main_dir.as_str()] {
            let url = format!("{base}/{d}/{name}");
            if !out.contains(&url) {
                out.push(url);
            }
        }
    }
    // The main archive on the same host as the security one.
    for m in mirrors {
        if let Some(main) = m
            .strip_suffix("-security")
            .or_else(|| m.strip_suffix("-security/"))
        {
            let url = format!("{}/{main_dir}/{name}", main.trim_end_matches('/'));
            if !out.contains(&url) {
                out.push(url);
            }
        }
    }
    out
}

fn fetch_from_pool(rec: &SourceRecord, name: &str, dest: &Path) -> Result<()> {
    let text = fs::read_to_string(SOURCES_FILE).unwrap_or_default();
    let mirrors: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("URIs:"))
        .flat_map(|v| v.split_whitespace().map(str::to_string))
        .collect();
    let part = dest.with_extension("part");
    for url in candidate_urls(&mirrors, &rec.directory, name) {
        let status = Command::new("curl")
            .args(["-fsSL", "--retry", "3", "-o"])
            .arg(&part)
            .arg(&url)
            .status()
            .context("cannot run curl")?;
        if status.success() {
            fs::rename(&part, dest)?;
            println!("  fetched {name} from {url}");
            return Ok(());
        }
    }
    let _ = fs::remove_file(&part);
    bail!(
        "no Debian mirror served {name} (directory {})",
        rec.directory
    )
}

/// Hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MACHINE: &str = "Types: deb\n# snapshot\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";

    #[test]
    fn deb_src_mirrors_every_debian_suite() {
        let entries = deb_entries_deb822(MACHINE);
        assert_eq!(entries.len(), 2);
        let text = render_deb_src(&entries);
        assert_eq!(text.matches("Types: deb-src").count(), 2);
        assert!(text.contains("Suites: bookworm bookworm-updates\n"));
        assert!(
            text.contains("URIs: http://deb.debian.org/debian-security\nSuites: bookworm-security")
        );
        assert!(text.contains("Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"));
        // deb822 round trip: our own file parses as deb-src, not deb.
        assert!(deb_entries_deb822(&text).is_empty());
    }

    #[test]
    fn one_line_lists_and_foreign_registries() {
        let list = "deb [arch=amd64 signed-by=/k.gpg] http://deb.debian.org/debian bookworm main contrib\n\
                    # deb http://old bookworm main\ndeb https://packages.cloud.google.com/apt cloud-sdk main\n";
        let e = deb_entries_list(list);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].components, "main contrib");
        assert_eq!(e[0].signed_by.as_deref(), Some("/k.gpg"));
        let text = render_deb_src(&e);
        assert_eq!(
            text.matches("Types: deb-src").count(),
            1,
            "only Debian's registry: {text}"
        );
    }

    #[test]
    fn showsrc_records_and_versions() {
        let text = "Package: llvm-toolchain-22\nVersion: 1:22.1.8-1~deb12u1\nChecksums-Sha256:\n aa 13628 x.dsc\n bb 196630560 x.orig.tar.xz\nHomepage: h\nDirectory: pool/updates/main/l/llvm-toolchain-22\n\nPackage: llvm-toolchain-22\nVersion: 1:22.1.0-1\nDirectory: pool/main/l/llvm-toolchain-22\n";
        let recs = parse_showsrc(text);
        assert_eq!(recs.len(), 2);
        assert_eq!(
            recs[0].files,
            vec![
                ("x.dsc".into(), 13628, "aa".into()),
                ("x.orig.tar.xz".into(), 196630560, "bb".into())
            ]
        );
        assert_eq!(recs[0].directory, "pool/updates/main/l/llvm-toolchain-22");
        assert_eq!(upstream_version(&recs[0].version), "22.1.8");
        assert_eq!(upstream_version("1.96.0+dfsg1-1~deb12u2"), "1.96.0+dfsg1");
        assert_eq!(upstream_version("3.25.1"), "3.25.1");
    }

    #[test]
    fn pool_fallback_urls_include_the_main_archive() {
        let mirrors = vec![
            "http://deb.debian.org/debian".to_string(),
            "http://deb.debian.org/debian-security".to_string(),
        ];
        let urls = candidate_urls(
            &mirrors,
            "pool/updates/main/l/llvm-toolchain-22",
            "f.tar.xz",
        );
        assert!(urls.contains(
            &"http://deb.debian.org/debian/pool/main/l/llvm-toolchain-22/f.tar.xz".to_string()
        ));
        assert!(urls.contains(
            &"http://deb.debian.org/debian-security/pool/updates/main/l/llvm-toolchain-22/f.tar.xz"
                .to_string()
        ));
    }
}
