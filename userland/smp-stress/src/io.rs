//! Data between threads through the kernel: a token passed around a ring of
//! pipes, bulk streams through pipes, and socketpair ping-pong. Every
//! blocking read is bounded (poll, or SO_RCVTIMEO), so a lost wake-up is
//! reported instead of hanging.

use std::io::{pipe, PipeReader, PipeWriter, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::thread;

use crate::common::{expect_eq, join_all, Outcome, THREADS, WAIT};
use crate::sys::readable_within;

const RING_LAPS: u64 = 300;
const BULK_BYTES: usize = 1 << 20;
const SOCKET_ROUNDS: u32 = 500;

/// Reads exactly `buf.len()` bytes, each read preceded by a bounded poll.
fn read_bounded(r: &mut impl ReadFd, buf: &mut [u8], what: &str) -> Result<(), String> {
    let mut got = 0;
    while got < buf.len() {
        if !readable_within(r.fd(), WAIT).map_err(|e| format!("{what}: poll errno {e}"))? {
            return Err(format!(
                "{what}: nothing to read for {WAIT:?} after {got} of {} bytes (lost wake-up?)",
                buf.len()
            ));
        }
        match r.read(&mut buf[got..]) {
            Ok(0) => return Err(format!("{what}: end of file after {got} bytes")),
            Ok(n) => got += n,
            Err(e) => return Err(format!("{what}: {e}")),
        }
    }
    Ok(())
}

/// A readable descriptor.
trait ReadFd: Read {
    fn fd(&self) -> i32;
}

impl ReadFd for PipeReader {
    fn fd(&self) -> i32 {
        self.as_raw_fd()
    }
}

/// THREADS threads in a ring, thread i reading pipe i and writing pipe
/// i+1; a counter goes round RING_LAPS times, each hop adding one.
pub fn pipe_ring() -> Outcome {
    let mut readers = Vec::new();
    let mut writers = Vec::new();
    for _ in 0..THREADS {
        let (r, w) = pipe().map_err(|e| format!("pipe: {e}"))?;
        readers.push(r);
        writers.push(w);
    }
    writers.rotate_left(1);
    let hops = RING_LAPS * THREADS as u64;
    let handles = readers
        .into_iter()
        .zip(writers)
        .enumerate()
        .map(|(i, (r, w))| thread::spawn(move || ring_member(i as u64, r, w, hops)))
        .collect();
    join_all(handles)?;
    Ok(format!(
        "{RING_LAPS} laps of a {THREADS}-thread pipe ring, every hop counted"
    ))
}

fn ring_member(i: u64, mut r: PipeReader, mut w: PipeWriter, hops: u64) -> Result<(), String> {
    let threads = THREADS as u64;
    if i == 0 {
        w.write_all(&1u64.to_le_bytes())
            .map_err(|e| e.to_string())?;
    }
    // Thread i sees the values i+1, i+1+THREADS, … (thread 0 sees the
    // value after each lap); the last one (value `hops`) ends the ring.
    let mut expect = if i == 0 { threads } else { i };
    while expect <= hops {
        let mut buf = [0u8; 8];
        read_bounded(&mut r, &mut buf, &format!("ring thread {i}"))?;
        expect_eq(&format!("ring thread {i}"), u64::from_le_bytes(buf), expect)?;
        if expect < hops {
            w.write_all(&(expect + 1).to_le_bytes())
                .map_err(|e| e.to_string())?;
        }
        expect += threads;
    }
    Ok(())
}

/// The byte at `offset` of stream `stream`.
fn pattern(stream: usize, offset: usize) -> u8 {
    (offset.wrapping_mul(31) ^ (offset >> 9) ^ stream) as u8
}

/// THREADS/2 writer/reader pairs stream BULK_BYTES each through a pipe in
/// uneven chunks; the reader checks every byte.
pub fn pipe_bulk() -> Outcome {
    let mut handles = Vec::new();
    for stream in 0..THREADS / 2 {
        let (mut r, mut w) = pipe().map_err(|e| format!("pipe: {e}"))?;
        handles.push(thread::spawn(move || -> Result<(), String> {
            let mut offset = 0;
            let mut chunk = 1;
            while offset < BULK_BYTES {
                let n = chunk.min(BULK_BYTES - offset);
                let data: Vec<u8> = (offset..offset + n).map(|o| pattern(stream, o)).collect();
                w.write_all(&data).map_err(|e| e.to_string())?;
                offset += n;
                chunk = chunk * 7 % 10_007 + 1;
            }
            Ok(())
        }));
        handles.push(thread::spawn(move || -> Result<(), String> {
            let mut buf = vec![0u8; 4096];
            let mut offset = 0;
            while offset < BULK_BYTES {
                let n = buf.len().min(BULK_BYTES - offset);
                read_bounded(&mut r, &mut buf[..n], &format!("stream {stream}"))?;
                if let Some(bad) = (0..n).find(|&k| buf[k] != pattern(stream, offset + k)) {
                    return Err(format!("stream {stream}: wrong byte at {}", offset + bad));
                }
                offset += n;
            }
            let mut rest = [0u8; 1];
            if !readable_within(r.as_raw_fd(), WAIT).map_err(|e| format!("poll errno {e}"))? {
                return Err(format!("stream {stream}: no end of file within {WAIT:?}"));
            }
            match r.read(&mut rest) {
                Ok(0) => Ok(()),
                other => Err(format!("stream {stream}: data after the end: {other:?}")),
            }
        }));
    }
    join_all(handles)?;
    Ok(format!(
        "{} streams x {} KiB, every byte checked",
        THREADS / 2,
        BULK_BYTES >> 10
    ))
}

/// THREADS/2 UNIX socket pairs: a message and its echo SOCKET_ROUNDS times
/// each, reads bounded by SO_RCVTIMEO.
pub fn socketpair_ping_pong() -> Outcome {
    let mut handles = Vec::new();
    for pair in 0..THREADS / 2 {
        let (a, b) = UnixStream::pair().map_err(|e| format!("socketpair: {e}"))?;
        for s in [&a, &b] {
            s.set_read_timeout(Some(WAIT))
                .map_err(|e| format!("SO_RCVTIMEO: {e}"))?;
        }
        handles.push(thread::spawn(move || ping(pair, a)));
        handles.push(thread::spawn(move || echo(pair, b)));
    }
    join_all(handles)?;
    Ok(format!(
        "{} pairs x {SOCKET_ROUNDS} round trips, every message checked",
        THREADS / 2
    ))
}

fn message(pair: usize, round: u32) -> [u8; 64] {
    let mut m = [0u8; 64];
    for (k, byte) in m.iter_mut().enumerate() {
        *byte = (pair as u32 * 131 + round * 7 + k as u32) as u8;
    }
    m
}

fn recv_exact(s: &mut UnixStream, buf: &mut [u8], what: &str) -> Result<(), String> {
    s.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            format!("{what}: nothing for {WAIT:?} (lost wake-up?)")
        }
        _ => format!("{what}: {e}"),
    })
}

fn ping(pair: usize, mut s: UnixStream) -> Result<(), String> {
    for round in 0..SOCKET_ROUNDS {
        let sent = message(pair, round);
        s.write_all(&sent).map_err(|e| e.to_string())?;
        let mut back = [0u8; 64];
        recv_exact(
            &mut s,
            &mut back,
            &format!("pair {pair} round {round} echo"),
        )?;
        if back.iter().zip(&sent).any(|(b, s)| *b != !*s) {
            return Err(format!("pair {pair} round {round}: wrong echo"));
        }
    }
    Ok(())
}

fn echo(pair: usize, mut s: UnixStream) -> Result<(), String> {
    for round in 0..SOCKET_ROUNDS {
        let mut got = [0u8; 64];
        recv_exact(&mut s, &mut got, &format!("pair {pair} round {round}"))?;
        if got != message(pair, round) {
            return Err(format!("pair {pair} round {round}: wrong message"));
        }
        let back: Vec<u8> = got.iter().map(|b| !b).collect();
        s.write_all(&back).map_err(|e| e.to_string())?;
    }
    Ok(())
}
