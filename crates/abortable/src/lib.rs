//! A runtime-agnostic abort: wrap the work in futures' `Abortable` and stop it
//! with its `AbortHandle`.
//!
//! `futures_util::future::Abortable` is a plain future around the work. It
//! shares a small `Arc` with an `AbortHandle`: an "aborted" flag and the waker
//! of whoever polls it. `AbortHandle::abort()` sets the flag and wakes that
//! waker; the next poll of the `Abortable` sees the flag and completes with
//! `Err(Aborted)`, without polling the work again. Nothing else happens: the
//! work is not dropped by the abort, only by whoever owns the `Abortable`.
//!
//! # Layout
//!
//! One module per runtime, each behind the cargo feature of the same name, so
//! a user of one runtime compiles no other. Only the timer and the spawn come
//! from the runtime; the stop is the same `Abortable` everywhere.
//!
//! | module | feature | timer | spawn |
//! |---|---|---|---|
//! | [`tokio`] | `tokio` | `tokio::time::sleep` | `tokio::spawn` |
//! | [`async_std`] | `async-std` | `async_std::task::sleep` | `async_std::task::spawn` |
//! | [`smol`] | `smol` | `async_io::Timer` | `Executor::spawn` |
//!
//! Each module has `run_with_timeout(timeout, work)`, `start(work)` (smol:
//! `start(ex, work)`) returning an `AbortableHandle` that implements
//! [`CancelHandle`], and `CAPABILITIES`. `run_with_timeout` spawns nothing:
//! the `Abortable`, the work and the timer live in the caller's future.
//!
//! # How it differs from tokio's `JoinHandle::abort`
//!
//! tokio's `abort` acts on a *task*: the runtime marks it cancelled and, the
//! next time it gets to it, drops the task's future instead of polling it.
//! It needs a tokio task, and the drop is the runtime's.
//!
//! `Abortable` acts on a *future*: the flag is checked only when the
//! `Abortable` is polled. `abort()` wakes the task that polls it, and the
//! check happens at that task's next poll. So it works on any executor, and
//! with no task at all (one branch of a `join`, a future inside a
//! `block_on`), and an aborted `Abortable` is only *finished*, not dropped:
//! its owner drops it, and the work inside with it.
//!
//! # Design choices
//!
//! - **The `AbortHandle` is the stop.** `request_stop` is `abort()`; `cancel`
//!   is `abort()` and then waiting for the task that polls the `Abortable`.
//! - **Dropping the handle does not abort.** Faithful to futures, where
//!   dropping an `AbortHandle` is not a signal: the work runs on, detached,
//!   on every runtime (`cancel_on_handle_drop` is `No`). On smol, whose
//!   `Task` cancels its task when dropped, the handle detaches its `Task`.
//! - **The work sits in a slot beside the `Abortable`.** The `Abortable`
//!   wraps the *run* of the work, not the work: an abort leaves the work in
//!   a pinned slot, and the strategy drops it there with its panic caught
//!   ([`Error::CleanupPanicked`]). So a panicking `Drop` never reaches an
//!   executor, and the work's `Drop` has run when the stop is reported. (The
//!   raw `spawn(abortable(work))` leaves the aborted work inside the
//!   finished future, which async-std and smol drop inside `async-task`'s
//!   `abort_on_panic`: a panicking `Drop` aborts the process;
//!   `tests/raw_drop_panic.rs` watches it happen in a child process.)
//! - **No task is cancelled.** The `Abortable` completes normally, with
//!   `Err(Aborted)`, so the task ends as any task does, and an output
//!   produced before the abort was seen is kept (invariant I1). A task lost
//!   to its runtime shutting down (or, on smol, its executor dropped) is
//!   [`Error::Lost`].
//!
//! # What it guarantees
//!
//! - When `run_with_timeout` or `cancel` returns, the work will never be
//!   polled again and its `Drop` has run (invariant I4).
//! - A panic in the work is [`Error::WorkPanicked`], a panic in its `Drop`
//!   during the stop [`Error::CleanupPanicked`], never a process abort or a
//!   hang (invariant I7).
//! - `Duration::ZERO` polls the work once first (ready work completes);
//!   `Duration::MAX` never times out and never panics (invariant I8).
//! - Nothing else: an aborted work cannot `.await` a cleanup, tasks it
//!   spawned live on, CPU-bound work runs until it yields (the flag is read
//!   only between polls), and a blocking call it handed to a thread runs to
//!   its end.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # {
//! use std::future::{pending, ready};
//! use std::time::Duration;
//! use cancel_abortable::{Cancellation, Outcome};
//!
//! #[tokio::main(flavor = "current_thread", start_paused = true)]
//! async fn main() {
//!     // Ready work beats the deadline; parked work is aborted at it.
//!     let quick = cancel_abortable::tokio::run_with_timeout(Duration::from_secs(1), ready(7)).await;
//!     assert_eq!(quick, Ok(Outcome::Completed(7)));
//!     let slow = cancel_abortable::tokio::run_with_timeout(Duration::from_secs(1), pending::<u8>()).await;
//!     assert_eq!(slow, Ok(Outcome::TimedOut));
//!
//!     // Started work stops at its task's next poll after `abort()`.
//!     let handle = cancel_abortable::tokio::start(pending::<u8>());
//!     assert_eq!(handle.cancel().await, Ok(Cancellation::Stopped));
//!
//!     // Work that had finished gives its output, even to `cancel`.
//!     let handle = cancel_abortable::tokio::start(ready(8));
//!     while !handle.is_finished() {
//!         tokio::task::yield_now().await;
//!     }
//!     assert_eq!(handle.cancel().await, Ok(Cancellation::Finished(8)));
//! }
//! # main();
//! # }
//! ```

