//! Floors: the cheapest a wake-up can be on the machine that runs them,
//! measured in the same run as the strategies, so each figure can be read as
//! a ratio.
//!
//! | floor | matches |
//! |---|---|
//! | [`SameThreadWake`] | tokio current-thread: the stop and the work share one thread |
//! | [`unpark`] with [`SETTLE`] | the multi-thread runtimes: the work's worker thread was asleep as long as the work was parked |
//! | [`unpark`] with [`PING_PONG`] | the same wake-up between threads that barely slept (a tight ping-pong) |
//! | [`atomic_store_to_spinner`] | `thread`: work that checks its flag in a loop |
//! | [`sleep_overshoot`] | `timeout_overshoot`: how late the OS wakes a thread that slept until a deadline |
//!
//! [`Floor::of`] says which floor each figure is read against: the one rule,
//! used by the lab's ratios and documented for the benches.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::{Metric, OVERSHOOT_DEADLINE, SETTLE, Target, spin_for};
use cancel_harness::runtime::RuntimeKind;

pub use crate::SETTLE as AFTER_PARK;

/// How long the woken thread of a tight ping-pong has been parked: long
/// enough that it is really asleep in the kernel, too short for its core to
/// go idle.
pub const PING_PONG: Duration = Duration::from_micros(20);

/// Same-thread wake + poll: on a tokio current-thread runtime, a task parked
/// on a bare waker is woken by the task that measures, and the time until the
/// runtime polls it again is taken.
#[derive(Debug)]
pub struct SameThreadWake {
    rt: tokio::runtime::Runtime,
}

impl SameThreadWake {
    /// Builds the runtime, once per benchmark.
    ///
    /// # Panics
    ///
    /// Panics if the runtime cannot be built.
    pub fn new() -> SameThreadWake {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio current-thread runtime builds");
        SameThreadWake { rt }
    }

    /// `samples` wake-ups, each of a task that was parked for [`SETTLE`].
    pub fn samples(&self, samples: u64) -> Vec<Duration> {
        self.rt.block_on(async {
            let mut out = Vec::with_capacity(usize::try_from(samples).unwrap_or(0));
            for _ in 0..samples {
                let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
                let woken = Arc::new(AtomicBool::new(false));
                let polled = Arc::new(cancel_harness::probe::Mark::default());
                let task = tokio::spawn({
                    let (waker, woken, polled) =
                        (Arc::clone(&waker), Arc::clone(&woken), Arc::clone(&polled));
                    std::future::poll_fn(move |cx| {
                        if woken.load(Ordering::SeqCst) {
                            polled.set();
                            Poll::Ready(())
                        } else {
                            *waker.lock().unwrap_or_else(PoisonError::into_inner) =
                                Some(cx.waker().clone());
                            Poll::Pending
                        }
                    })
                });
                while waker
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_none()
                {
                    tokio::task::yield_now().await;
                }
                spin_for(SETTLE);
                let parked = waker.lock().unwrap_or_else(PoisonError::into_inner).take();
                let t0 = Instant::now();
                woken.store(true, Ordering::SeqCst);
                if let Some(waker) = parked {
                    waker.wake();
                }
                while !polled.is_set() {
                    tokio::task::yield_now().await;
                }
                let at = polled.at().unwrap_or(t0);
                out.push(at.saturating_duration_since(t0));
                task.await.expect("the woken task ends");
            }
            out
        })
    }
}

impl Default for SameThreadWake {
    fn default() -> Self {
        SameThreadWake::new()
    }
}

/// Nanoseconds since `base`, plus one so that zero means "not yet".
fn stamp(base: Instant) -> u64 {
    u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX - 1) + 1
}

