//! Precise deadlines for any async runtime.
//!
//! tokio's timer rounds every deadline up to its next 1 ms tick, so a
//! 100 µs `tokio::time::timeout` comes back about a millisecond late; a
//! condition variable's or a `nanosleep`'s timed wait ends up to the
//! thread's timer slack (50 µs by default on Linux) late. This crate's
//! [`sleep`], [`sleep_until`] and [`timeout`] are woken by one timer thread
//! for the whole process that waits on a `timerfd` on Linux (no tick, no
//! slack), so they come back within tens of microseconds of the deadline on
//! tokio, async-std, smol or a plain `block_on`: they need no runtime, only
//! a waker.
//!
//! # Guarantees
//!
//! - **Never early.** A future completes only once `Instant::now()` has
//!   reached its deadline; the timer thread only decides when it is polled.
//! - **`Duration::ZERO`** and deadlines that have passed complete on the
//!   first poll, with no thread involved. **`Duration::MAX`** (any deadline
//!   past what `Instant` can hold) never completes and arms nothing.
//! - **Nothing left behind.** A future's deadline is removed from the timer
//!   when the future completes or is dropped ([`armed`] counts what is
//!   left), and an idle timer thread is blocked in one `read`: no spinning.
//! - **Real time.** A runtime's paused or mocked clock does not move these
//!   deadlines.
//!
//! # Example
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() {
//!     let start = Instant::now();
//!     cancel_timer::sleep(Duration::from_micros(100)).await;
//!     assert!(start.elapsed() >= Duration::from_micros(100));
//!
//!     let slow = std::future::pending::<()>();
//!     let result = cancel_timer::timeout(Duration::from_micros(100), slow).await;
//!     assert_eq!(result, Err(cancel_timer::Elapsed));
//! }
//! ```
//!
//! On tokio, the [`tokio`] module (feature `tokio`) arms the same futures
//! on the runtime's own reactor, a timerfd registered with its I/O driver:
//! one wake-up where the timer thread costs two.
//!
//! With a cancel-lab strategy, a precise deadline is the stop of its
//! `run_until` (`cancel_select::tokio::run_until(cancel_timer::tokio::sleep(d), work)`),
//! and `cancel-scope`'s deadlines use this timer.

#![deny(unsafe_code)]

mod driver;
#[cfg(all(feature = "tokio", any(target_os = "linux", target_os = "android")))]
mod reactor;
#[cfg(feature = "tokio")]
pub mod tokio;

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A future that completes at its deadline: see [`sleep`] and
/// [`sleep_until`].
///
/// It is `Unpin` and cancel safe: dropping it removes its deadline from the
/// timer.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    /// `None`: a deadline past what `Instant` can hold, which never comes.
    deadline: Option<Instant>,
    /// Whether a tokio runtime's reactor may wake it ([`tokio::sleep`]).
    via_runtime: bool,
    /// The armed entry, while there is one.
    armed: Option<Armed>,
}

/// Where a [`Sleep`]'s deadline is armed.
#[derive(Debug)]
enum Armed {
    /// On the timer thread.
    Thread(driver::Key),
    /// On a tokio runtime's reactor.
    #[cfg(all(feature = "tokio", any(target_os = "linux", target_os = "android")))]
    Reactor(std::sync::Arc<reactor::Reactor>, driver::Key),
}

impl Armed {
    /// Arms `at` to wake `waker`: on the reactor of the tokio runtime this
    /// thread is in if `via_runtime` and there is one, else on the thread.
    fn new(at: Instant, waker: &Waker, via_runtime: bool) -> Armed {
        #[cfg(all(feature = "tokio", any(target_os = "linux", target_os = "android")))]
        if via_runtime
            && let Some(reactor) = reactor::current()
            && let Some(key) = reactor.insert(at, waker)
        {
            return Armed::Reactor(reactor, key);
        }
        let _ = via_runtime;
        Armed::Thread(driver::insert(at, waker))
    }

    /// Replaces the waker; `false` if the entry is gone (fired or closed).
    fn update(&self, waker: &Waker) -> bool {
        match self {
            Armed::Thread(key) => driver::update(*key, waker),
            #[cfg(all(feature = "tokio", any(target_os = "linux", target_os = "android")))]
            Armed::Reactor(reactor, key) => reactor.update(*key, waker),
        }
    }

    /// Takes the entry out, if it is still there.
    fn remove(self) {
        match self {
            Armed::Thread(key) => driver::remove(key),
            #[cfg(all(feature = "tokio", any(target_os = "linux", target_os = "android")))]
            Armed::Reactor(reactor, key) => reactor.remove(key),
        }
    }
}

