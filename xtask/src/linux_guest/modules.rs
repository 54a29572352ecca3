//! The kernel modules the Linux guest needs to use a virtio disk holding
//! ext4. Debian builds all of them as modules (`CONFIG_VIRTIO_PCI`,
//! `CONFIG_VIRTIO_BLK` and `CONFIG_EXT4_FS` are `m`), so the guest's init
//! loads them itself, in the order this file works out from each module's
//! own `depends=` entry (its ELF `.modinfo` section).

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The modules asked for by name; their dependencies are found, not listed.
/// `crc32c_generic` is there because ext4 and jbd2 look the checksum up
/// through the crypto API at mount time (a module load request a bare
/// initramfs cannot answer), not through `depends=`.
pub const WANTED: &[&str] = &["virtio_pci", "virtio_blk", "crc32c_generic", "ext4"];

/// Where in the package (relative to `lib/modules/<version>/kernel/`,
/// `*` not crossing a `/`) [`WANTED`] and everything it depends on lie in
/// Debian's 6.x kernels: about 120 files, 11 MiB.
pub const PATTERNS: &[&str] = &[
    "drivers/virtio/*.ko",
    "drivers/block/*.ko",
    "fs/*.ko",
    "fs/ext4/*.ko",
    "fs/jbd2/*.ko",
    "lib/*.ko",
    "crypto/*.ko",
];

/// A module's name as the kernel spells it: the file name without `.ko`,
/// with `-` read as `_` (`crc32c-intel.ko` is `crc32c_intel`).
pub fn module_name(file: &Path) -> Option<String> {
    let name = file.file_name()?.to_str()?.strip_suffix(".ko")?;
    Some(name.replace('-', "_"))
}

/// The names in a module's `depends=` entry (none when it has no entry or
/// an empty one).
pub fn depends(module: &[u8]) -> Result<Vec<String>> {
    let elf = goblin::elf::Elf::parse(module).context("not an ELF module")?;
    let section = elf
        .section_headers
        .iter()
        .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".modinfo"))
        .context("the module has no .modinfo section")?;
    let start = usize::try_from(section.sh_offset)?;
    let end = start
        .checked_add(usize::try_from(section.sh_size)?)
        .filter(|&end| end <= module.len())
        .context(".modinfo lies outside the file")?;
    let found = module[start..end]
        .split(|&b| b == 0)
        .filter_map(|entry| entry.strip_prefix(b"depends="))
        .next()
        .unwrap_or_default();
    Ok(std::str::from_utf8(found)
        .context("depends= is not UTF-8")?
        .split(',')
        .filter(|d| !d.is_empty())
        .map(|d| d.replace('-', "_"))
        .collect())
}

/// `wanted` and everything it depends on, dependencies first, each once.
/// `depends_of` answers for one module; a module it cannot find is an
/// error naming who needed it.
pub fn load_order(
    wanted: &[&str],
    mut depends_of: impl FnMut(&str) -> Result<Vec<String>>,
) -> Result<Vec<String>> {
    enum Mark {
        Visiting,
        Done,
    }
    fn visit(
        name: &str,
        marks: &mut BTreeMap<String, Mark>,
        order: &mut Vec<String>,
        depends_of: &mut dyn FnMut(&str) -> Result<Vec<String>>,
    ) -> Result<()> {
        match marks.get(name) {
            Some(Mark::Done) => return Ok(()),
            Some(Mark::Visiting) => bail!("modules depend on each other in a loop through {name}"),
            None => {}
        }
        marks.insert(name.to_string(), Mark::Visiting);
        for dep in depends_of(name)? {
            visit(&dep, marks, order, depends_of)
                .with_context(|| format!("needed by module {name}"))?;
        }
        marks.insert(name.to_string(), Mark::Done);
        order.push(name.to_string());
        Ok(())
    }
    let mut marks = BTreeMap::new();
    let mut order = Vec::new();
    for name in wanted {
        visit(name, &mut marks, &mut order, &mut depends_of)?;
    }
    Ok(order)
}

/// [`load_order`] over a folder tree of `.ko` files: the files to load, in order.
pub fn resolve(tree: &Path) -> Result<Vec<PathBuf>> {
    let mut by_name = BTreeMap::new();
    for entry in walkdir(tree)? {
        if let Some(name) = module_name(&entry) {
            by_name.insert(name, entry);
        }
    }
    let order = load_order(WANTED, |name| {
        let file = by_name
            .get(name)
            .with_context(|| format!("module {name} is not in the kernel package"))?;
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        depends(&bytes).with_context(|| format!("in {}", file.display()))
    })?;
    Ok(order.iter().map(|n| by_name[n].clone()).collect())
}

