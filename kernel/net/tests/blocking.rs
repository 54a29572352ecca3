//! The blocking model as a kernel would build it: the stack behind a
//! lock, a timer thread calling `poll`, blocking calls that wait on a
//! condition variable until readiness allows a retry. With it, the std
//! conformance suite's net checks run on real threads.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use veridian_net::abi::*;
use veridian_net::{sockaddr, Errno, NetConfig, NetStack, OwnedSocket, Result, SocketId};

/// The kernel side: stack, wait queue, clock.
struct Kernel {
    net: Mutex<NetStack>,
    wq: Condvar,
    t0: Instant,
}

impl Kernel {
    fn new() -> Arc<Kernel> {
        let k = Arc::new(Kernel {
            net: Mutex::new(NetStack::new(NetConfig::default())),
            wq: Condvar::new(),
            t0: Instant::now(),
        });
        let w = Arc::downgrade(&k);
        // The timer interrupt.
        thread::spawn(move || {
            while let Some(k) = w.upgrade() {
                let mut net = k.net.lock().unwrap();
                k.poll(&mut net);
                drop(net);
                drop(k);
                thread::sleep(Duration::from_millis(1));
            }
        });
        k
    }

    fn now(&self) -> u64 {
        self.t0.elapsed().as_millis() as u64
    }

    fn poll(&self, net: &mut NetStack) {
        if net.poll(self.now()) {
            self.wq.notify_all();
        }
    }

    /// A syscall: run `op`, poll (it may have queued packets), and if it
    /// would block on a blocking socket, sleep until `want` readiness (or
    /// the timeout: `EAGAIN`) and retry.
    fn call<T>(
        &self,
        id: SocketId,
        want: u16,
        timeout_us: Option<u64>,
        mut op: impl FnMut(&mut NetStack) -> Result<T>,
    ) -> Result<T> {
        let deadline = timeout_us.map(|us| Instant::now() + Duration::from_micros(us));
        let mut net = self.net.lock().unwrap();
        loop {
            let r = op(&mut net);
            self.poll(&mut net);
            match r {
                Err(Errno::EAGAIN) if !net.is_nonblocking(id)? => {
                    net = self.sleep(net, id, want, deadline)?;
                }
                r => return r,
            }
        }
    }

