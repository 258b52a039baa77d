//! Blocking work stopped by a flag.
//!
//! Nothing can stop a thread from outside: not `JoinHandle::abort`, not
//! dropping a handle, not a runtime shutting down. Blocking work stops when
//! it looks at a [`StopFlag`] and sees it set. So the work here is a blocking
//! closure handed the flag, `FnOnce(&StopFlag) -> Option<T>`, which returns
//! `Some(v)` when it finished and `None` when it stopped because the flag
//! said so (the convention of tokio-util's `run_until_cancelled`). Timing
//! out or cancelling sets the flag, then **waits until the work has
//! returned**.
//!
//! # Layout
//!
//! `std_thread` is always compiled and needs no runtime; each async module
//! sits behind the cargo feature of the same name, so a user of one runtime
//! compiles no other:
//!
//! | module | feature | the work runs on | timeout | start / cancel |
//! |---|---|---|---|---|
//! | [`std_thread`] | — | `std::thread::spawn` | `mpsc::Receiver::recv_timeout`, then `join` | blocking `ThreadHandle::cancel` |
//! | [`tokio`] | `tokio` | `tokio::task::spawn_blocking` | `tokio::time::timeout` on the `JoinHandle` | `ThreadHandle`, a [`CancelHandle`] |
//! | [`async_std`] | `async-std` | `async_std::task::spawn_blocking` | `async_std::future::timeout` on the `JoinHandle` | `ThreadHandle`, a `CancelHandle` |
//! | [`smol`] | `smol` | `blocking::unblock` | `or` with `async_io::Timer` | `ThreadHandle`, a `CancelHandle` |
//!
//! Each module has `run_with_timeout`, `start`, `start_with` (on a
//! [`StopFlag`] you share) and `CAPABILITIES`; a handle lends its flag with
//! `signal()`. None needs an executor passed in, because every blocking pool
//! here is global or ambient.
//! The contract's types these signatures name ([`Outcome`],
//! [`Cancellation`], [`Error`], [`CancelHandle`], [`Capabilities`], [`Cap`])
//! are re-exported at the crate root: this crate alone is enough to use it.
//!
//! # What it guarantees
//!
//! - When `run_with_timeout` or `cancel` returns, the work has returned:
//!   nothing of it runs any more, not even a blocking call it was in, its
//!   owned state has been dropped, and the cleanup it did after seeing the
//!   flag has finished — blocking cleanup on its own thread, not an `.await`.
//! - Output wins (invariant I1): work that returns `Some(v)` even though the
//!   flag was set is reported as completed or finished with `v`.
//! - Threads the work starts stop too when it hands them a clone of the flag.
//! - Dropping a handle sets the flag and lets the thread go, like C++'s
//!   `std::jthread` without the join (dropping never blocks): a handle that
//!   only detached would take the last way to stop the work with it. Call
//!   `detach` to let the work run on.
//! - Nothing else: the stop is a request. A loop that never checks the flag
//!   runs to its end, and so does a blocking call; no module can force the
//!   work, and tokio's `JoinHandle::abort` cannot stop a `spawn_blocking`
//!   closure that has started (see the [`tokio`] module). What the work can
//!   do for a blocking call it cannot check inside (a socket read, a query,
//!   a wait on a child) is register a [`StopFlag::on_stop`] hook that makes
//!   the call return (a `shutdown`, an interrupt, a kill): the stop runs it.
//!
//! A panic in the work, or in its `Drop` as it returns, comes back as
//! [`Error::WorkPanicked`]: both happen inside the one closure, so the two
//! cannot be told apart. `None` returned when nobody asked the work to stop
//! is [`Error::Lost`].
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use cancel_thread::{Cancellation, Outcome};
//! use cancel_thread::std_thread;
//!
//! // Blocking work that looks at its flag between small steps.
//! let count = |flag: &cancel_thread::StopFlag| {
//!     let mut sum = 0_u64;
//!     for n in 0..1_000_u64 {
//!         if flag.is_stopped() {
//!             return None;
//!         }
//!         sum += n;
//!     }
//!     Some(sum)
//! };
//! let outcome = std_thread::run_with_timeout(Duration::from_secs(60), count);
//! assert_eq!(outcome, Ok(Outcome::Completed(499_500)));
//!
//! let handle = std_thread::start(|flag| {
//!     while !flag.is_stopped() {
//!         std::thread::sleep(Duration::from_millis(1));
//!     }
//!     None::<u64>
//! });
//! // Sets the flag, then waits until the thread has returned.
//! assert_eq!(handle.cancel(), Ok(Cancellation::Stopped));
//! ```
//!
//! The same work on tokio's blocking pool:
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # {
//! use std::time::Duration;
//! use cancel_thread::Outcome;
//!
//! #[tokio::main]
//! async fn main() {
//!     let outcome = cancel_thread::tokio::run_with_timeout(Duration::from_millis(10), |flag| {
//!         while !flag.is_stopped() {
//!             std::thread::sleep(Duration::from_millis(1));
//!         }
//!         None::<u64>
//!     })
//!     .await;
//!     assert_eq!(outcome, Ok(Outcome::TimedOut));
//! }
//! # main();
//! # }
//! ```

