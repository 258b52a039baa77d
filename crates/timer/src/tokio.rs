//! Precise deadlines woken by a tokio runtime's own reactor (feature
//! `tokio`).
//!
//! [`crate::sleep`]'s timer thread must wake first and then wake the
//! runtime's thread: two wake-ups. These futures, polled inside a tokio
//! runtime on Linux, arm a `timerfd` registered with that runtime's I/O
//! driver instead, so the runtime's own thread, parked in `epoll_wait`, is
//! the one the expiry wakes: one wake-up, as async-io's timer on async-std
//! and smol. Each runtime gets one timerfd and one task, on first use.
//!
//! Anywhere else they are [`crate::sleep`]'s: the same guarantees, on the
//! timer thread. That is outside a tokio runtime, on another operating
//! system, where no timerfd can be made, and in a multi-thread runtime's
//! `block_on` future (the `#[tokio::main]` body), whose thread is none of
//! the runtime's workers: there the expiry would wake a worker, which
//! would then have to wake that thread, and the timer thread wakes it
//! sooner. Spawned tasks get the reactor on both schedulers. A [`Sleep`] keeps the timer it was
//! first armed on; if that runtime shuts down first, it arms again
//! wherever it is next polled.
//!
//! Like tokio's own timer, a deadline armed on a runtime fires only while
//! the runtime is driven: a current-thread runtime blocked inside a task
//! cannot wake it.
//!
//! # Panics
//!
//! Polled inside a tokio runtime built without I/O (no `enable_io` or
//! `enable_all`; `#[tokio::main]` enables it), as tokio's own I/O types do.
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() {
//!     let start = Instant::now();
//!     cancel_timer::tokio::sleep(Duration::from_micros(100)).await;
//!     assert!(start.elapsed() >= Duration::from_micros(100));
//!
//!     let slow = std::future::pending::<()>();
//!     let result = cancel_timer::tokio::timeout(Duration::from_micros(100), slow).await;
//!     assert_eq!(result, Err(cancel_timer::Elapsed));
//! }
//! ```

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use crate::{Elapsed, Sleep, race};

/// [`crate::sleep`], woken by the tokio runtime it is polled in.
pub fn sleep(duration: Duration) -> Sleep {
    crate::sleep(duration).via_runtime()
}

/// [`crate::sleep_until`], woken by the tokio runtime it is polled in.
pub fn sleep_until(deadline: Instant) -> Sleep {
    crate::sleep_until(deadline).via_runtime()
}

/// [`crate::timeout`], woken by the tokio runtime it is polled in.
///
/// # Cancel safety
///
/// Dropping the returned future drops `future` and removes the deadline.
pub async fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Result<F::Output, Elapsed> {
    race(future.into_future(), sleep(duration)).await
}

/// [`crate::timeout_at`], woken by the tokio runtime it is polled in.
///
/// # Cancel safety
///
/// As [`timeout`].
pub async fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Result<F::Output, Elapsed> {
    race(future.into_future(), sleep_until(deadline)).await
}
