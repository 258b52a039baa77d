//! A small adapter over the four runtimes, so the conformance suite and the
//! measurements are written once.
//!
//! Strategy crates do not use it: they call their runtime's own API, because
//! seeing that API is the point. The adapter only gives the suite what it
//! needs around the work: block on a future, spawn a detached task, run a
//! blocking call, sleep, yield, and read the runtime's clock; and, for the
//! real-work cases, the runtime's own sockets, child processes and files
//! ([`real_io::Io`]).
//!
//! | runtime | type | feature | virtual time |
//! |---|---|---|---|
//! | tokio current-thread | [`TokioCurrentThread`] | `tokio` | yes (`start_paused`) |
//! | tokio multi-thread | [`TokioMultiThread`] | `tokio` | no |
//! | async-std | [`AsyncStd`] | `async-std` | no |
//! | smol | [`Smol`] | `smol` | no |

#[cfg(feature = "async-std")]
mod async_std;
pub mod real_io;
#[cfg(feature = "smol")]
mod smol;
#[cfg(feature = "tokio")]
mod tokio;

#[cfg(feature = "async-std")]
pub use self::async_std::{AsyncStd, AsyncStdHandle};
#[cfg(feature = "smol")]
pub use self::smol::{Smol, SmolHandle};
#[cfg(feature = "tokio")]
pub use self::tokio::{TokioCurrentThread, TokioHandle, TokioMultiThread};

use std::fmt;
use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

/// The four runtimes, by their report names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuntimeKind {
    /// tokio's current-thread scheduler.
    TokioCurrentThread,
    /// tokio's multi-thread (work-stealing) scheduler.
    TokioMultiThread,
    /// async-std's global runtime (deprecated upstream in favour of smol).
    AsyncStd,
    /// smol: an `async_executor::Executor` driven by worker threads, with
    /// `async-io` timers.
    Smol,
}

impl RuntimeKind {
    /// Every runtime, in the order reports list them.
    pub const ALL: [RuntimeKind; 4] = [
        RuntimeKind::TokioCurrentThread,
        RuntimeKind::TokioMultiThread,
        RuntimeKind::AsyncStd,
        RuntimeKind::Smol,
    ];

    /// The name used in reports and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            RuntimeKind::TokioCurrentThread => "tokio-current-thread",
            RuntimeKind::TokioMultiThread => "tokio-multi-thread",
            RuntimeKind::AsyncStd => "async-std",
            RuntimeKind::Smol => "smol",
        }
    }

    /// The runtime with this report name.
    pub fn from_name(name: &str) -> Option<RuntimeKind> {
        RuntimeKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for RuntimeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which clock a case wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Wall-clock time.
    Real,
    /// Paused, auto-advancing time where the runtime has it (tokio
    /// current-thread); real time elsewhere. Timing checks become exact.
    Virtual,
}

/// A runtime the suite can build, block on and drop.
///
/// Dropping it shuts the runtime down: tasks still alive are dropped where
/// the runtime does that (tokio, smol); async-std's global runtime lives on.
pub trait Runtime: Sized + 'static {
    /// A cheap, cloneable handle that work running on this runtime can use.
    type Handle: RuntimeHandle + real_io::Io;

    /// Which runtime this is.
    const KIND: RuntimeKind;

    /// Builds a fresh runtime with the requested clock (see [`Clock`]).
    fn build(clock: Clock) -> io::Result<Self>;

    /// The handle for work to use.
    fn handle(&self) -> Self::Handle;

    /// Runs `fut` to completion on this runtime, blocking the calling thread.
    fn block_on<F: Future>(&self, fut: F) -> F::Output;

    /// `true` when this runtime's clock is virtual (paused and auto-advancing).
    fn is_virtual_time(&self) -> bool;

    /// How many tasks the runtime itself counts as alive, where it counts them.
    fn alive_tasks(&self) -> Option<usize>;
}

/// What work running on a runtime can ask of it.
pub trait RuntimeHandle: Clone + Send + Sync + 'static {
    /// The runtime's own handle to a task started by
    /// [`spawn`](RuntimeHandle::spawn): tokio's and async-std's
    /// `JoinHandle`, smol's `Task`.
    type Task: Send + 'static;

    /// Spawns a task at once and returns the runtime's own handle to it,
    /// for [`join`](RuntimeHandle::join) or [`abort`](RuntimeHandle::abort).
    fn spawn<F>(&self, fut: F) -> Self::Task
    where
        F: Future<Output = ()> + Send + 'static;

    /// Waits until a task started by [`spawn`](RuntimeHandle::spawn) has
    /// ended.
    fn join(task: Self::Task) -> impl Future<Output = ()> + Send + 'static;

    /// Stops a task started by [`spawn`](RuntimeHandle::spawn) with the
    /// runtime's own call (tokio `JoinHandle::abort`, async-std
    /// `JoinHandle::cancel`, smol `Task::cancel`) and waits until it has
    /// ended.
    fn abort(task: Self::Task) -> impl Future<Output = ()> + Send + 'static;

    /// Runs `fut` under the runtime's own timeout (tokio `time::timeout`,
    /// async-std `future::timeout`, smol: `or` with an async-io `Timer`):
    /// `None` when the timer won.
    fn timeout<F>(&self, d: Duration, fut: F) -> impl Future<Output = Option<F::Output>> + Send
    where
        F: Future + Send;

    /// Spawns a task and lets it run on its own (the handle is dropped).
    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Runs a blocking call on the runtime's blocking thread pool.
    ///
    /// A panic in `f` resumes on the awaiting task.
    fn spawn_blocking<T, F>(&self, f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;

    /// Sleeps on the runtime's timer. `Duration::MAX` sleeps forever.
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send + 'static;

    /// Yields once to the scheduler.
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static;

    /// The runtime's clock: virtual when the runtime's time is paused.
    fn now(&self) -> Instant;
}
