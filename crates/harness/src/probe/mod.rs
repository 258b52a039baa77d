//! Instruments that let the conformance suite *observe* work instead of
//! guessing from the clock: marks set from inside the work or its `Drop`,
//! poll counters, and a counting allocator.
//!
//! ```
//! use cancel_harness::probe::Probe;
//!
//! let probe = Probe::new();
//! let guard = probe.guard(); // owned by the work
//! assert_eq!(probe.alive(), 1);
//! drop(guard); // the work's owned state is dropped...
//! assert!(probe.dropped.is_set()); // ...and the probe saw it
//! assert_eq!(probe.alive(), 0);
//! ```

mod alloc;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

pub use alloc::{CountingAlloc, live_bytes};

/// The instant all marks are measured from: fixed at first use.
fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// A one-shot event with the instant it first happened.
///
/// Setting it again keeps the first instant. Reads and writes are
/// `SeqCst`, so a mark set before an event is seen by whoever sees that event.
#[derive(Debug, Default)]
pub struct Mark {
    /// Nanoseconds since [`origin`] plus one; zero means "not set".
    at: AtomicU64,
}

impl Mark {
    /// Records the event now, unless it was already recorded.
    pub fn set(&self) {
        // Saturate rather than wrap: a process would need to run 584 years.
        let nanos = u64::try_from(origin().elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
        let _ = self
            .at
            .compare_exchange(0, nanos + 1, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// `true` once the event has happened.
    pub fn is_set(&self) -> bool {
        self.at.load(Ordering::SeqCst) != 0
    }

    /// When the event first happened.
    pub fn at(&self) -> Option<Instant> {
        match self.at.load(Ordering::SeqCst) {
            0 => None,
            n => Some(origin() + Duration::from_nanos(n - 1)),
        }
    }
}

/// Everything the suite observes about one piece of work.
///
/// Share it with the work as an `Arc<Probe>`; the work marks what it does and
/// owns a [`WorkGuard`] whose `Drop` marks `dropped`.
#[derive(Debug, Default)]
pub struct Probe {
    /// The work was polled for the first time.
    pub started: Mark,
    /// The work produced its output.
    pub completed: Mark,
    /// The work's owned state (its guard) was dropped.
    pub dropped: Mark,
    /// The work was told to stop and began its async cleanup.
    pub cleanup_started: Mark,
    /// The work's async cleanup finished.
    pub cleanup_done: Mark,
    /// A busy loop that never yields came to its end.
    pub spin_done: Mark,
    /// A blocking call on a blocking thread began.
    pub block_started: Mark,
    /// A blocking call on a blocking thread came to its end.
    pub block_done: Mark,
    /// Set by the observer to tell lingering helpers (detached children) to end.
    pub released: AtomicBool,
    polls: AtomicU64,
    alive: AtomicI64,
}

impl Probe {
    /// A new probe, shared.
    pub fn new() -> Arc<Probe> {
        Arc::new(Probe::default())
    }

    /// A guard for the work to own. Its `Drop` marks [`Probe::dropped`].
    pub fn guard(self: &Arc<Self>) -> WorkGuard {
        self.alive.fetch_add(1, Ordering::SeqCst);
        WorkGuard {
            probe: Arc::clone(self),
            panic_on_drop: false,
        }
    }

    /// How many guards of this probe are still alive.
    pub fn alive(&self) -> i64 {
        self.alive.load(Ordering::SeqCst)
    }

    /// How many times futures wrapped by [`count_polls`] were polled.
    pub fn polls(&self) -> u64 {
        self.polls.load(Ordering::SeqCst)
    }

    /// Tells helpers that watch [`Probe::released`] to end.
    pub fn release(&self) {
        self.released.store(true, Ordering::SeqCst);
    }

    /// `true` once [`Probe::release`] was called.
    pub fn is_released(&self) -> bool {
        self.released.load(Ordering::SeqCst)
    }
}

/// State owned by the work: when it is dropped, the probe knows.
#[derive(Debug)]
pub struct WorkGuard {
    probe: Arc<Probe>,
    panic_on_drop: bool,
}

/// The message of the panic raised by a guard made with
/// [`WorkGuard::panicking`]; the suite recognises it in reports.
pub const DROP_PANIC_MESSAGE: &str = "scripted panic in Drop";

impl WorkGuard {
    /// Makes this guard panic when it is dropped, as a destructor with a bug
    /// would (used to observe invariant I7).
    pub fn panicking(mut self) -> WorkGuard {
        self.panic_on_drop = true;
        self
    }
}

impl Drop for WorkGuard {
    fn drop(&mut self) {
        self.probe.alive.fetch_sub(1, Ordering::SeqCst);
        self.probe.dropped.set();
        // Never panic while already unwinding: that would abort the process.
        if self.panic_on_drop && !std::thread::panicking() {
            panic!("{DROP_PANIC_MESSAGE}");
        }
    }
}

/// Wraps `fut` so every poll is counted on `probe`.
///
/// # Cancel safety
///
/// Dropping the returned future drops `fut`; the polls counted so far stay.
pub async fn count_polls<F: Future>(probe: Arc<Probe>, fut: F) -> F::Output {
    let mut fut = pin!(fut);
    std::future::poll_fn(move |cx| {
        probe.polls.fetch_add(1, Ordering::SeqCst);
        fut.as_mut().poll(cx)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Poll;

    #[test]
    fn mark_keeps_the_first_instant() {
        let m = Mark::default();
        assert!(!m.is_set());
        assert_eq!(m.at(), None);
        m.set();
        let first = m.at().unwrap();
        std::thread::sleep(Duration::from_millis(2));
        m.set();
        assert_eq!(m.at(), Some(first));
    }

    #[test]
    fn guard_counts_alive_and_marks_drop() {
        let probe = Probe::new();
        let a = probe.guard();
        let b = probe.guard();
        assert_eq!(probe.alive(), 2);
        drop(a);
        assert!(probe.dropped.is_set());
        assert_eq!(probe.alive(), 1);
        drop(b);
        assert_eq!(probe.alive(), 0);
    }

    #[test]
    fn panicking_guard_panics_with_the_known_message() {
        let probe = Probe::new();
        let guard = probe.guard().panicking();
        let err = std::panic::catch_unwind(move || drop(guard)).unwrap_err();
        assert_eq!(cancel_contract::panic_message(&*err), DROP_PANIC_MESSAGE);
        assert!(probe.dropped.is_set());
    }

    #[test]
    fn count_polls_counts_every_poll() {
        let probe = Probe::new();
        let mut yielded = false;
        let fut = std::future::poll_fn(|cx| {
            if yielded {
                Poll::Ready(5)
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        });
        let out = futures_lite_block_on(count_polls(Arc::clone(&probe), fut));
        assert_eq!(out, 5);
        assert_eq!(probe.polls(), 2);
    }

    /// A minimal executor for this module's tests, so they need no runtime.
    fn futures_lite_block_on<F: Future>(fut: F) -> F::Output {
        use std::task::{Context, Waker};
        let mut fut = pin!(fut);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }
}
