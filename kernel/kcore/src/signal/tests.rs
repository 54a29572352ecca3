use super::*;
use alloc::vec;
use proptest::prelude::*;
use veridian_syscall::signal::{
    MINSIGSTKSZ, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SI_QUEUE, SI_TKILL, SI_USER,
};

const HANDLER: u64 = 0x40_1000;
const MIN: u64 = MINSIGSTKSZ as u64;

fn user(sig: i32) -> SigInfo {
    SigInfo::sent(sig, SI_USER, 7, 0)
}

fn thread(tid: u32, blocked: u64) -> ThreadView {
    ThreadView {
        tid,
        blocked,
        waiting: 0,
    }
}

#[test]
fn siginfo_layout_matches_x86_64() {
    let i = SigInfo::sent(SIGUSR1, SI_TKILL, 42, 1000);
    assert_eq!(&i.0[0..4], &10i32.to_le_bytes());
    assert_eq!(&i.0[8..12], &(-6i32).to_le_bytes());
    assert_eq!(&i.0[16..20], &42u32.to_le_bytes());
    assert_eq!(&i.0[20..24], &1000u32.to_le_bytes());
    assert_eq!(
        (i.signo(), i.code(), i.pid(), i.uid()),
        (SIGUSR1, SI_TKILL, 42, 1000)
    );
    let c = SigInfo::child(9, 0, 1, 3);
    assert_eq!((c.signo(), c.code(), c.pid()), (SIGCHLD, 1, 9));
    assert_eq!(&c.0[24..28], &3i32.to_le_bytes());
    let mut raw = [0xAAu8; SIGINFO_SIZE];
    raw[8..12].copy_from_slice(&SI_QUEUE.to_le_bytes());
    let q = SigInfo::queued(SIGUSR2, raw);
    assert_eq!((q.signo(), q.code()), (SIGUSR2, SI_QUEUE));
    assert_eq!(q.0[24], 0xAA);
}

#[test]
fn signalfd_siginfo_layout() {
    let k = SigInfo::sent(SIGUSR1, SI_USER, 42, 1000).to_signalfd();
    assert_eq!(&k[0..4], &SIGUSR1.to_le_bytes());
    assert_eq!(&k[8..12], &SI_USER.to_le_bytes());
    assert_eq!(&k[12..16], &42u32.to_le_bytes());
    assert_eq!(&k[16..20], &1000u32.to_le_bytes());
    assert!(k[20..].iter().all(|&b| b == 0));
    let mut raw = [0u8; SIGINFO_SIZE];
    raw[8..12].copy_from_slice(&SI_QUEUE.to_le_bytes());
    raw[24..32].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
    let q = SigInfo::queued(SIGRTMIN, raw).to_signalfd();
    assert_eq!(&q[44..48], &0x5566_7788u32.to_le_bytes());
    assert_eq!(&q[48..56], &0x1122_3344_5566_7788u64.to_le_bytes());
    let c = SigInfo::child(9, 0, 1, 3).to_signalfd();
    assert_eq!(&c[40..44], &3i32.to_le_bytes());
    assert!(c[44..56].iter().all(|&b| b == 0));
}

#[test]
fn standard_signals_pend_once_rt_signals_queue() {
    let mut p = Pending::new();
    assert_eq!(p.add(user(SIGUSR1)), Ok(true));
    assert_eq!(p.add(user(SIGUSR1)), Ok(false));
    assert_eq!(p.add(SigInfo::sent(SIGRTMIN + 1, SI_QUEUE, 1, 0)), Ok(true));
    assert_eq!(p.add(SigInfo::sent(SIGRTMIN + 1, SI_QUEUE, 2, 0)), Ok(true));
    assert_eq!(p.set(), bit(SIGUSR1) | bit(SIGRTMIN + 1));
    assert_eq!(p.take(u64::MAX).map(|i| i.signo()), Some(SIGUSR1));
    assert_eq!(p.take(u64::MAX).map(|i| i.pid()), Some(1));
    assert_eq!(p.set(), bit(SIGRTMIN + 1));
    assert_eq!(p.take(u64::MAX).map(|i| i.pid()), Some(2));
    assert_eq!(p.set(), 0);
    assert_eq!(p.take(u64::MAX), None);
}

#[test]
fn take_respects_allowed_and_prefers_synchronous() {
    let mut p = Pending::new();
    p.add(user(SIGUSR1)).unwrap();
    p.add(user(SIGSEGV)).unwrap();
    p.add(user(SIGHUP_)).unwrap();
    assert_eq!(p.next(u64::MAX), Some(SIGSEGV));
    assert_eq!(p.next(!bit(SIGSEGV)), Some(SIGHUP_));
    assert_eq!(p.next(bit(SIGUSR1)), Some(SIGUSR1));
    assert_eq!(p.take(0), None);
    p.discard(bit(SIGUSR1) | bit(SIGSEGV));
    assert_eq!(p.set(), bit(SIGHUP_));
    p.clear();
    assert_eq!(p.set(), 0);
}