    fn sleep<'a>(
        &self,
        mut net: MutexGuard<'a, NetStack>,
        id: SocketId,
        want: u16,
        deadline: Option<Instant>,
    ) -> Result<MutexGuard<'a, NetStack>> {
        while net.readiness(id) & (want | POLLERR | POLLHUP) == 0 {
            let wait = match deadline {
                Some(d) => d
                    .checked_duration_since(Instant::now())
                    .ok_or(Errno::EAGAIN)?,
                None => Duration::from_millis(100),
            };
            net = self.wq.wait_timeout(net, wait).unwrap().0;
        }
        Ok(net)
    }

    // std::net's calls, as its Linux code makes them.

    fn tcp_listen(&self, addr: SocketAddr) -> Result<OwnedSocket> {
        let mut net = self.net.lock().unwrap();
        let s = net.socket(AF_INET as i32, SOCK_STREAM | SOCK_CLOEXEC, 0)?;
        net.setsockopt(s.id(), SOL_SOCKET, SO_REUSEADDR, &1i32.to_ne_bytes())?;
        net.bind(s.id(), &enc(addr))?;
        net.listen(s.id(), -1)?;
        Ok(s)
    }

    fn accept(&self, l: SocketId) -> Result<(OwnedSocket, SocketAddr)> {
        self.call(l, POLLIN, None, |net| net.accept(l, SOCK_CLOEXEC))
    }

    fn connect(&self, to: SocketAddr) -> Result<OwnedSocket> {
        let s = self
            .net
            .lock()
            .unwrap()
            .socket(AF_INET as i32, SOCK_STREAM | SOCK_CLOEXEC, 0)?;
        let id = s.id();
        let mut net = self.net.lock().unwrap();
        match net.connect(id, &enc(to)) {
            Err(Errno::EINPROGRESS) => {}
            r => return r.map(|_| s),
        }
        self.poll(&mut net);
        loop {
            net = self.sleep(net, id, POLLOUT, None)?;
            match net.connect_result(id) {
                Err(Errno::EALREADY) => continue,
                r => return r.map(|_| s),
            }
        }
    }

    fn read(&self, id: SocketId, buf: &mut [u8]) -> Result<usize> {
        let timeout = self.net.lock().unwrap().timeouts(id)?.0;
        self.call(id, POLLIN, timeout, |net| {
            net.recvfrom(id, buf, 0).map(|r| r.len)
        })
    }

    fn write_all(&self, id: SocketId, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let n = self.call(id, POLLOUT, None, |net| {
                net.sendto(id, data, MSG_NOSIGNAL, None)
            })?;
            data = &data[n..];
        }
        Ok(())
    }

    fn read_to_end(&self, id: SocketId) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 8192];
        loop {
            match self.read(id, &mut buf)? {
                0 => return Ok(out),
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    fn close(&self, s: OwnedSocket) {
        let mut net = self.net.lock().unwrap();
        net.close(s).unwrap();
        self.poll(&mut net);
    }
}

fn enc(a: SocketAddr) -> Vec<u8> {
    let mut b = [0u8; 128];
    let n = sockaddr::encode_into(a, &mut b);
    b[..n].to_vec()
}

fn lo(port: u16) -> SocketAddr {
    SocketAddrV4::new(Ipv4Addr::LOCALHOST, port).into()
}

#[test]
fn tcp_echo_with_threads() {
    let k = Kernel::new();
    let l = k.tcp_listen(lo(0)).unwrap();
    let addr = k.net.lock().unwrap().local_addr(l.id()).unwrap();
    let ks = k.clone();
    let server = thread::spawn(move || {
        let (conn, peer) = ks.accept(l.id()).unwrap();
        assert!(peer.ip().is_loopback());
        let buf = ks.read_to_end(conn.id()).unwrap();
        ks.write_all(conn.id(), &buf).unwrap();
        ks.close(conn);
    });
    let c = k.connect(addr).unwrap();
    k.net
        .lock()
        .unwrap()
        .setsockopt(c.id(), SOL_TCP, TCP_NODELAY, &1i32.to_ne_bytes())
        .unwrap();
    let payload: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
    k.write_all(c.id(), &payload).unwrap();
    k.net.lock().unwrap().shutdown(c.id(), SHUT_WR).unwrap();
    let back = k.read_to_end(c.id()).unwrap();
    assert!(back == payload, "echoed {} bytes", back.len());
    server.join().unwrap();
}

#[test]
fn tcp_timeout_then_eof() {
    let k = Kernel::new();
    let l = k.tcp_listen(lo(0)).unwrap();
    let addr = k.net.lock().unwrap().local_addr(l.id()).unwrap();
    let client = k.connect(addr).unwrap();
    let (conn, _) = k.accept(l.id()).unwrap();
    let mut tv = [0u8; 16];
    tv[8..].copy_from_slice(&50_000i64.to_ne_bytes());
    k.net
        .lock()
        .unwrap()
        .setsockopt(conn.id(), SOL_SOCKET, SO_RCVTIMEO, &tv)
        .unwrap();
    let t = Instant::now();
    assert_eq!(k.read(conn.id(), &mut [0; 8]), Err(Errno::EAGAIN));
    assert!(t.elapsed() >= Duration::from_millis(50));
    drop(client); // closed on the stack's next call
    assert_eq!(
        k.read(conn.id(), &mut [0; 8]),
        Ok(0),
        "EOF after the peer closes"
    );
}

#[test]
fn tcp_refused() {
    let k = Kernel::new();
    let port = {
        let l = k.tcp_listen(lo(0)).unwrap();
        let p = k.net.lock().unwrap().local_addr(l.id()).unwrap().port();
        p
    };
    assert_eq!(k.connect(lo(port)).unwrap_err(), Errno::ECONNREFUSED);
}

#[test]
fn udp_with_timeout() {
    let k = Kernel::new();
    let (a, b) = {
        let mut net = k.net.lock().unwrap();
        let a = net
            .socket(AF_INET as i32, SOCK_DGRAM | SOCK_CLOEXEC, 0)
            .unwrap();
        let b = net
            .socket(AF_INET as i32, SOCK_DGRAM | SOCK_CLOEXEC, 0)
            .unwrap();
        net.bind(a.id(), &enc(lo(0))).unwrap();
        net.bind(b.id(), &enc(lo(0))).unwrap();
        (a, b)
    };
    let (aa, ba) = {
        let mut net = k.net.lock().unwrap();
        (
            net.local_addr(a.id()).unwrap(),
            net.local_addr(b.id()).unwrap(),
        )
    };
    let kr = k.clone();
    let bid = b.id();
    let rx = thread::spawn(move || {
        let mut buf = [0u8; 64];
        let r = kr
            .call(bid, POLLIN, Some(10_000_000), |net| {
                net.recvfrom(bid, &mut buf, 0)
            })
            .unwrap();
        (buf[..r.len].to_vec(), r.from)
    });
    thread::sleep(Duration::from_millis(20));
    k.call(a.id(), POLLOUT, None, |net| {
        net.sendto(a.id(), b"datagram", 0, Some(&enc(ba)))
    })
    .unwrap();
    let (data, from) = rx.join().unwrap();
    assert_eq!(data, b"datagram");
    assert_eq!(from, Some(aa));
}