/// Cross-thread `Thread::unpark` → the parked thread runs: `samples` times, a
/// thread parks, stays parked for `parked_for`, is unparked, and takes the
/// time as soon as it runs; it then unparks the waker, which had parked
/// itself meanwhile (a ping-pong).
///
/// # Panics
///
/// Panics if the parked thread cannot be started.
pub fn unpark(parked_for: Duration, samples: u64) -> Vec<Duration> {
    let base = Instant::now();
    let round = Arc::new(AtomicU64::new(0));
    let ready = Arc::new(AtomicU64::new(0));
    let woke_round = Arc::new(AtomicU64::new(0));
    let woke_at = Arc::new(AtomicU64::new(0));
    // The waker parks too while it waits, as a canceller awaiting its
    // confirmation does: a waker that kept its core spinning would push the
    // woken thread onto the other, idle core, and measure a different wake.
    let waker = std::thread::current();
    let parked = std::thread::Builder::new()
        .name("floor-parked".into())
        .spawn({
            let (round, ready, woke_round, woke_at) = (
                Arc::clone(&round),
                Arc::clone(&ready),
                Arc::clone(&woke_round),
                Arc::clone(&woke_at),
            );
            move || {
                let mut seen = 0;
                loop {
                    ready.store(seen + 1, Ordering::SeqCst);
                    // `park` may return spuriously: only a new round counts.
                    let next = loop {
                        std::thread::park();
                        let r = round.load(Ordering::SeqCst);
                        if r > seen {
                            break r;
                        }
                    };
                    woke_at.store(stamp(base), Ordering::SeqCst);
                    woke_round.store(next, Ordering::SeqCst);
                    waker.unpark();
                    if next == u64::MAX {
                        return;
                    }
                    seen = next;
                }
            }
        })
        .expect("the floor's parked thread starts");
    let mut out = Vec::with_capacity(usize::try_from(samples).unwrap_or(0));
    for i in 1..=samples {
        while ready.load(Ordering::SeqCst) < i {
            std::hint::spin_loop();
        }
        spin_for(parked_for);
        let t0 = stamp(base);
        round.store(i, Ordering::SeqCst);
        parked.thread().unpark();
        while woke_round.load(Ordering::SeqCst) < i {
            std::thread::park();
        }
        let woke = woke_at.load(Ordering::SeqCst);
        out.push(Duration::from_nanos(woke.saturating_sub(t0)));
    }
    round.store(u64::MAX, Ordering::SeqCst);
    parked.thread().unpark();
    parked.join().expect("the floor's parked thread ends");
    out
}

/// Atomic store → observed by a spinning thread: `samples` times, one thread
/// stores a new value and another, spinning on loads, takes the time as soon
/// as it sees it.
///
/// # Panics
///
/// Panics if the spinning thread cannot be started.
pub fn atomic_store_to_spinner(samples: u64) -> Vec<Duration> {
    let base = Instant::now();
    let value = Arc::new(AtomicU64::new(0));
    let seen_round = Arc::new(AtomicU64::new(0));
    let seen_at = Arc::new(AtomicU64::new(0));
    let spinner = std::thread::Builder::new()
        .name("floor-spinner".into())
        .spawn({
            let (value, seen_round, seen_at) = (
                Arc::clone(&value),
                Arc::clone(&seen_round),
                Arc::clone(&seen_at),
            );
            move || {
                let mut seen = 0;
                loop {
                    let v = value.load(Ordering::Acquire);
                    if v != seen {
                        seen_at.store(stamp(base), Ordering::SeqCst);
                        seen_round.store(v, Ordering::SeqCst);
                        if v == u64::MAX {
                            return;
                        }
                        seen = v;
                    }
                    std::hint::spin_loop();
                }
            }
        })
        .expect("the floor's spinning thread starts");
    let mut out = Vec::with_capacity(usize::try_from(samples).unwrap_or(0));
    for i in 1..=samples {
        // Let the spinner go back to spinning on a line it holds.
        spin_for(Duration::from_micros(1));
        let t0 = stamp(base);
        value.store(i, Ordering::Release);
        while seen_round.load(Ordering::SeqCst) < i {
            std::hint::spin_loop();
        }
        out.push(Duration::from_nanos(
            seen_at.load(Ordering::SeqCst).saturating_sub(t0),
        ));
    }
    value.store(u64::MAX, Ordering::Release);
    spinner.join().expect("the floor's spinning thread ends");
    out
}