#[cfg(feature = "async-std")]
pub mod async_std;
#[cfg(feature = "smol")]
pub mod smol;
#[cfg(feature = "tokio")]
pub mod tokio;

pub use cancel_contract::{CancelHandle, Cancellation, Cap, Capabilities, Error, Outcome};
/// The stop a handle lends with `signal()`.
pub use futures_util::future::AbortHandle;

#[cfg(any(feature = "tokio", feature = "async-std", feature = "smol"))]
use std::future::Future;

#[cfg(any(feature = "tokio", feature = "async-std", feature = "smol"))]
use futures_util::future::{AbortRegistration, Abortable, Aborted};

/// What the abortable strategy does, on every runtime.
#[cfg(any(feature = "tokio", feature = "async-std", feature = "smol"))]
const CAPABILITIES: Capabilities = Capabilities {
    // An aborted `Abortable` never polls its work again: it cannot await anything.
    async_cleanup: Cap::No,
    // Tasks the work spawned are tasks of their own, not inside the `Abortable`.
    stops_children: Cap::No,
    // The flag is read only when the `Abortable` is polled, between the work's polls.
    stops_cpu_bound: Cap::No,
    // An abort reaches the future, not the thread the blocking call runs on.
    interrupts_blocking: Cap::No,
    // Dropping the future that awaits a blocking call returns at once and
    // leaves the call running on its blocking thread.
    leaves_blocking_running: Cap::Yes,
    // Dropping a futures `AbortHandle` is not an abort; our handle keeps that.
    cancel_on_handle_drop: Cap::No,
    // The work checks nothing: its `Abortable` wrapper does, at every poll.
    needs_cooperation: Cap::No,
    // An aborted work is dropped from its slot before the stop is reported.
    drop_runs_on_force: Cap::Yes,
};

