//! A cancellation scope that needs no async runtime: cancel with a cause,
//! cancel at a deadline, derive children, link several parents, and check
//! "am I cancelled?" with one atomic load.
//!
//! [`CancelScope`] does the job of tokio-util's `CancellationToken` (and has
//! its migration helpers, [`drop_guard`](CancelScope::drop_guard) and
//! [`run_until_cancelled`](CancelScope::run_until_cancelled)), plus what Go's
//! `context`, .NET's `CancellationTokenSource` and Trio's cancel scopes have
//! and it lacks: a [`Cause`], deadlines ([`with_deadline`](CancelScope::with_deadline),
//! [`with_timeout`](CancelScope::with_timeout), [`cancel_after`](CancelScope::cancel_after))
//! and [`linked`](CancelScope::linked) scopes. It works on every runtime,
//! because it uses none: `cancelled()` is a plain `Send` future woken by its
//! waker, and deadlines run on one timer thread shared by the process.
//!
//! # Layout
//!
//! - [`CancelScope`]: the handle; clones share one scope.
//! - [`Cause`], with the built-in causes [`Cancelled`] and [`DeadlineExceeded`].
//! - [`CancelledFuture`] / [`CancelledOwnedFuture`]: what `cancelled()` returns.
//! - [`DropGuard`]: cancels its scope when dropped.
//! - `node` (private): the concurrent core, checked with loom
//!   (`tests/loom.rs`); `timer`: the deadline thread; `wake`: waking outside locks.
//! - The contract's strategy, one module and cargo feature per runtime, like
//!   `cancel-token`'s: [`tokio`] (`tokio`), [`async_std`] (`async-std`),
//!   [`smol`] (`smol`), each with `run_with_timeout`, `start`, `start_with`
//!   (on the scope you give) and `CAPABILITIES`; a handle lends its scope
//!   with `signal()`. With no feature on, no runtime is compiled.
//! - The contract's types the strategy's signatures name ([`Outcome`],
//!   [`Cancellation`], [`Error`], [`CancelHandle`], [`Capabilities`],
//!   [`Cap`]), re-exported: this crate alone is enough to use it.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use cancel_scope::{CancelScope, DeadlineExceeded};
//!
//! let server = CancelScope::new();
//! let request = server.with_timeout(Duration::ZERO); // a child with a deadline
//! let either = CancelScope::linked(&[server.clone(), CancelScope::new()]);
//!
//! assert!(request.is_cancelled()); // a deadline in the past cancels at once
//! assert!(request.cause().is_some_and(|c| c.is::<DeadlineExceeded>()));
//! assert!(!server.is_cancelled()); // never upwards
//!
//! server.cancel_with("shutting down");
//! assert!(either.is_cancelled());
//! assert_eq!(either.cause().map(|c| c.to_string()).as_deref(), Some("shutting down"));
//! ```
//!
//! The contract's strategy on tokio, the scope as the work's stop signal:
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # {
//! use std::time::Duration;
//! use cancel_scope::Outcome;
//!
//! #[tokio::main(flavor = "current_thread", start_paused = true)]
//! async fn main() {
//!     let outcome = cancel_scope::tokio::run_with_timeout(Duration::from_millis(10), |scope| async move {
//!         // `None` once the scope is cancelled: the work stopped on request.
//!         let slept = scope.run_until_cancelled(tokio::time::sleep(Duration::from_secs(60)));
//!         slept.await.map(|()| "done")
//!     })
//!     .await;
//!     assert_eq!(outcome, Ok(Outcome::TimedOut));
//! }
//! # main();
//! # }
//! ```
//!
//! # Cancel safety
//!
//! [`CancelledFuture`] can be dropped at any time (the usual fate of a
//! `select!` branch that lost): its waker is unregistered, nothing else
//! happens. It can be polled again after it is ready, and stays ready.

mod cause;
mod node;
mod sync;
mod timer;
mod wake;

#[cfg(feature = "async-std")]
pub mod async_std;
#[cfg(feature = "smol")]
pub mod smol;
#[cfg(feature = "tokio")]
pub mod tokio;

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

// The contract's types this crate's signatures name: with this crate alone in
// `[dependencies]`, a user can name and match its results.
pub use cancel_contract::{CancelHandle, Cancellation, Cap, Capabilities, Error, Outcome};

pub use cause::{Cancelled, Cause, DeadlineExceeded};
use node::Node;

/// A cancellation scope. Clones are handles to the same scope.
///
/// Cancelling a scope cancels its children (and theirs), never its parents.
/// A scope has no owner: any handle can cancel it, and the scope lives while
/// any handle, child or pending future does.
#[derive(Clone)]
pub struct CancelScope {
    node: Arc<Node>,
}

impl CancelScope {
    /// A new scope, not cancelled, with no parent and no deadline.
    pub fn new() -> CancelScope {
        CancelScope { node: Node::root() }
    }