/// Deadline → a thread that slept until it runs again: `samples` times, a
/// thread sleeps for [`OVERSHOOT_DEADLINE`] with `std::thread::sleep` and
/// takes how long after the deadline it woke. Every timer, tokio's wheel or
/// async-io's, ends in such a sleep, so no timeout can be reported sooner.
pub fn sleep_overshoot(samples: u64) -> Vec<Duration> {
    (0..samples)
        .map(|_| {
            let deadline = Instant::now() + OVERSHOOT_DEADLINE;
            std::thread::sleep(OVERSHOOT_DEADLINE);
            Instant::now().saturating_duration_since(deadline)
        })
        .collect()
}

/// One physical floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Floor {
    /// [`SameThreadWake`].
    SameThreadWake,
    /// [`unpark`] after [`SETTLE`] parked.
    UnparkAfterPark,
    /// [`unpark`] after [`PING_PONG`] parked.
    UnparkPingPong,
    /// [`atomic_store_to_spinner`].
    AtomicStoreSpinner,
    /// [`sleep_overshoot`].
    SleepOvershoot,
}

impl Floor {
    /// Every floor, in report order.
    pub const ALL: [Floor; 5] = [
        Floor::SameThreadWake,
        Floor::UnparkAfterPark,
        Floor::UnparkPingPong,
        Floor::AtomicStoreSpinner,
        Floor::SleepOvershoot,
    ];

    /// The report name (`floors[].name` of the lab's JSON).
    pub const fn name(self) -> &'static str {
        match self {
            Floor::SameThreadWake => "same_thread_wake",
            Floor::UnparkAfterPark => "unpark_after_park",
            Floor::UnparkPingPong => "unpark_ping_pong",
            Floor::AtomicStoreSpinner => "atomic_store_spinner",
            Floor::SleepOvershoot => "sleep_overshoot",
        }
    }

    /// The criterion id in group `floors`.
    pub const fn bench_id(self) -> &'static str {
        match self {
            Floor::SameThreadWake => "same-thread-wake",
            Floor::UnparkAfterPark => "unpark/after-park",
            Floor::UnparkPingPong => "unpark/ping-pong",
            Floor::AtomicStoreSpinner => "atomic-store/spinner",
            Floor::SleepOvershoot => "sleep-overshoot",
        }
    }

    /// `samples` measurements of this floor.
    pub fn samples(self, samples: u64) -> Vec<Duration> {
        match self {
            Floor::SameThreadWake => SameThreadWake::new().samples(samples),
            Floor::UnparkAfterPark => unpark(SETTLE, samples),
            Floor::UnparkPingPong => unpark(PING_PONG, samples),
            Floor::AtomicStoreSpinner => atomic_store_to_spinner(samples),
            Floor::SleepOvershoot => sleep_overshoot(samples),
        }
    }

    /// The floor `metric` of `target` is read against (see
    /// `benches/README.md` for why each). Every [`Metric`] is a wake-up or a
    /// timer, so every one has a floor.
    pub fn of(target: Target, metric: Metric) -> Floor {
        // Whether the canceller's own thread runs the executor that polls
        // the work: then the wake needs no other thread.
        let same_thread = match target.runtime {
            RuntimeKind::TokioCurrentThread => true,
            RuntimeKind::TokioMultiThread | RuntimeKind::AsyncStd | RuntimeKind::Smol => false,
        };
        let on_threads =
            cancel_conformance::facts(target.strategy, target.runtime).on_blocking_threads;
        match metric {
            Metric::TimeoutOvershoot => Floor::SleepOvershoot,
            // Blocking work sees its flag in a loop; its canceller is woken
            // by the blocking thread, across threads on every runtime.
            Metric::CancelToStopped if on_threads => Floor::AtomicStoreSpinner,
            Metric::CancelToConfirmed if on_threads => Floor::UnparkAfterPark,
            Metric::CancelToStopped | Metric::CancelToConfirmed if same_thread => {
                Floor::SameThreadWake
            }
            Metric::CancelToStopped | Metric::CancelToConfirmed => Floor::UnparkAfterPark,
        }
    }
}
