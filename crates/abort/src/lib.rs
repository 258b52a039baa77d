//! A forced stop: run async work as a task and abort it from outside.
//!
//! The work is spawned on the runtime as a task of its own, and stopped with
//! the runtime's own tool: `JoinHandle::abort` on tokio, `JoinHandle::cancel`
//! on async-std, dropping or cancelling a `Task` on smol. The work does not
//! have to listen for anything: the task is dropped at whichever `.await` it
//! is parked on, and its `Drop` runs (the myth that `abort()` skips `Drop` is
//! wrong; the `drop_runs_on_force` case shows it).
//!
//! # Layout
//!
//! One module per runtime, each behind the cargo feature of the same name, so
//! a user of one runtime compiles no other:
//!
//! | module | feature | spawn | stop | dropping the handle |
//! |---|---|---|---|---|
//! | [`tokio`] | `tokio` | `tokio::spawn` | `JoinHandle::abort`, then await it | detaches the task |
//! | [`async_std`] | `async-std` | `async_std::task::spawn` | `JoinHandle::cancel().await` | detaches the task |
//! | [`smol`] | `smol` | `Executor::spawn` | `Task::cancel().await`, or drop the `Task` | cancels the task |
//!
//! Each module has `run_with_timeout`, `start` (returning a handle that
//! implements [`CancelHandle`]) and `CAPABILITIES`; no `start_with`, as an
//! abort stops one task and no signal reaches a group.
//! The contract's types these signatures name ([`Outcome`],
//! [`Cancellation`], [`Error`], [`CancelHandle`], [`Capabilities`], [`Cap`])
//! are re-exported at the crate root: this crate alone is enough to use it.
//!
//! # What it guarantees
//!
//! - An abort only *asks*; this crate then waits until the task has stopped,
//!   so when the timeout or the cancel is reported the work's `Drop` has run
//!   (invariant I4).
//! - Output the work produced before the abort took effect is returned, not
//!   thrown away (invariant I1). On tokio, awaiting the `JoinHandle` after
//!   `abort()` gives it back. On async-std and smol it must be kept beside
//!   the task: `async-task`, which both build on, drops the output of a task
//!   that completes while a cancel is pending, and `cancel` returns `None`.
//! - A panic in the work or in its `Drop` comes back as an
//!   [`Error`], never as an abort of the process
//!   (invariant I7). tokio drops an aborted task inside `catch_unwind`;
//!   `async-task` drops it inside `abort_on_panic`, so on async-std and smol
//!   the work is wrapped and its `Drop` caught before `async-task` sees it.
//! - A timeout is judged only once the work has been polled: a task still
//!   waiting for a worker is not stopped unpolled, so `Duration::ZERO` polls
//!   the work once, and ready work completes.
//! - Nothing else: the work cannot `.await` a cleanup (it is never polled
//!   again), tasks it spawned with the runtime's `spawn` are detached and live
//!   on, CPU-bound work runs until it yields, and a call it handed to a
//!   blocking thread runs to its end.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # {
//! use std::time::Duration;
//! use cancel_abort::Outcome;
//!
//! #[tokio::main(flavor = "current_thread", start_paused = true)]
//! async fn main() {
//!     let slow = async {
//!         tokio::time::sleep(Duration::from_secs(60)).await;
//!         "done"
//!     };
//!     // The work runs as a task; at the deadline it is aborted, and the
//!     // timeout is reported once the task has stopped.
//!     let outcome = cancel_abort::tokio::run_with_timeout(Duration::from_millis(10), slow).await;
//!     assert_eq!(outcome, Ok(Outcome::TimedOut));
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

#[cfg(any(feature = "async-std", feature = "smol"))]
mod guarded;

// The contract's types this crate's signatures name: with this crate alone in
// `[dependencies]`, a user can name and match its results.
pub use cancel_contract::{CancelHandle, Cancellation, Cap, Capabilities, Error, Outcome};

/// `Some(output)` of `first` if it completes before `until`, `None` once
/// `until` completes first; `first` is polled first (I1).
#[cfg(any(feature = "tokio", feature = "async-std", feature = "smol"))]
async fn before<A: std::future::Future, U: std::future::Future>(
    first: A,
    until: U,
) -> Option<A::Output> {
    let mut first = std::pin::pin!(first);
    let mut until = std::pin::pin!(until);
    std::future::poll_fn(|cx| match first.as_mut().poll(cx) {
        std::task::Poll::Ready(v) => std::task::Poll::Ready(Some(v)),
        std::task::Poll::Pending => until.as_mut().poll(cx).map(|_| None),
    })
    .await
}

/// What a forced stop does on every runtime; only what dropping the handle
/// does differs between them.
#[cfg(any(feature = "tokio", feature = "async-std", feature = "smol"))]
const fn capabilities(cancel_on_handle_drop: Cap) -> Capabilities {
    Capabilities {
        // An aborted task is never polled again: it cannot await anything.
        async_cleanup: Cap::No,
        // Tasks the work spawned are tasks of their own, detached from it.
        stops_children: Cap::No,
        // An abort takes effect when the task next yields, not before.
        stops_cpu_bound: Cap::No,
        // An abort reaches the task, not the thread the blocking call runs on.
        interrupts_blocking: Cap::No,
        // Aborting the task drops its await on the blocking call, not the
        // call: the task ends at once, the call runs on.
        leaves_blocking_running: Cap::Yes,
        cancel_on_handle_drop,
        // The work is stopped from outside, at whichever `.await` it is on.
        needs_cooperation: Cap::No,
        // Aborting a task drops its future, and everything the future owns.
        drop_runs_on_force: Cap::Yes,
    }
}
