//! `cancel_timer::tokio`: deadlines woken by a tokio runtime's own reactor.
//!
//! Never early on both schedulers, in tasks and in `block_on`; one reactor
//! per runtime, not per thread (a second runtime on the same thread is not
//! stuck behind the first's); a runtime that shuts down hands its pending
//! deadlines on; nothing is left armed; and the documented panic on a
//! runtime without I/O. Real time: lower bounds and hang limits only.

#![cfg(any(target_os = "linux", target_os = "android"))]

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use cancel_timer::tokio::{sleep, sleep_until, timeout, timeout_at};
use cancel_timer::{Elapsed, armed};
use common::{LIMIT, bounded, runtime};

mod common;

/// `armed()` is the whole process's: every test here arms deadlines, and
/// some read it, so they run one at a time.
fn alone() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Deadlines from 0 to 1 ms, in steps that do not line up with a tick.
async fn never_early() {
    for d in (0..60).map(|i| Duration::from_micros(17 * i)) {
        let start = Instant::now();
        sleep(d).await;
        let took = start.elapsed();
        assert!(took >= d, "sleep({d:?}) came back after {took:?}");

        let at = Instant::now() + d;
        sleep_until(at).await;
        assert!(Instant::now() >= at, "sleep_until came back early");

        let start = Instant::now();
        assert_eq!(timeout(d, std::future::pending::<()>()).await, Err(Elapsed));
        assert!(start.elapsed() >= d, "timeout({d:?}) elapsed early");

        let at = Instant::now() + d;
        let result = timeout_at(at, std::future::pending::<()>()).await;
        assert_eq!(result, Err(Elapsed));
        assert!(Instant::now() >= at, "timeout_at elapsed early");
    }
    // Ready work wins over a deadline that has passed.
    assert_eq!(timeout(Duration::ZERO, async { 7 }).await, Ok(7));
}

#[test]
fn never_early_in_block_on_on_current_thread() {
    let _alone = alone();
    bounded("current-thread block_on", || {
        runtime(false).block_on(never_early());
    });
}

#[test]
fn never_early_in_a_task_on_current_thread() {
    let _alone = alone();
    bounded("current-thread task", || {
        let rt = runtime(false);
        rt.block_on(rt.spawn(never_early())).expect("no panic");
    });
}

#[test]
fn never_early_in_a_task_on_multi_thread() {
    let _alone = alone();
    bounded("multi-thread task", || {
        let rt = runtime(true);
        rt.block_on(rt.spawn(never_early())).expect("no panic");
    });
}

#[test]
fn never_early_in_block_on_on_multi_thread() {
    let _alone = alone();
    // The timer thread's case: `block_on`'s thread is none of the workers.
    bounded("multi-thread block_on", || {
        runtime(true).block_on(never_early());
    });
}

#[test]
fn never_early_outside_tokio() {
    let _alone = alone();
    bounded("smol", || {
        let ex = async_executor::Executor::new();
        async_io::block_on(ex.run(ex.spawn(never_early())));
    });
}

#[test]
fn edge_durations_behave_as_the_thread_timer() {
    let _alone = alone();
    bounded("edges", || {
        runtime(false).block_on(async {
            // ZERO and the past complete at once; MAX never does.
            sleep(Duration::ZERO).await;
            sleep_until(Instant::now() - Duration::from_millis(1)).await;
            let forever = sleep(Duration::MAX);
            assert_eq!(forever.deadline(), None);
            let result = timeout(Duration::from_millis(1), forever).await;
            assert_eq!(result, Err(Elapsed));
            let result = timeout(Duration::MAX, async { 3 }).await;
            assert_eq!(result, Ok(3));
        });
    });
}

/// Many 1 ms timeouts, each in a task: the runtime parks with no timer of
/// its own armed, so only the reactor's timerfd can wake it.
#[test]
fn spawned_deadlines_all_fire_and_leave_nothing() {
    let _alone = alone();
    bounded("1 000 tasks", || {
        let rt = runtime(true);
        let before = armed();
        rt.block_on(async {
            let start = Instant::now();
            let tasks: Vec<_> = (0..1_000_u32)
                .map(|i| {
                    let at = start + Duration::from_micros(u64::from(i % 50) * 97 + 500);
                    tokio::spawn(async move {
                        sleep_until(at).await;
                        Instant::now() >= at
                    })
                })
                .collect();
            for task in tasks {
                assert!(task.await.expect("no panic"), "a deadline fired early");
            }
        });
        assert_eq!(armed(), before, "every fired deadline left the timer");
    });
}

#[test]
fn dropped_before_firing_leaves_nothing() {
    let _alone = alone();
    bounded("armed and dropped", || {
        let rt = runtime(false);
        let before = armed();
        rt.block_on(async {
            let mut held = Vec::new();
            for _ in 0..1_000 {
                let mut s = sleep(Duration::from_secs(3600));
                std::future::poll_fn(|cx| {
                    assert!(Pin::new(&mut s).poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
                held.push(s);
            }
            assert_eq!(armed(), before + 1_000, "every deadline is armed");
            drop(held);
            assert_eq!(armed(), before, "dropped: nothing left");
        });
    });
}

/// A second runtime on the same thread gets its own reactor: were reactors
/// kept per thread, its deadline would wait on the first runtime's, which
/// nobody drives while the second runs.
#[test]
fn each_runtime_has_its_own_reactor() {
    let _alone = alone();
    bounded("two runtimes, one thread", || {
        let first = runtime(false);
        first.block_on(sleep(Duration::from_millis(1)));
        let second = runtime(false);
        let start = Instant::now();
        second.block_on(sleep(Duration::from_millis(2)));
        assert!(start.elapsed() >= Duration::from_millis(2));
        // And the first still works once driven again.
        first.block_on(sleep(Duration::from_millis(1)));
    });
}

/// Polls `fut` once per call and says so on `polled`.
struct Announce<F> {
    fut: F,
    polled: mpsc::Sender<()>,
}

impl<F: Future + Unpin> Future for Announce<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let out = Pin::new(&mut self.fut).poll(cx);
        let _ = self.polled.send(());
        out
    }
}

/// A deadline armed on a runtime's reactor, then awaited elsewhere, is
/// woken when that runtime shuts down and arms again where it is: it still
/// completes, and not early.
#[test]
fn a_runtime_that_shuts_down_hands_its_deadlines_on() {
    let _alone = alone();
    bounded("shut down", || {
        let rt = runtime(false);
        let d = Duration::from_millis(300);
        let start = Instant::now();
        let mut s = sleep(d);
        // Armed on `rt`'s reactor (current-thread `block_on`).
        rt.block_on(std::future::poll_fn(|cx| {
            assert!(Pin::new(&mut s).poll(cx).is_pending());
            Poll::Ready(())
        }));
        let (polled, seen) = mpsc::channel();
        let elsewhere = std::thread::spawn(move || {
            // No tokio here: the waker in `rt`'s entry becomes this one.
            futures_lite::future::block_on(Announce { fut: s, polled });
            start.elapsed()
        });
        seen.recv_timeout(LIMIT).expect("polled elsewhere");
        // Long before the deadline: `rt`'s task is dropped and its reactor
        // closes, waking the entry, which arms on the timer thread.
        drop(rt);
        let took = elsewhere.join().expect("no panic");
        assert!(took >= d, "came back after {took:?}, before its {d:?}");
    });
}

#[test]
#[should_panic(expected = "IO is disabled")]
fn a_runtime_without_io_panics_as_tokio_io_does() {
    let _alone = alone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    rt.block_on(sleep(Duration::from_millis(1)));
}
