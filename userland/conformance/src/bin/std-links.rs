//! The "std links" self-hosting criterion: a program using println, File and Vec.
use std::fs::File;
use std::io::{Read, Write};

fn main() {
    let path = std::env::temp_dir().join(format!("std-links-{}", std::process::id()));
    let numbers: Vec<u64> = (1..=10).map(|n| n * n).collect();
    let text = numbers
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    File::create(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("write file");
    let mut back = String::new();
    File::open(&path)
        .and_then(|mut f| f.read_to_string(&mut back))
        .expect("read file");
    std::fs::remove_file(&path).expect("remove file");
    assert_eq!(back, text);
    let sum: u64 = back.split(',').map(|n| n.parse::<u64>().unwrap()).sum();
    assert_eq!(sum, 385);
    println!("std links: println, File and Vec work (sum of squares {sum})");
}
