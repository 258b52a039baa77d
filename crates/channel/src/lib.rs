//! Stop async work with a stop message over a channel.
//!
//! The work is handed the receiving end of a channel; it selects on it and,
//! when the message (or the channel's closing) arrives, it may still `.await`
//! its cleanup before it returns. Sending asks; the sender then waits until
//! the work has returned.
//!
//! The work returns `Option<T>`: `Some(output)` when it finished, `None` when
//! it stopped because it was told to.
//!
//! # Layout
//!
//! | module | feature | one task (`run_with_timeout`) | handed on (`start`) |
//! |---|---|---|---|
//! | [`tokio`] | `tokio` | `tokio::sync::oneshot` | `tokio::sync::watch` |
//! | [`async_std`] | `async-std` | `async_std::channel`, closed | the same, cloned |
//! | [`smol`] | `smol` | `async_channel`, closed | the same, cloned |
//!
//! On tokio, a `oneshot` is the lightest stop message for one future, but its
//! receiver cannot be shared; `start` uses a `watch` instead, so the work can
//! hand clones of the receiver to tasks it spawns. `watch` rather than
//! `broadcast`: a watch keeps its latest value, so a receiver cloned or first
//! polled after the stop still sees it, and there is no capacity to overflow
//! or lag to handle. On async-std and smol, closing an `async-channel` wakes
//! every receiver, clones included, and stays closed: it serves both cases.
//!
//! Each module has `run_with_timeout`, `start`, `start_with` and
//! `CAPABILITIES`, and a `StopChannel`: the channel of the table's last
//! column as one value, with `new`, `stop`, `is_stopped` and `receiver`.
//! `start` makes one per work; `start_with(signal, work)` (smol:
//! `start_with(ex, signal, work)`) takes one you share, so one `stop` stops a
//! group of tasks. Dropping the last clone of a channel is a stop message
//! too: a dropped handle stops its work unless the channel is shared. A
//! handle lends its channel with `signal()`.
//!
//! The contract's types these signatures name ([`Outcome`],
//! [`Cancellation`], [`Error`], [`CancelHandle`], [`Capabilities`], [`Cap`])
//! are re-exported at the crate root: this crate alone is enough to use it.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # {
//! use std::time::Duration;
//! use cancel_channel::Outcome;
//!
//! #[tokio::main(flavor = "current_thread", start_paused = true)]
//! async fn main() {
//!     let outcome = cancel_channel::tokio::run_with_timeout(Duration::from_millis(10), |stop| async move {
//!         tokio::select! {
//!             _ = tokio::time::sleep(Duration::from_secs(60)) => Some("done"),
//!             // A message or a dropped sender: either way, stop.
//!             _ = stop => {
//!                 tokio::time::sleep(Duration::from_millis(1)).await; // clean up
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

/// What a stop message does, on every runtime (the suite observes each).
pub const CAPABILITIES: Capabilities = Capabilities {
    // The message only asks: the work is polled on and may await its cleanup.
    async_cleanup: Cap::Yes,
    // Work that hands clones of its receiver to its children stops them too.
    stops_children: Cap::Yes,
    // A loop that never awaits never reads the channel.
    stops_cpu_bound: Cap::No,
    // A blocking call reads no channel: it runs to its natural end.
    interrupts_blocking: Cap::No,
    // Work that stops while awaiting a blocking call returns at once and
    // leaves the call running on its blocking thread.
    leaves_blocking_running: Cap::Yes,
    // The handle owns the sender; dropping it closes the channel.
    cancel_on_handle_drop: Cap::Yes,
    // Work that never reads the channel runs to its end.
    needs_cooperation: Cap::Yes,
    drop_runs_on_force: Cap::Unsupported("a stop message only asks; there is no forced stop"),
};
