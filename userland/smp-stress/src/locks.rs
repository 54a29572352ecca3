//! std's blocking primitives under contention: a Mutex-guarded counter,
//! Condvar ping-pong, and an mpsc fan-in through a bounded channel.

use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;

use crate::common::{expect_eq, join_all, Outcome, THREADS, WAIT};

const INCREMENTS: u64 = 20_000;
const PING_PONG_ROUNDS: u32 = 400;
const MESSAGES: u32 = 4_000;

/// THREADS threads each add INCREMENTS to one counter under a Mutex.
pub fn mutex_counter() -> Outcome {
    let counter = Arc::new(Mutex::new(0u64));
    let handles = (0..THREADS)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..INCREMENTS {
                    *counter.lock().map_err(|_| "poisoned")? += 1;
                }
                Ok(())
            })
        })
        .collect();
    join_all(handles)?;
    let total = *counter.lock().map_err(|_| "poisoned")?;
    expect_eq("counter", total, THREADS as u64 * INCREMENTS)?;
    Ok(format!("{total} increments from {THREADS} threads"))
}

/// Pairs of threads hand a turn back and forth through a Condvar; a wait
/// that times out while it is the waiter's turn is a lost wake-up.
pub fn condvar_ping_pong() -> Outcome {
    let pairs = THREADS / 2;
    let mut handles = Vec::new();
    for _ in 0..pairs {
        let shared = Arc::new((Mutex::new(0u32), Condvar::new()));
        for side in 0..2u32 {
            let shared = Arc::clone(&shared);
            handles.push(thread::spawn(move || -> Result<(), String> {
                let (turn, cv) = &*shared;
                for round in 0..PING_PONG_ROUNDS {
                    let mine = 2 * round + side;
                    let guard = turn.lock().map_err(|_| "poisoned")?;
                    let (mut guard, timeout) = cv
                        .wait_timeout_while(guard, WAIT, |t| *t != mine)
                        .map_err(|_| "poisoned")?;
                    if timeout.timed_out() {
                        return Err(format!(
                            "side {side} round {round}: no turn within {WAIT:?} (turn is {}; lost wake-up)",
                            *guard
                        ));
                    }
                    *guard += 1;
                    cv.notify_all();
                }
                Ok(())
            }));
        }
    }
    join_all(handles)?;
    Ok(format!(
        "{pairs} pairs x {PING_PONG_ROUNDS} round trips, no lost wake-up"
    ))
}

/// THREADS producers send numbered messages into one bounded channel; the
/// receiver checks every producer's sequence arrives complete and in order.
pub fn mpsc_fan_in() -> Outcome {
    let (tx, rx) = mpsc::sync_channel::<(usize, u32)>(16);
    let handles: Vec<_> = (0..THREADS)
        .map(|id| {
            let tx = tx.clone();
            thread::spawn(move || -> Result<(), String> {
                for seq in 0..MESSAGES {
                    tx.send((id, seq)).map_err(|_| "receiver gone")?;
                }
                Ok(())
            })
        })
        .collect();
    drop(tx);
    let mut next = [0u32; THREADS];
    let total = THREADS as u32 * MESSAGES;
    for received in 0..total {
        let (id, seq) = rx
            .recv_timeout(WAIT)
            .map_err(|e| format!("message {received} of {total}: {e} (lost wake-up?)"))?;
        expect_eq(&format!("producer {id}'s next message"), seq, next[id])?;
        next[id] += 1;
    }
    join_all(handles)?;
    if rx.recv_timeout(WAIT).is_ok() {
        return Err("a message beyond the count".into());
    }
    Ok(format!(
        "{total} messages from {THREADS} producers, each in order"
    ))
}
