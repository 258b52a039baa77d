//! Drop-on-select: stop async work by dropping its future.
//!
//! A future that is never polled again does nothing more, so the simplest way
//! to stop async work is to drop it: `tokio::time::timeout`,
//! `async_std::future::timeout` and `futures_lite::FutureExt::or` with an
//! `async_io::Timer` all do exactly that when the timer wins.
//!
//! # Layout
//!
//! One module per runtime, each behind the cargo feature of the same name, so
//! a user of one runtime compiles no other:
//!
//! | module | feature | timeout | start / cancel |
//! |---|---|---|---|
//! | [`tokio`] | `tokio` | `tokio::time::timeout` | `tokio::spawn` + `tokio::select!` on a `oneshot` |
//! | [`async_std`] | `async-std` | `async_std::future::timeout` | `async_std::task::spawn` + `or` on a channel |
//! | [`smol`] | `smol` | `or` with `async_io::Timer` | `Executor::spawn` + `or` on a channel |
//!
//! Each module has `run_with_timeout`, `run_until`, `start` (returning a
//! handle that implements [`CancelHandle`]) and `CAPABILITIES`; no
//! `start_with`, as each handle owns its own stop and no signal reaches a
//! group.
//!
//! `run_until(until, work)` is `run_with_timeout` with any future as the
//! deadline: the runtime's timer is one (`run_with_timeout` uses it), a
//! precise timer is another (`run_until(cancel_timer::tokio::sleep(d),
//! work)` times out within tens of microseconds on tokio, whose own timer
//! rounds up to its next millisecond; `cancel_timer::sleep(d)` needs no
//! runtime at all), and so is any stop signal. The contract is the same:
//! `Outcome::TimedOut` means `until` completed first and the work has been
//! dropped.
//! The contract's types these signatures name ([`Outcome`],
//! [`Cancellation`], [`Error`], [`CancelHandle`], [`Capabilities`], [`Cap`])
//! are re-exported at the crate root: this crate alone is enough to use it.
//!
//! # What it guarantees
//!
//! - The work is dropped **before** the timeout or the stop is reported, so
//!   its `Drop` has run (invariant I4); a panicking `Drop` comes back as
//!   [`Error::CleanupPanicked`].
//! - Output that is ready when the deadline or the stop is noticed wins over
//!   the stop (invariant I1): the work is always polled first.
//! - Nothing else: the work cannot `.await` any cleanup (it is never polled
//!   again), tasks it spawned live on, CPU-bound work runs until it yields,
//!   and a blocking call it handed to a thread pool runs to its end.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # {
//! use std::time::Duration;
//! use cancel_select::Outcome;
//!
//! #[tokio::main(flavor = "current_thread", start_paused = true)]
//! async fn main() {
//!     let slow = async {
//!         tokio::time::sleep(Duration::from_secs(60)).await;
//!         "done"
//!     };
//!     let outcome = cancel_select::tokio::run_with_timeout(Duration::from_millis(10), slow).await;
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

// The contract's types this crate's signatures name: with this crate alone in
// `[dependencies]`, a user can name and match its results.
pub use cancel_contract::{CancelHandle, Cancellation, Cap, Capabilities, Error, Outcome};

/// What drop-on-select does, on every runtime (the suite observes each).
pub const CAPABILITIES: Capabilities = Capabilities {
    // A dropped future is never polled again: it cannot await anything.
    async_cleanup: Cap::No,
    // Tasks spawned by the work are not owned by its future.
    stops_children: Cap::No,
    // The timer is only looked at when the work yields.
    stops_cpu_bound: Cap::No,
    // A blocking call looks at nothing: it runs to its natural end.
    interrupts_blocking: Cap::No,
    // Dropping the future that awaits a blocking call returns at once and
    // leaves the call running on its blocking thread.
    leaves_blocking_running: Cap::Yes,
    // Our handle owns the stop sender: dropping it is a stop message.
    cancel_on_handle_drop: Cap::Yes,
    // The work is stopped from outside at its next `.await`.
    needs_cooperation: Cap::No,
    // Dropping the future drops everything it owns.
    drop_runs_on_force: Cap::Yes,
};

/// `run_until` on every runtime: run `work` until it completes or `until`
/// does, the work polled first; on `until` the work is dropped before this
/// returns.
#[cfg(any(feature = "tokio", feature = "async-std", feature = "smol"))]
async fn run_until<F, U>(until: U, work: F) -> Result<cancel_contract::Outcome<F::Output>, Error>
where
    F: std::future::Future,
    U: std::future::Future<Output = ()>,
{
    use cancel_contract::{Outcome, drop_slot, run_slot};
    use std::future::Future as _;
    use std::task::Poll;

    // The work sits in a slot we own, so we, not `until`, decide when it is dropped.
    let mut slot = std::pin::pin!(Some(work));
    let finished = {
        let mut run = std::pin::pin!(run_slot(slot.as_mut()));
        let mut until = std::pin::pin!(until);
        // The work first: output ready when `until` completes wins (I1).
        std::future::poll_fn(|cx| match run.as_mut().poll(cx) {
            Poll::Ready(result) => Poll::Ready(Some(result)),
            Poll::Pending => until.as_mut().poll(cx).map(|()| None),
        })
        .await
    };
    match finished {
        Some(result) => result.map(Outcome::Completed),
        // Drop the work now, before reporting (I4), catching a panicking Drop (I7).
        None => drop_slot(slot).map(|()| Outcome::TimedOut),
    }
}

/// The wrapper task shared by the async-std and smol modules: run the work
/// until it finishes or `stop` completes, then drop it inside the task.
#[cfg(any(feature = "async-std", feature = "smol"))]
async fn until_stopped<F, S>(
    work: F,
    stop: S,
) -> Result<cancel_contract::Cancellation<F::Output>, cancel_contract::Error>
where
    F: std::future::Future,
    S: std::future::Future<Output = ()>,
{
    use cancel_contract::{Cancellation, drop_slot, run_slot};
    use futures_lite::FutureExt as _;

    let mut slot = std::pin::pin!(Some(work));
    // `or` polls the work first, so output ready when the stop arrives wins (I1).
    let finished = async { Some(run_slot(slot.as_mut()).await) }
        .or(async {
            stop.await;
            None
        })
        .await;
    match finished {
        Some(result) => result.map(Cancellation::Finished),
        // Stopped: drop the work here, inside the task, so a panicking Drop is
        // caught and reported (I7) and has run before `cancel` returns (I4).
        None => drop_slot(slot).map(|()| Cancellation::Stopped),
    }
}