const SIGHUP_: i32 = 1;

#[test]
fn queue_is_bounded() {
    let mut p = Pending::new();
    for _ in 0..MAX_QUEUED {
        p.add(SigInfo::sent(SIGRTMAX, SI_QUEUE, 1, 0)).unwrap();
    }
    assert_eq!(
        p.add(SigInfo::sent(SIGRTMAX, SI_QUEUE, 1, 0)),
        Err(QueueFull)
    );
}

#[test]
fn blocked_fatal_signal_stays_pending() {
    let threads = [thread(1, bit(SIGUSR1))];
    assert_eq!(
        post(SIGUSR1, SIG_DFL, Target::Process, &threads),
        PostOutcome::Queue { wake: None }
    );
    assert_eq!(
        post(SIGUSR1, SIG_DFL, Target::Thread(1), &threads),
        PostOutcome::Queue { wake: None }
    );
    assert_eq!(
        post(SIGUSR1, SIG_DFL, Target::Process, &[thread(1, 0)]),
        PostOutcome::Kill
    );
}

#[test]
fn process_signal_goes_to_a_thread_not_blocking_it() {
    let threads = [
        thread(1, bit(SIGUSR1)),
        thread(2, bit(SIGUSR1)),
        thread(3, 0),
    ];
    assert_eq!(
        post(SIGUSR1, HANDLER, Target::Process, &threads),
        PostOutcome::Queue { wake: Some(3) }
    );
    // A thread-directed one waits for that thread even if others could take it.
    assert_eq!(
        post(SIGUSR1, HANDLER, Target::Thread(2), &threads),
        PostOutcome::Queue { wake: None }
    );
    // Fatal: another thread not blocking it makes the whole process die.
    assert_eq!(
        post(SIGUSR1, SIG_DFL, Target::Process, &threads),
        PostOutcome::Kill
    );
}

#[test]
fn sigwaiter_takes_a_blocked_fatal_signal() {
    let waiter = ThreadView {
        tid: 5,
        blocked: bit(SIGUSR1),
        waiting: bit(SIGUSR1) | bit(SIGUSR2),
    };
    assert_eq!(
        post(SIGUSR1, SIG_DFL, Target::Thread(5), &[waiter]),
        PostOutcome::Queue { wake: Some(5) }
    );
    // Waiting for a signal it does not block: fatal as usual.
    assert_eq!(
        post(SIGUSR2, SIG_DFL, Target::Process, &[waiter]),
        PostOutcome::Kill
    );
}

#[test]
fn ignored_signals_are_discarded_unless_blocked() {
    let free = [thread(1, 0)];
    let blocking = [thread(1, bit(SIGUSR1) | bit(SIGCHLD))];
    assert_eq!(
        post(SIGUSR1, SIG_IGN, Target::Process, &free),
        PostOutcome::Discard
    );
    assert_eq!(
        post(SIGCHLD, SIG_DFL, Target::Process, &free),
        PostOutcome::Discard
    );
    assert_eq!(
        post(SIGUSR1, SIG_IGN, Target::Process, &blocking),
        PostOutcome::Queue { wake: None }
    );
    assert_eq!(
        post(SIGCHLD, SIG_DFL, Target::Process, &blocking),
        PostOutcome::Queue { wake: None }
    );
    assert_eq!(deliver(SIGUSR1, SIG_IGN), Delivery::Discard);
    assert_eq!(deliver(SIGCHLD, SIG_DFL), Delivery::Discard);
}

#[test]
fn sigkill_and_sigstop_cannot_be_blocked_or_ignored() {
    let all = [thread(1, u64::MAX)];
    assert_eq!(
        post(SIGKILL, SIG_IGN, Target::Process, &all),
        PostOutcome::Kill
    );
    assert_eq!(deliver(SIGKILL, SIG_IGN), Delivery::Kill);
    assert!(!is_ignored(SIGKILL, SIG_IGN));
    assert_eq!(sanitize_mask(u64::MAX), !UNBLOCKABLE);
    // SIGSTOP never stops a process here: discarded whatever the mask.
    assert_eq!(
        post(SIGSTOP, SIG_DFL, Target::Process, &all),
        PostOutcome::Discard
    );
}