    /// A child scope: cancelled when this one is (with its cause), never
    /// the reverse. A child of a cancelled scope is born cancelled.
    ///
    /// Dropping every handle of the child removes it from this scope at
    /// once, so children that come and go never grow their parent.
    pub fn child(&self) -> CancelScope {
        CancelScope {
            node: Node::child(&self.node),
        }
    }

    /// A scope cancelled when any of `parents` is, with the cause of the
    /// first to be cancelled (.NET's `CreateLinkedTokenSource`). With no
    /// parents it is a plain new scope.
    ///
    /// ```
    /// use cancel_scope::CancelScope;
    ///
    /// let (shutdown, client_gone) = (CancelScope::new(), CancelScope::new());
    /// let request = CancelScope::linked([&shutdown, &client_gone]);
    /// client_gone.cancel_with("client hung up");
    /// assert!(request.is_cancelled());
    /// assert!(!shutdown.is_cancelled());
    /// ```
    pub fn linked<'a>(parents: impl IntoIterator<Item = &'a CancelScope>) -> CancelScope {
        CancelScope {
            node: Node::linked(parents.into_iter().map(|p| &p.node)),
        }
    }

    /// A child scope that is also cancelled at `deadline`, with the cause
    /// [`DeadlineExceeded`] (Go's `context.WithDeadline`). A deadline that
    /// has passed cancels the child before this returns.
    ///
    /// Deadlines are real time (`std::time::Instant`), kept by one timer
    /// thread started on first use; a runtime's paused or mocked clock does
    /// not move them.
    ///
    /// # Panics
    ///
    /// Only if the operating system refuses to start the timer thread.
    pub fn with_deadline(&self, deadline: Instant) -> CancelScope {
        let child = self.child();
        child.cancel_at(deadline);
        child
    }

    /// A child scope that is also cancelled `timeout` from now, with the
    /// cause [`DeadlineExceeded`]. `Duration::ZERO` cancels it at once;
    /// `Duration::MAX` (or any timeout past what `Instant` can hold) never.
    ///
    /// # Panics
    ///
    /// Only if the operating system refuses to start the timer thread.
    pub fn with_timeout(&self, timeout: Duration) -> CancelScope {
        let child = self.child();
        child.cancel_after(timeout);
        child
    }

    /// Cancels this scope at `deadline` with the cause [`DeadlineExceeded`],
    /// unless it is cancelled before. Several deadlines may be set: the
    /// earliest wins.
    ///
    /// # Panics
    ///
    /// Only if the operating system refuses to start the timer thread.
    pub fn cancel_at(&self, deadline: Instant) {
        timer::cancel_at(&self.node, deadline);
    }

    /// Cancels this scope `timeout` from now with the cause
    /// [`DeadlineExceeded`] (.NET's `CancelAfter`). `Duration::ZERO` cancels
    /// at once; a timeout past what `Instant` can hold never cancels.
    ///
    /// # Panics
    ///
    /// Only if the operating system refuses to start the timer thread.
    pub fn cancel_after(&self, timeout: Duration) {
        // `Instant + Duration::MAX` overflows: no representable deadline means never.
        if let Some(deadline) = Instant::now().checked_add(timeout) {
            self.cancel_at(deadline);
        }
    }

    /// Cancels this scope and all its descendants, with the cause
    /// [`Cancelled`]. Returns `false` if it was already cancelled.
    ///
    /// Every descendant is marked cancelled before this returns; the tasks
    /// waiting in `cancelled()` are woken outside every lock.
    pub fn cancel(&self) -> bool {
        self.node.cancel(Cause::cancelled())
    }

    /// Cancels this scope and all its descendants with `cause`: an error, or
    /// a message (`&str`, `String`). Returns `false`, and keeps the first
    /// cause, if it was already cancelled.
    pub fn cancel_with(&self, cause: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> bool {
        self.node.cancel(Cause::new(cause))
    }

    /// `true` once this scope is cancelled: one atomic load, at any depth.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.node.is_cancelled()
    }

    /// Why this scope was cancelled, or `None` while it is not.
    pub fn cause(&self) -> Option<Cause> {
        self.node.cause()
    }

    /// A future that completes once this scope is cancelled.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping it unregisters its waker and has no other effect.
    pub fn cancelled(&self) -> CancelledFuture<'_> {
        CancelledFuture {
            node: &self.node,
            slot: None,
        }
    }

    /// [`cancelled`](CancelScope::cancelled), owning its handle (for
    /// `'static` futures).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`cancelled`](CancelScope::cancelled).
    pub fn cancelled_owned(self) -> CancelledOwnedFuture {
        CancelledOwnedFuture {
            scope: self,
            slot: None,
        }
    }

    /// Runs `fut` until it completes (`Some(output)`) or this scope is
    /// cancelled (`None`, and `fut` is dropped). Output that is ready wins
    /// over a cancel, as in tokio-util.
    ///
    /// # Cancel safety
    ///
    /// As cancel safe as `fut`: dropping this drops `fut`.
    pub async fn run_until_cancelled<F: Future>(&self, fut: F) -> Option<F::Output> {
        let mut cancelled = self.cancelled();
        let mut fut = pin!(fut);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(output) = fut.as_mut().poll(cx) {
                return Poll::Ready(Some(output));
            }
            Pin::new(&mut cancelled).poll(cx).map(|()| None)
        })
        .await
    }

    /// [`run_until_cancelled`](CancelScope::run_until_cancelled), owning its
    /// handle.
    ///
    /// # Cancel safety
    ///
    /// As cancel safe as `fut`: dropping this drops `fut`.
    pub async fn run_until_cancelled_owned<F: Future>(self, fut: F) -> Option<F::Output> {
        self.run_until_cancelled(fut).await
    }

    /// A guard that cancels this scope when dropped, unless disarmed.
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { scope: Some(self) }
    }
}