fn walkdir(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in
            std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph<'a>(
        edges: &'a [(&'a str, &'a [&'a str])],
    ) -> impl FnMut(&str) -> Result<Vec<String>> + 'a {
        move |name| {
            edges
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, deps)| deps.iter().map(|d| d.to_string()).collect())
                .with_context(|| format!("module {name} is not in the kernel package"))
        }
    }

    #[test]
    fn dependencies_load_first_and_once() {
        let edges: &[(&str, &[&str])] = &[
            ("virtio_blk", &["virtio", "virtio_ring"]),
            (
                "virtio_pci",
                &["virtio_pci_modern_dev", "virtio", "virtio_ring"],
            ),
            ("virtio", &[]),
            ("virtio_ring", &["virtio"]),
            ("virtio_pci_modern_dev", &[]),
        ];
        let order = load_order(&["virtio_pci", "virtio_blk"], graph(edges)).unwrap();
        assert_eq!(
            order,
            [
                "virtio_pci_modern_dev",
                "virtio",
                "virtio_ring",
                "virtio_pci",
                "virtio_blk"
            ]
        );
    }

    #[test]
    fn a_missing_module_names_who_needed_it() {
        let edges: &[(&str, &[&str])] = &[("ext4", &["jbd2"])];
        let err = load_order(&["ext4"], graph(edges)).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("module jbd2 is not in the kernel package"),
            "{text}"
        );
        assert!(text.contains("needed by module ext4"), "{text}");
    }

    #[test]
    fn a_dependency_loop_is_an_error() {
        let edges: &[(&str, &[&str])] = &[("a", &["b"]), ("b", &["a"])];
        let err = load_order(&["a"], graph(edges)).unwrap_err();
        assert!(format!("{err:#}").contains("loop"));
    }

    #[test]
    fn names_read_dashes_as_underscores() {
        assert_eq!(
            module_name(Path::new("x/crc32c-intel.ko")).as_deref(),
            Some("crc32c_intel")
        );
        assert_eq!(module_name(Path::new("x/modules.order")), None);
    }

    #[test]
    fn depends_come_from_the_modinfo_section() {
        let module = elf_with_modinfo(b"license=GPL\0depends=virtio,virtio-ring\0name=x\0");
        assert_eq!(depends(&module).unwrap(), ["virtio", "virtio_ring"]);
        let module = elf_with_modinfo(b"depends=\0");
        assert!(depends(&module).unwrap().is_empty());
        assert!(depends(b"not an elf").is_err());
    }

    /// A minimal ELF64 relocatable file: a null section, `.modinfo` with
    /// `info`, and the section-name table.
    fn elf_with_modinfo(info: &[u8]) -> Vec<u8> {
        let names = b"\0.modinfo\0.shstrtab\0";
        let info_off = 64usize;
        let names_off = info_off + info.len();
        let sh_off = (names_off + names.len()).next_multiple_of(8);
        let mut f = vec![0u8; sh_off];
        f[..4].copy_from_slice(b"\x7fELF");
        f[4] = 2; // 64-bit
        f[5] = 1; // little-endian
        f[6] = 1; // version
        f[16..18].copy_from_slice(&1u16.to_le_bytes()); // ET_REL
        f[18..20].copy_from_slice(&62u16.to_le_bytes()); // x86-64
        f[20..24].copy_from_slice(&1u32.to_le_bytes());
        f[40..48].copy_from_slice(&(sh_off as u64).to_le_bytes());
        f[52..54].copy_from_slice(&64u16.to_le_bytes()); // ehsize
        f[58..60].copy_from_slice(&64u16.to_le_bytes()); // shentsize
        f[60..62].copy_from_slice(&3u16.to_le_bytes()); // shnum
        f[62..64].copy_from_slice(&2u16.to_le_bytes()); // shstrndx
        f[info_off..names_off].copy_from_slice(info);
        f[names_off..names_off + names.len()].copy_from_slice(names);
        let section = |name: u32, kind: u32, off: usize, size: usize| {
            let mut s = [0u8; 64];
            s[0..4].copy_from_slice(&name.to_le_bytes());
            s[4..8].copy_from_slice(&kind.to_le_bytes());
            s[24..32].copy_from_slice(&(off as u64).to_le_bytes());
            s[32..40].copy_from_slice(&(size as u64).to_le_bytes());
            s[48..56].copy_from_slice(&1u64.to_le_bytes());
            s
        };
        f.extend_from_slice(&[0u8; 64]);
        f.extend_from_slice(&section(1, 1, info_off, info.len()));
        f.extend_from_slice(&section(10, 3, names_off, names.len()));
        f
    }
}
