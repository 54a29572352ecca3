//! Writes the seed corpus for the `image` target: small valid images.
//!
//! ```text
//! cargo run --manifest-path fs/blockfs/fuzz/Cargo.toml --example make-corpus -- fs/blockfs/fuzz/corpus/image
//! ```

#[path = "../../tests/common/exercise.rs"]
#[allow(dead_code)]
mod exercise;

use blockfs::{FileSystem, FormatOptions, MemDevice};

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "corpus/image".into());
    std::fs::create_dir_all(&dir)?;
    let empty = FormatOptions {
        inode_count: Some(42),
        ..Default::default()
    };
    let fresh = FileSystem::format(MemDevice::new(8), &empty).and_then(|fs| fs.unmount());
    let fresh = fresh
        .map_err(|e| std::io::Error::other(e.to_string()))?
        .into_vec();
    std::fs::write(format!("{dir}/empty-8-blocks"), fresh)?;
    std::fs::write(
        format!("{dir}/sample-40-blocks"),
        exercise::sample_image(40),
    )?;
    println!("seed corpus written to {dir}");
    Ok(())
}
