//! The timeout-and-cancel contract that every cancel-lab strategy meets.
//!
//! # Layout
//!
//! - [`Outcome`] and [`Cancellation`]: what the two operations of the contract
//!   return, and [`Error`]: how a panic in the work or its cleanup comes back.
//! - [`CancelHandle`]: the start → handle → cancel shape every strategy's
//!   handle implements.
//! - [`Capabilities`]: what a strategy on a runtime declares it can do; the
//!   conformance suite observes each one and fails on a mismatch.
//! - [`cooperative`]: the shared core of strategies that *ask* the work to
//!   stop and wait for it (stop messages, tokens, flags).
//! - [`run_slot`] and [`drop_slot`]: run work held in a pinned slot with its
//!   panics caught, and drop it exactly when a strategy decides to.
//! - [`delegate_cancel_handle!`]: a handle's inherent methods double as its
//!   [`CancelHandle`] impl.
//! - [`token_strategy!`] and [`token_strategy_tests!`]: one runtime module of
//!   a token-shaped strategy, and the tests it passes, written once for
//!   `cancel-token` (tokio-util's `CancellationToken`) and `cancel-scope`
//!   (its `CancelScope`).
//!
//! No strategy runs here and no runtime is compiled (the workspace's lints
//! deny unchecked code too): a strategy crate depends on this crate for the
//! types above and on its runtimes directly, and re-exports what its
//! signatures name, so its users need only it. The runtime adapters and
//! probes the suite observes with are in the unpublished `cancel-harness`
//! crate.
//!
//! `token_strategy!` is the one piece of strategy code kept here, as a
//! template: `cancel-token` and `cancel-scope` would otherwise be renamed
//! copies of each other, and neither may depend on the other. It is a macro
//! rather than generic code over a token trait because the orphan rule keeps
//! `cancel-token` from implementing this crate's trait for tokio-util's type
//! (and a newtype would hand the work something other than tokio-util's
//! token), and because the code calls a runtime (`::tokio::spawn`,
//! `::async_io::Timer`, ...): a macro's paths resolve in the crate that
//! expands it, which depends on that runtime, so this crate stays free of
//! runtimes.
//!
//! # The contract
//!
//! 1. **Run with a timeout**: run the work; if it finishes first return
//!    [`Outcome::Completed`] with its output; if the deadline passes first, stop
//!    it, wait until it *has* stopped, and return [`Outcome::TimedOut`].
//! 2. **Start / cancel**: start the work in the background and get a
//!    [`CancelHandle`]; [`CancelHandle::cancel`] stops it and waits until it
//!    has stopped, returning [`Cancellation::Finished`] with the output instead
//!    if the work had already finished.
//!
//! "Stopped" means the work will never be polled again, its owned state has
//! been dropped and, where the strategy allows it, its async cleanup has run.
//!
//! ```
//! use cancel_contract::{Cancellation, Outcome};
//!
//! let timed: Outcome<u32> = Outcome::Completed(7);
//! assert_eq!(timed.completed(), Some(7));
//! let cancelled: Cancellation<u32> = Cancellation::Stopped;
//! assert!(cancelled.is_stopped());
//! ```

mod capability;
pub mod cooperative;
mod error;
mod handle;
mod outcome;
mod slot;
mod token_strategy;

pub use capability::{Cap, Capabilities, Capability};
pub use error::{Error, panic_message};
pub use handle::CancelHandle;
pub use outcome::{Cancellation, Outcome};
pub use slot::{catch_panics, drop_slot, run_slot};