#[cfg(feature = "async-std")]
pub mod async_std;
mod flag;
#[cfg(feature = "smol")]
pub mod smol;
pub mod std_thread;
#[cfg(feature = "tokio")]
pub mod tokio;

/// `Some(output)` of `first` if it completes before `until`, `None` once
/// `until` completes first; `first` is polled first, so a result already
/// there wins.
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

pub use flag::{OnStop, StopFlag};

// The contract's types this crate's signatures name: with this crate alone in
// `[dependencies]`, a user can name and match its results.
pub use cancel_contract::{CancelHandle, Cancellation, Cap, Capabilities, Error, Outcome};

/// What a thread with a stop flag does, on every runtime and on a plain
/// `std::thread` (the suite observes each).
pub const CAPABILITIES: Capabilities = Capabilities {
    // The work runs its cleanup after it sees the flag and before it returns,
    // and we wait for it to return. It is blocking cleanup on the work's
    // thread, not an `.await`: the work is a closure, not a future.
    async_cleanup: Cap::Yes,
    // A thread the work starts stops too when it is handed a clone of the flag.
    stops_children: Cap::Yes,
    // A loop that never looks at the flag runs to its end.
    stops_cpu_bound: Cap::No,
    // The flag is only looked at between calls: a blocking call that does not
    // look at it runs to its natural end.
    interrupts_blocking: Cap::No,
    // The stop is confirmed only once the work has returned, so a blocking
    // call it was in has ended by then: nothing runs after the timeout
    // returns, which is as late as the call is long.
    leaves_blocking_running: Cap::No,
    // Dropping a handle sets the flag: it asks, as `request_stop` does, and
    // cannot force (work that never looks runs on) nor wait (dropping never
    // blocks).
    // A handle that only detached would leave work that nobody can stop any
    // more, and on tokio a runtime's drop waits for every running
    // `spawn_blocking` closure, so it would never return.
    cancel_on_handle_drop: Cap::Yes,
    // The flag is only a request: work that never checks it is not stopped.
    needs_cooperation: Cap::Yes,
    drop_runs_on_force: Cap::Unsupported("a thread cannot be forced to stop"),
};

/// What the work's return value means once it has returned: `None` is a stop
/// only if one was asked for; otherwise the work gave up on its own.
fn ended<T>(returned: Option<T>, flag: &StopFlag) -> Result<Cancellation<T>, Error> {
    cancel_contract::cooperative::settle(Ok(returned), flag.is_stopped())
}

/// Sets the flag when dropped, so a `run_with_timeout` future dropped before
/// it finishes still asks its work to stop. Defused once the work has
/// returned: no stop was asked then, and threads the work handed the flag to
/// must not be told to stop.
#[cfg(any(feature = "tokio", feature = "async-std", feature = "smol"))]
struct StopOnDrop<'a>(Option<&'a StopFlag>);

#[cfg(any(feature = "tokio", feature = "async-std", feature = "smol"))]
impl<'a> StopOnDrop<'a> {
    fn new(flag: &'a StopFlag) -> Self {
        StopOnDrop(Some(flag))
    }

    /// The work has returned: dropping this no longer sets the flag.
    fn defuse(mut self) {
        self.0 = None;
    }
}

#[cfg(any(feature = "tokio", feature = "async-std", feature = "smol"))]
impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(flag) = self.0 {
            flag.stop();
        }
    }
}

/// The closure the async-std and smol modules hand to their blocking pools:
/// the work, with a panic caught on its own thread. Both pools would resume
/// the panic in whoever awaits the task, not return it as a value the way
/// tokio's `JoinError` does.
#[cfg(any(feature = "async-std", feature = "smol"))]
fn caught<W, T>(
    flag: StopFlag,
    work: W,
) -> impl FnOnce() -> Result<Option<T>, Error> + Send + 'static
where
    W: FnOnce(&StopFlag) -> Option<T> + Send + 'static,
    T: Send + 'static,
{
    use std::panic::{AssertUnwindSafe, catch_unwind};

    // AssertUnwindSafe: after a panic the work is gone; only its message is kept.
    move || {
        catch_unwind(AssertUnwindSafe(|| work(&flag)))
            .map_err(|payload| Error::WorkPanicked(cancel_contract::panic_message(&*payload)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_is_a_stop_only_when_one_was_asked_for() {
        let flag = StopFlag::new();
        assert!(matches!(ended::<u8>(None, &flag), Err(Error::Lost(_))));
        assert_eq!(ended(Some(1), &flag), Ok(Cancellation::Finished(1)));
        flag.stop();
        assert_eq!(ended::<u8>(None, &flag), Ok(Cancellation::Stopped));
        // Output that exists wins over the stop (I1).
        assert_eq!(ended(Some(2), &flag), Ok(Cancellation::Finished(2)));
    }
}
