//! Stop async work with a token: tokio-util's `CancellationToken`.
//!
//! The work is handed a [`CancellationToken`]; it selects on
//! `token.cancelled()` (or wraps a step in `token.run_until_cancelled(..)`)
//! and, once cancelled, may still `.await` its cleanup before it returns.
//! Cancelling asks; the canceller then waits until the work has returned.
//!
//! The work returns `Option<T>`: `Some(output)` when it finished, `None` when
//! it stopped because its token was cancelled.
//!
//! # Layout
//!
//! | module | feature | timer | spawn |
//! |---|---|---|---|
//! | [`tokio`] | `tokio` | `tokio::time::sleep` | `tokio::spawn` |
//! | [`async_std`] | `async-std` | `async_std::task::sleep` | `async_std::task::spawn` |
//! | [`smol`] | `smol` | `async_io::Timer` | `Executor::spawn` |
//!
//! Each module has `run_with_timeout`, `start`, `start_with` (on the token
//! you give) and `CAPABILITIES`. A handle implements [`CancelHandle`],
//! cancels its token when dropped, through the token's `drop_guard`, and
//! lends it with `signal()`.
//! The contract's types these signatures name ([`Outcome`],
//! [`Cancellation`], [`Error`], [`CancelHandle`], [`Capabilities`], [`Cap`])
//! are re-exported at the crate root: this crate alone is enough to use it.
//!
//! The token is tokio-util's, built on tokio's synchronisation primitives
//! only: it needs no tokio runtime, and the conformance suite observes it
//! working on async-std and smol too.
//!
//! # Children
//!
//! `token.child_token()` is cancelled with its parent (not the other way
//! round), so work that hands child tokens to the tasks it spawns stops them
//! too. tokio-util's `TaskTracker` then waits for them; see this crate's
//! `tests/children.rs`.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # {
//! use std::time::Duration;
//! use cancel_token::Outcome;
//!
//! #[tokio::main(flavor = "current_thread", start_paused = true)]
//! async fn main() {
//!     let outcome = cancel_token::tokio::run_with_timeout(Duration::from_millis(10), |token| async move {
//!         tokio::select! {
//!             _ = tokio::time::sleep(Duration::from_secs(60)) => Some("done"),
//!             _ = token.cancelled() => {
//!                 // Still running: flush, say goodbye, then stop.
//!                 tokio::time::sleep(Duration::from_millis(1)).await;
//!                 None
//!             }
//!         }
//!     })
//!     .await;
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
pub use tokio_util::sync::CancellationToken;

/// What a cancellation token does, on every runtime (the suite observes each).
pub const CAPABILITIES: Capabilities = Capabilities {
    // Cancelling only asks: the work is polled on and may await its cleanup.
    async_cleanup: Cap::Yes,
    // Work that hands child tokens to its children stops them too.
    stops_children: Cap::Yes,
    // A loop that never awaits never sees the token.
    stops_cpu_bound: Cap::No,
    // A blocking call looks at no token: it runs to its natural end.
    interrupts_blocking: Cap::No,
    // Work that stops while awaiting a blocking call returns at once and
    // leaves the call running on its blocking thread.
    leaves_blocking_running: Cap::Yes,
    // The handle holds the token's drop guard.
    cancel_on_handle_drop: Cap::Yes,
    // Work that never looks at its token runs to its end.
    needs_cooperation: Cap::Yes,
    drop_runs_on_force: Cap::Unsupported("a token only asks; there is no forced stop"),
};
