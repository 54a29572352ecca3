//! A small library with tests, for checking `cargo +veridian test`.

/// Sums the squares of `1..=n`.
pub fn sum_of_squares(n: u64) -> u64 {
    (1..=n).map(|i| i * i).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_sums() {
        assert_eq!(sum_of_squares(0), 0);
        assert_eq!(sum_of_squares(10), 385);
    }

    #[test]
    fn files_in_temp_dir() {
        let path = std::env::temp_dir().join(format!("test-sample-{}", std::process::id()));
        std::fs::write(&path, b"written by a test").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"written by a test");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn threads() {
        let handles: Vec<_> = (1..=4u64)
            .map(|n| std::thread::spawn(move || sum_of_squares(n)))
            .collect();
        let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total, 1 + 5 + 14 + 30);
    }

    #[cfg(feature = "failing")]
    #[test]
    fn deliberately_wrong() {
        assert_eq!(sum_of_squares(3), 15, "1 + 4 + 9 is 14");
    }
}
