//! A raw futex ping-pong: two threads take turns on one 32-bit word
//! (even values: side 0's turn, odd: side 1's), sleeping in FUTEX_WAIT and
//! waking each other with FUTEX_WAKE. Several pairs run at once.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;

use crate::common::{expect_eq, join_all, Outcome, THREADS, WAIT};
use crate::sys::{futex_wait, futex_wake, Woken};

const ROUNDS: u32 = 1_000;

pub fn ping_pong() -> Outcome {
    let pairs = THREADS / 2;
    let mut handles = Vec::new();
    let mut words = Vec::new();
    for _ in 0..pairs {
        let word = Arc::new(AtomicU32::new(0));
        words.push(Arc::clone(&word));
        for side in 0..2u32 {
            let word = Arc::clone(&word);
            handles.push(thread::spawn(move || play(&word, side)));
        }
    }
    let sleeps: u64 = join_all(handles)?.into_iter().sum();
    for word in &words {
        expect_eq("final word", word.load(Ordering::SeqCst), 2 * ROUNDS)?;
    }
    Ok(format!(
        "{pairs} pairs x {ROUNDS} round trips, {sleeps} FUTEX_WAIT sleeps, no lost wake-up"
    ))
}

/// One side's turns; returns how often it slept in the kernel.
fn play(word: &AtomicU32, side: u32) -> Result<u64, String> {
    let mut sleeps = 0;
    for round in 0..ROUNDS {
        let mine = 2 * round + side;
        loop {
            let seen = word.load(Ordering::SeqCst);
            if seen == mine {
                break;
            }
            if seen > mine {
                return Err(format!("side {side}: word {seen} skipped past {mine}"));
            }
            sleeps += 1;
            match futex_wait(word, seen, WAIT).map_err(|e| format!("FUTEX_WAIT: errno {e}"))? {
                Woken::Yes => {}
                Woken::TimedOut => {
                    let now = word.load(Ordering::SeqCst);
                    return Err(if now == seen {
                        format!("side {side} round {round}: peer made no move in {WAIT:?}")
                    } else {
                        format!(
                            "side {side} round {round}: word changed {seen} -> {now} but FUTEX_WAKE never woke us (lost wake-up)"
                        )
                    });
                }
            }
        }
        word.store(mine + 1, Ordering::SeqCst);
        futex_wake(word, 1).map_err(|e| format!("FUTEX_WAKE: errno {e}"))?;
    }
    Ok(sleeps)
}
