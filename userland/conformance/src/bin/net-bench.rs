//! TCP echo benchmark over 127.0.0.1, one process: a server thread and a
//! client thread. Round trips of 64 bytes (mean latency), then a bulk
//! transfer (throughput, counted when the server has every byte and says
//! so). Prints `NETBENCH rtt_us=<mean> bulk_mib_s=<rate>`.
//!
//! `NETBENCH_ROUNDS` (default 10000) and `NETBENCH_MIB` (default 100)
//! shrink the run for slow machines; the figures say what was measured.
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Instant;

const MSG: usize = 64;
const CHUNK: usize = 64 * 1024;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Echoes fixed-size messages until the client closes.
fn echo(mut conn: TcpStream) {
    let mut buf = [0u8; MSG];
    loop {
        match conn.read_exact(&mut buf) {
            Ok(()) => conn.write_all(&buf).expect("echo write"),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return,
            Err(e) => panic!("echo read: {e}"),
        }
    }
}

/// Reads until EOF, checking the byte pattern, then reports the count.
fn sink(mut conn: TcpStream) {
    let pat = pattern();
    let mut buf = vec![0u8; CHUNK];
    let mut total: u64 = 0;
    loop {
        let n = conn.read(&mut buf).expect("bulk read");
        if n == 0 {
            break;
        }
        let off = (total % PERIOD) as usize;
        assert!(
            buf[..n] == pat[off..off + n],
            "corrupted bytes after offset {total}"
        );
        total += n as u64;
    }
    conn.write_all(&total.to_le_bytes()).expect("bulk ack");
}

/// Bulk bytes are `offset % PERIOD`: any loss, reordering or duplication
/// shows up. `pattern()[o..o + n]` is the stream at an offset `≡ o`.
const PERIOD: u64 = 251;

fn pattern() -> Vec<u8> {
    (0..CHUNK as u64 + PERIOD)
        .map(|i| (i % PERIOD) as u8)
        .collect()
}

fn main() {
    let rounds = env_or("NETBENCH_ROUNDS", 10_000).max(1);
    let mib = env_or("NETBENCH_MIB", 100).max(1);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    let server = thread::spawn(move || {
        let (c, _) = listener.accept().expect("accept echo");
        c.set_nodelay(true).expect("nodelay");
        echo(c);
        let (c, _) = listener.accept().expect("accept bulk");
        sink(c);
    });

    let client = thread::spawn(move || {
        let mut c = TcpStream::connect(addr).expect("connect echo");
        c.set_nodelay(true).expect("nodelay");
        let mut msg = [0u8; MSG];
        let mut back = [0u8; MSG];
        let start = Instant::now();
        for r in 0..rounds {
            msg.fill(r as u8);
            c.write_all(&msg).expect("rtt write");
            c.read_exact(&mut back).expect("rtt read");
            assert_eq!(back, msg, "round {r} echoed wrong bytes");
        }
        let rtt_us = start.elapsed().as_secs_f64() * 1e6 / rounds as f64;
        drop(c);

        let mut c = TcpStream::connect(addr).expect("connect bulk");
        let total = mib * 1024 * 1024;
        let pat = pattern();
        let start = Instant::now();
        let mut sent = 0u64;
        while sent < total {
            let n = (total - sent).min(CHUNK as u64) as usize;
            let off = (sent % PERIOD) as usize;
            c.write_all(&pat[off..off + n]).expect("bulk write");
            sent += n as u64;
        }
        c.shutdown(std::net::Shutdown::Write).expect("shutdown");
        let mut ack = [0u8; 8];
        c.read_exact(&mut ack).expect("bulk ack");
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(
            u64::from_le_bytes(ack),
            total,
            "server received a different count"
        );
        (rtt_us, mib as f64 / secs)
    });
    let (rtt_us, rate) = client.join().expect("client thread");
    server.join().expect("server thread");
    println!("NETBENCH rtt_us={rtt_us:.1} bulk_mib_s={rate:.1} rounds={rounds} mib={mib}");
}