/// Completes `duration` from now, or later; never before.
///
/// `Duration::ZERO` completes on the first poll. A duration past what
/// `Instant` can hold (`Duration::MAX`) never completes.
///
/// # Panics
///
/// When first polled pending, if the timer thread is not running yet and
/// the operating system refuses to start it, as `std::thread::spawn` does.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now().checked_add(duration),
        via_runtime: false,
        armed: None,
    }
}

/// Completes at `deadline`, or later; never before. A deadline that has
/// passed completes on the first poll.
///
/// # Panics
///
/// As [`sleep`].
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline: Some(deadline),
        via_runtime: false,
        armed: None,
    }
}

impl Sleep {
    /// The deadline, or `None` for one that never comes.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// `true` once the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        self.deadline.is_some_and(|at| Instant::now() >= at)
    }

    /// The same deadline, to be woken by the tokio runtime it is polled in.
    #[cfg(feature = "tokio")]
    pub(crate) fn via_runtime(mut self) -> Sleep {
        self.via_runtime = true;
        self
    }

    /// Removes the armed entry, if any.
    fn disarm(&mut self) {
        if let Some(armed) = self.armed.take() {
            armed.remove();
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(at) = self.deadline else {
            // Never: nothing to arm, nobody to wake.
            return Poll::Pending;
        };
        // The clock decides, not the timer thread: never early.
        if Instant::now() >= at {
            self.disarm();
            return Poll::Ready(());
        }
        match &self.armed {
            Some(armed) if armed.update(cx.waker()) => {}
            // First poll, the entry fired (a wake before `at` cannot happen,
            // but re-arming costs nothing if it did), or its runtime shut
            // down and woke it to arm elsewhere.
            _ => self.armed = Some(Armed::new(at, cx.waker(), self.via_runtime)),
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // Dropped before its deadline: take the entry out, leave nothing.
        self.disarm();
    }
}

/// The error of a [`timeout`] whose deadline came first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Runs `future` until it completes or `duration` passes.
///
/// The future is polled before the deadline is looked at, so output ready
/// at the deadline wins. On `Err(Elapsed)` the future has been dropped.
/// `Duration::ZERO` polls it once; `Duration::MAX` never times out.
///
/// # Cancel safety
///
/// Dropping the returned future drops `future` and removes the deadline.
///
/// # Panics
///
/// As [`sleep`].
pub async fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Result<F::Output, Elapsed> {
    race(future.into_future(), sleep(duration)).await
}

/// Runs `future` until it completes or `deadline` passes: [`timeout`] with
/// an `Instant`.
///
/// # Cancel safety
///
/// As [`timeout`].
///
/// # Panics
///
/// As [`sleep`].
pub async fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Result<F::Output, Elapsed> {
    race(future.into_future(), sleep_until(deadline)).await
}

/// `future` against `sleep`, the future first.
pub(crate) async fn race<F: Future>(future: F, mut sleep: Sleep) -> Result<F::Output, Elapsed> {
    let mut future = pin!(future);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        Pin::new(&mut sleep).poll(cx).map(|()| Err(Elapsed))
    })
    .await
}

/// A deadline that wakes a given waker: see [`wake_at`]. Dropping it
/// removes the deadline if it has not fired.
#[derive(Debug)]
#[must_use = "dropping an Alarm removes its deadline"]
pub struct Alarm {
    key: driver::Key,
}

/// Wakes `waker` from the timer thread at `deadline` or later (soon after,
/// for a deadline that has passed), unless the returned [`Alarm`] is dropped
/// first: the building block for deadlines that are not futures
/// (`cancel-scope` cancels a scope from a waker made with
/// `Waker::from(Arc<impl Wake>)`).
///
/// # Panics
///
/// If the timer thread is not running yet and the operating system refuses
/// to start it, as `std::thread::spawn` does.
pub fn wake_at(deadline: Instant, waker: &Waker) -> Alarm {
    Alarm {
        key: driver::insert(deadline, waker),
    }
}

impl Alarm {
    /// The deadline.
    pub fn deadline(&self) -> Instant {
        self.key.at()
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        driver::remove(self.key);
    }
}

/// How many deadlines the timer holds now: pending [`Sleep`]s and
/// [`timeout`]s that have been polled, and [`Alarm`]s that have not fired.
/// What a program that drops its timeouts leaves behind is none.
pub fn armed() -> usize {
    #[cfg(all(feature = "tokio", any(target_os = "linux", target_os = "android")))]
    return driver::armed() + reactor::armed();
    #[cfg(not(all(feature = "tokio", any(target_os = "linux", target_os = "android"))))]
    driver::armed()
}