/// Runs `work` inside an `Abortable` tied to `reg`, until it finishes or is
/// aborted; an aborted work is dropped here, before this returns.
///
/// This is the body of every task the crate spawns, and it never panics: a
/// panic of the work is [`Error::WorkPanicked`], one of its `Drop` after an
/// abort [`Error::CleanupPanicked`].
#[cfg(any(feature = "tokio", feature = "async-std", feature = "smol"))]
async fn run_abortable<F: Future>(
    work: F,
    reg: AbortRegistration,
) -> Result<Cancellation<F::Output>, Error> {
    let mut slot = std::pin::pin!(Some(work));
    // The `Abortable` wraps the run of the slot, not the work: an abort
    // leaves the work in the slot, for us to drop with its panic caught (I7).
    let ended = Abortable::new(cancel_contract::run_slot(slot.as_mut()), reg).await;
    match ended {
        // The work finished before the abort was seen: its output wins (I1).
        Ok(result) => result.map(Cancellation::Finished),
        // Aborted: drop the work now, before the stop is reported (I4).
        Err(Aborted) => cancel_contract::drop_slot(slot).map(|()| Cancellation::Stopped),
    }
}

/// Runs `work` until it finishes or `deadline` completes; then aborts it
/// and returns once it has been dropped. The core of every module's
/// `run_with_timeout`.
#[cfg(any(feature = "tokio", feature = "async-std", feature = "smol"))]
async fn run_until<F: Future, D: Future>(
    work: F,
    deadline: D,
) -> Result<Outcome<F::Output>, Error> {
    use std::task::Poll;

    let (abort, reg) = futures_util::future::AbortHandle::new_pair();
    let mut run = std::pin::pin!(run_abortable(work, reg));
    let mut deadline = std::pin::pin!(deadline);
    let ended = std::future::poll_fn(|cx| {
        // Poll the work before the deadline: output ready at the deadline wins (I1).
        if let Poll::Ready(ended) = run.as_mut().poll(cx) {
            return Poll::Ready(ended);
        }
        if deadline.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        // The deadline passed: abort. The flag is read only at the next poll
        // of the `Abortable`, so poll it now; it ends at once, without
        // polling the work, and the work is dropped before it returns (I4).
        abort.abort();
        run.as_mut().poll(cx)
    })
    .await;
    ended.map(Outcome::from)
}

/// A tiny drop flag for the modules' tests.
#[cfg(all(test, any(feature = "tokio", feature = "async-std", feature = "smol")))]
mod testing {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// What a panicking [`DropFlag`] panics with.
    pub(crate) const DROP_PANIC: &str = "the work's Drop panicked";

    /// Sets its flag when dropped, and then panics if it was made to.
    #[derive(Debug)]
    pub(crate) struct DropFlag {
        dropped: Arc<AtomicBool>,
        panics: bool,
    }

    /// Reads whether the [`DropFlag`] it came with has been dropped.
    #[derive(Debug, Clone)]
    pub(crate) struct Dropped(Arc<AtomicBool>);

    impl Dropped {
        pub(crate) fn get(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }
    }

    impl DropFlag {
        pub(crate) fn new() -> (DropFlag, Dropped) {
            let dropped = Arc::new(AtomicBool::new(false));
            let flag = DropFlag {
                dropped: Arc::clone(&dropped),
                panics: false,
            };
            (flag, Dropped(dropped))
        }

        pub(crate) fn panicking() -> (DropFlag, Dropped) {
            let (mut flag, dropped) = DropFlag::new();
            flag.panics = true;
            (flag, dropped)
        }
    }

    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.dropped.store(true, Ordering::SeqCst);
            if self.panics {
                panic!("{DROP_PANIC}");
            }
        }
    }

    /// Counts the polls of the work it is shared with.
    #[derive(Debug, Clone, Default)]
    pub(crate) struct Polls(Arc<AtomicUsize>);

    impl Polls {
        pub(crate) fn count(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }

        /// Work that never finishes and counts its polls.
        pub(crate) fn pending<T: Send + 'static>(
            &self,
        ) -> impl Future<Output = T> + Send + 'static {
            let polls = Arc::clone(&self.0);
            std::future::poll_fn(move |_| {
                polls.fetch_add(1, Ordering::SeqCst);
                std::task::Poll::Pending
            })
        }
    }

    pub(crate) fn boom() -> u8 {
        panic!("boom")
    }
}
