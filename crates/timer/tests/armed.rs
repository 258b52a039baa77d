//! What a deadline leaves behind: nothing once it completes or is dropped,
//! and a heap that does not grow over many armed-and-dropped deadlines
//! (counted by a counting global allocator). One test binary of its own,
//! its tests serialised, because [`armed`] and the heap are the process's.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use cancel_harness::probe::{CountingAlloc, live_bytes};
use cancel_timer::{Elapsed, armed, sleep, sleep_until, timeout, wake_at};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn alone() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn zero_and_past_deadlines_complete_on_the_first_poll_arming_nothing() {
    let _alone = alone();
    let before = armed();
    assert!(poll_once(pin!(sleep(Duration::ZERO))).is_ready());
    let past = Instant::now()
        .checked_sub(Duration::from_secs(1))
        .unwrap_or_else(Instant::now);
    assert!(poll_once(pin!(sleep_until(past))).is_ready());
    assert_eq!(
        poll_once(pin!(timeout(Duration::ZERO, std::future::pending::<()>()))),
        Poll::Ready(Err(Elapsed))
    );
    assert_eq!(
        poll_once(pin!(timeout(Duration::ZERO, async { 3 }))),
        Poll::Ready(Ok(3)),
        "ready work wins over a zero deadline"
    );
    assert_eq!(armed(), before);
}

#[test]
fn max_never_completes_and_arms_nothing() {
    let _alone = alone();
    let before = armed();
    let mut never = pin!(sleep(Duration::MAX));
    assert_eq!(never.deadline(), None);
    for _ in 0..3 {
        assert!(poll_once(never.as_mut()).is_pending());
    }
    assert!(!never.is_elapsed());
    assert!(poll_once(pin!(timeout(Duration::MAX, std::future::pending::<()>()))).is_pending());
    assert_eq!(armed(), before);
}

#[test]
fn a_dropped_deadline_leaves_nothing_and_a_fired_one_neither() {
    let _alone = alone();
    let before = armed();
    {
        let mut far = pin!(sleep(Duration::from_secs(3600)));
        assert!(poll_once(far.as_mut()).is_pending());
        // Polled again with the same waker: still one entry.
        assert!(poll_once(far.as_mut()).is_pending());
        assert_eq!(armed(), before + 1);
    }
    assert_eq!(armed(), before, "dropped: removed");

    // A fired deadline wakes its waker once, and its entry is gone.
    struct Count(Mutex<u32>, std::sync::Condvar);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            *self.0.lock().unwrap_or_else(PoisonError::into_inner) += 1;
            self.1.notify_all();
        }
    }
    let count = Arc::new(Count(Mutex::new(0), std::sync::Condvar::new()));
    let waker = Waker::from(Arc::clone(&count));
    let alarm = wake_at(Instant::now() + Duration::from_millis(2), &waker);
    let woken = count
        .1
        .wait_timeout_while(
            count.0.lock().unwrap_or_else(PoisonError::into_inner),
            Duration::from_secs(10),
            |n| *n == 0,
        )
        .map(|(n, _)| *n)
        .unwrap_or(0);
    assert_eq!(woken, 1);
    assert_eq!(armed(), before, "fired: removed");
    drop(alarm);
    assert_eq!(armed(), before);
}

/// Arms and drops `n` deadlines (each polled once, so it is armed) and
/// returns how much the live heap grew.
fn armed_and_dropped(n: u64) -> i64 {
    let start = live_bytes().expect("the counting allocator is installed");
    for i in 0..n {
        // Deadlines spread over an hour, none due while the loop runs.
        let mut fut = pin!(sleep(Duration::from_secs(60 + i % 3600)));
        assert!(poll_once(fut.as_mut()).is_pending());
    }
    live_bytes().expect("installed") - start
}

#[test]
fn armed_and_dropped_deadlines_leave_the_heap_as_it_was() {
    let _alone = alone();
    let before = armed();
    // The first round warms up whatever the process keeps (the thread).
    armed_and_dropped(1_000);
    let grew = armed_and_dropped(100_000);
    assert!(grew < 64 * 1024, "the heap grew by {grew} bytes");
    assert_eq!(armed(), before);
}

/// The long form: `cargo test -p cancel-timer --release --test armed -- --ignored`.
#[test]
#[ignore = "a million deadlines: the short form runs by default"]
fn a_million_armed_and_dropped_deadlines_leave_the_heap_as_it_was() {
    let _alone = alone();
    armed_and_dropped(1_000);
    let grew = armed_and_dropped(1_000_000);
    eprintln!("1 000 000 armed-and-dropped deadlines: the live heap grew by {grew} bytes");
    assert!(grew < 64 * 1024, "the heap grew by {grew} bytes");
}