#[test]
fn delivery_follows_the_disposition() {
    assert_eq!(deliver(SIGTERM, SIG_DFL), Delivery::Kill);
    assert_eq!(deliver(SIGALRM, HANDLER), Delivery::Handler);
    assert_eq!(deliver(SIGCONT, SIG_DFL), Delivery::Discard);
    assert_eq!(deliver(SIGRTMIN, SIG_DFL), Delivery::Kill);
}

#[test]
fn exec_resets_handlers_but_not_ignores() {
    assert_eq!(handler_after_exec(HANDLER), SIG_DFL);
    assert_eq!(handler_after_exec(SIG_IGN), SIG_IGN);
    assert_eq!(handler_after_exec(SIG_DFL), SIG_DFL);
}

#[test]
fn altstack_rules() {
    let none = AltStack::default();
    assert_eq!(none.flags(0x1000), SS_DISABLE);
    assert_eq!(
        none.change(0, 0x10_0000, 0, MIN - 1, MIN),
        Err(AltStackError::TooSmall)
    );
    assert_eq!(
        none.change(0, 0x10_0000, 77, MIN, MIN),
        Err(AltStackError::BadFlags)
    );
    let s = none.change(0, 0x10_0000, 0, 0x4000, MIN).unwrap();
    assert_eq!(s.flags(0x10_2000), SS_ONSTACK);
    assert_eq!(s.flags(0x20_0000), 0);
    assert_eq!(s.frame_top(0x20_0000, true), 0x10_4000);
    assert_eq!(s.frame_top(0x20_0000, false), 0x20_0000);
    assert_eq!(s.frame_top(0x10_2000, true), 0x10_2000);
    assert_eq!(
        s.change(0x10_2000, 0, SS_DISABLE, 0, MIN),
        Err(AltStackError::InUse)
    );
    assert_eq!(
        s.change(0x20_0000, 0, SS_DISABLE, 0, MIN),
        Ok(AltStack::default())
    );
}

fn any_sig() -> impl Strategy<Value = i32> {
    1..=SIGRTMAX
}

proptest! {
    /// The set always names exactly the signals with an instance queued,
    /// and every instance added is taken back once, oldest first per signal.
    #[test]
    fn pending_set_tracks_queue(sigs in proptest::collection::vec(any_sig(), 0..200)) {
        let mut p = Pending::new();
        let mut expected = vec![];
        for (n, &s) in sigs.iter().enumerate() {
            if p.add(SigInfo::sent(s, SI_QUEUE, n as u32, 0)) == Ok(true) {
                expected.push((s, n as u32));
            }
            let from_queue = expected.iter().fold(0, |m, &(s, _)| m | bit(s));
            prop_assert_eq!(p.set(), from_queue);
        }
        while let Some(i) = p.take(u64::MAX) {
            let at = expected.iter().position(|&(s, _)| s == i.signo()).unwrap();
            prop_assert_eq!(expected.remove(at), (i.signo(), i.pid()));
        }
        prop_assert!(expected.is_empty());
        prop_assert_eq!(p.set(), 0);
    }

    /// Nothing outside `allowed` is ever taken.
    #[test]
    fn take_never_leaves_allowed(sigs in proptest::collection::vec(any_sig(), 0..64), allowed: u64) {
        let mut p = Pending::new();
        for s in sigs {
            let _ = p.add(user(s));
        }
        let before = p.set();
        while let Some(i) = p.take(allowed) {
            prop_assert!(allowed & bit(i.signo()) != 0);
        }
        prop_assert_eq!(p.set(), before & !allowed);
    }

    /// A queued signal's woken thread takes it, and a thread-directed one
    /// never wakes another thread; SIGKILL always kills.
    #[test]
    fn post_wakes_only_takers(
        sig in any_sig(),
        handler in prop_oneof![Just(SIG_DFL), Just(SIG_IGN), Just(HANDLER)],
        masks in proptest::collection::vec(any::<u64>(), 1..6),
        pick in 0usize..6,
    ) {
        let threads: Vec<ThreadView> = masks
            .iter()
            .enumerate()
            .map(|(i, &m)| thread(i as u32 + 1, sanitize_mask(m)))
            .collect();
        let tid = (pick % threads.len()) as u32 + 1;
        for target in [Target::Process, Target::Thread(tid)] {
            match post(sig, handler, target, &threads) {
                PostOutcome::Queue { wake: Some(w) } => {
                    prop_assert!(threads[w as usize - 1].takes(sig));
                    if let Target::Thread(t) = target {
                        prop_assert_eq!(w, t);
                    }
                }
                PostOutcome::Kill => prop_assert!(is_fatal(sig, handler)),
                PostOutcome::Discard => prop_assert!(is_ignored(sig, handler) || sig == SIGSTOP),
                PostOutcome::Queue { wake: None } => prop_assert!(sig != SIGKILL),
            }
        }
    }
}