impl Default for CancelScope {
    fn default() -> Self {
        CancelScope::new()
    }
}

impl fmt::Debug for CancelScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelScope")
            .field("is_cancelled", &self.is_cancelled())
            .finish_non_exhaustive()
    }
}

/// Completes once its scope is cancelled; see [`CancelScope::cancelled`].
#[must_use = "futures do nothing unless polled"]
pub struct CancelledFuture<'a> {
    node: &'a Node,
    /// Where the waker is registered, if it is.
    slot: Option<u32>,
}

impl Future for CancelledFuture<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.node.poll_cancelled(&mut this.slot, cx.waker())
    }
}

impl Drop for CancelledFuture<'_> {
    fn drop(&mut self) {
        // Unregister, so a future dropped in a `select!` leaves nothing behind.
        if let Some(slot) = self.slot {
            self.node.forget_waiter(slot);
        }
    }
}

impl fmt::Debug for CancelledFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelledFuture")
            .field("is_cancelled", &self.node.is_cancelled())
            .finish()
    }
}

/// Completes once its scope is cancelled; see [`CancelScope::cancelled_owned`].
#[must_use = "futures do nothing unless polled"]
pub struct CancelledOwnedFuture {
    scope: CancelScope,
    slot: Option<u32>,
}

impl Future for CancelledOwnedFuture {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        this.scope.node.poll_cancelled(&mut this.slot, cx.waker())
    }
}

impl Drop for CancelledOwnedFuture {
    fn drop(&mut self) {
        // As for `CancelledFuture`: unregister the waker.
        if let Some(slot) = self.slot {
            self.scope.node.forget_waiter(slot);
        }
    }
}

impl fmt::Debug for CancelledOwnedFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelledOwnedFuture")
            .field("scope", &self.scope)
            .finish()
    }
}

/// Cancels its scope when dropped; see [`CancelScope::drop_guard`].
#[derive(Debug)]
pub struct DropGuard {
    scope: Option<CancelScope>,
}

impl DropGuard {
    /// The guarded scope.
    pub fn scope(&self) -> &CancelScope {
        // `scope` is only taken by `disarm`, which consumes the guard.
        self.scope
            .as_ref()
            .expect("a live guard always holds its scope")
    }

    /// Gives the scope back without cancelling it.
    pub fn disarm(mut self) -> CancelScope {
        // `scope` is `Some` until here, and `self` is consumed.
        self.scope
            .take()
            .expect("a live guard always holds its scope")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(scope) = self.scope.take() {
            scope.cancel();
        }
    }
}

/// What a cancel scope does as a strategy of the contract, on every runtime
/// (the suite observes each): the same as `cancel-token`'s, since both only
/// ask.
pub const CAPABILITIES: Capabilities = Capabilities {
    // Cancelling only asks: the work is polled on and may await its cleanup.
    async_cleanup: Cap::Yes,
    // Work that hands child scopes to its children stops them too.
    stops_children: Cap::Yes,
    // A loop that never awaits or checks never sees the scope.
    stops_cpu_bound: Cap::No,
    // A blocking call looks at no scope: it runs to its natural end.
    interrupts_blocking: Cap::No,
    // Work that stops while awaiting a blocking call returns at once and
    // leaves the call running on its blocking thread.
    leaves_blocking_running: Cap::Yes,
    // The handle holds the scope's drop guard.
    cancel_on_handle_drop: Cap::Yes,
    // Work that never looks at its scope runs to its end.
    needs_cooperation: Cap::Yes,
    drop_runs_on_force: Cap::Unsupported("a scope only asks; there is no forced stop"),
};

// The crate README's samples are doc tests too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

// The chapter `docs/scope.md` is compiled and run here as well (its samples
// need tokio, a dev-dependency that `--cfg loom` builds leave out).
#[cfg(all(doctest, feature = "tokio"))]
#[doc = include_str!("../../../docs/scope.md")]
struct ChapterDoctests;

// Under `--cfg loom` only the loom models run (see `tests/loom.rs`).
#[cfg(all(test, not(loom)))]
mod tests;
