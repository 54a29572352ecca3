//! Threads and synchronisation: spawn/join, Mutex, Condvar, RwLock, mpsc,
//! scoped threads, thread_local!, Once/OnceLock, Barrier, park/unpark.
use conformance::Suite;
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Condvar, Mutex, Once, OnceLock, RwLock};
use std::thread;
use std::time::Duration;

thread_local! {
    static PER_THREAD: Cell<u32> = const { Cell::new(0) };
}

fn main() {
    let mut suite = Suite::new("thread");
    suite.check("spawn-join", || {
        let handle = thread::Builder::new().name("worker".into()).spawn(|| {
            assert_eq!(thread::current().name(), Some("worker"));
            6 * 7
        });
        assert_eq!(handle.unwrap().join().unwrap(), 42);
    });
    suite.check("mutex", || {
        let counter = Arc::new(Mutex::new(0u64));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let counter = Arc::clone(&counter);
                thread::spawn(move || (0..10_000).for_each(|_| *counter.lock().unwrap() += 1))
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(*counter.lock().unwrap(), 80_000);
    });
    suite.check("condvar", || {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let other = Arc::clone(&pair);
        let t = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            *other.0.lock().unwrap() = true;
            other.1.notify_one();
        });
        let (lock, cvar) = &*pair;
        let ready = cvar.wait_while(lock.lock().unwrap(), |r| !*r).unwrap();
        assert!(*ready);
        drop(ready);
        t.join().unwrap();
        let (_guard, timeout) = cvar
            .wait_timeout(lock.lock().unwrap(), Duration::from_millis(30))
            .unwrap();
        assert!(timeout.timed_out());
    });
    suite.check("rwlock", || {
        let lock = Arc::new(RwLock::new(vec![1, 2, 3]));
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let lock = Arc::clone(&lock);
                thread::spawn(move || lock.read().unwrap().iter().sum::<i32>())
            })
            .collect();
        lock.write().unwrap().push(4);
        for r in readers {
            let sum = r.join().unwrap();
            assert!(sum == 6 || sum == 10);
        }
        assert_eq!(lock.read().unwrap().len(), 4);
    });
    suite.check("mpsc", || {
        let (tx, rx) = mpsc::channel();
        for id in 0..4 {
            let tx = tx.clone();
            thread::spawn(move || (0..250).for_each(|i| tx.send(id * 1000 + i).unwrap()));
        }
        drop(tx);
        let got: Vec<i32> = rx.iter().collect();
        assert_eq!(got.len(), 1000);
        let (stx, srx) = mpsc::sync_channel(1);
        thread::spawn(move || stx.send("rendezvous").unwrap());
        assert_eq!(
            srx.recv_timeout(Duration::from_secs(10)).unwrap(),
            "rendezvous"
        );
        let (_keep, empty) = mpsc::channel::<()>();
        assert!(empty.recv_timeout(Duration::from_millis(20)).is_err());
    });
    suite.check("scoped", || {
        let mut data = [1u32, 2, 3, 4];
        let total = AtomicUsize::new(0);
        thread::scope(|s| {
            for x in data.iter_mut() {
                let total = &total;
                s.spawn(move || {
                    *x *= 10;
                    total.fetch_add(*x as usize, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(data, [10, 20, 30, 40]);
        assert_eq!(total.load(Ordering::SeqCst), 100);
    });
    suite.check("thread-local", || {
        PER_THREAD.with(|v| v.set(1));
        let seen = thread::spawn(|| {
            let before = PER_THREAD.with(Cell::get);
            PER_THREAD.with(|v| v.set(2));
            before
        })
        .join()
        .unwrap();
        assert_eq!(seen, 0, "a new thread starts with the initial value");
        assert_eq!(PER_THREAD.with(Cell::get), 1);
    });
    suite.check("once-oncelock", || {
        static INIT: Once = Once::new();
        static VALUE: OnceLock<String> = OnceLock::new();
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let handles: Vec<_> = (0..4)
            .map(|i| {
                thread::spawn(move || {
                    INIT.call_once(|| {
                        RUNS.fetch_add(1, Ordering::SeqCst);
                    });
                    VALUE.get_or_init(|| format!("set by {i}")).clone()
                })
            })
            .collect();
        let values: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(RUNS.load(Ordering::SeqCst), 1);
        assert!(values.iter().all(|v| v == &values[0]));
    });
    suite.check("barrier", || {
        let barrier = Arc::new(Barrier::new(3));
        let leaders: usize = (0..3)
            .map(|_| {
                let b = Arc::clone(&barrier);
                thread::spawn(move || b.wait().is_leader() as usize)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap())
            .sum();
        assert_eq!(leaders, 1);
    });
    suite.check("park-unpark", || {
        let flag = Arc::new(AtomicUsize::new(0));
        let f = Arc::clone(&flag);
        let t = thread::spawn(move || {
            while f.load(Ordering::SeqCst) == 0 {
                thread::park();
            }
        });
        thread::sleep(Duration::from_millis(10));
        flag.store(1, Ordering::SeqCst);
        t.thread().unpark();
        t.join().unwrap();
    });
    suite.check("available-parallelism", || {
        assert!(thread::available_parallelism().unwrap().get() >= 1);
    });
    suite.check("many-threads", || {
        let handles: Vec<_> = (0..64).map(|i| thread::spawn(move || i * 2)).collect();
        let sum: i32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sum, 64 * 63);
    });
    suite.check("backtrace-after-thread", || {
        // The unwinder (libgcc_eh) reaches pthread_once through weak
        // references once threads exist; a static link must resolve them
        // (without them this crashed with SIGSEGV).
        std::thread::spawn(|| ()).join().unwrap();
        let trace = std::backtrace::Backtrace::force_capture();
        assert_eq!(trace.status(), std::backtrace::BacktraceStatus::Captured);
        // The walk passes std's frames (they carry unwind tables although the
        // target aborts on panic) and names them (std symbolizes).
        let text = trace.to_string();
        assert!(
            text.contains("std::rt::lang_start"),
            "unnamed or short backtrace:\n{text}"
        );
    });
    suite.done();
}
