//! Blocking work on async-std's blocking pool: `async_std::task::spawn_blocking`,
//! raced with `async_std::future::timeout`.
//!
//! async-std is deprecated upstream in favour of smol; this module stays
//! because much code still runs on it.
//!
//! ```
//! use std::time::Duration;
//! use cancel_thread::Outcome;
//!
//! async_std::task::block_on(async {
//!     let outcome = cancel_thread::async_std::run_with_timeout(Duration::from_millis(5), |flag| {
//!         while !flag.is_stopped() {
//!             std::thread::sleep(Duration::from_millis(1));
//!         }
//!         None::<u64>
//!     })
//!     .await;
//!     assert_eq!(outcome, Ok(Outcome::TimedOut));
//! });
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_std::task::JoinHandle;
use cancel_contract::{Cancellation, Capabilities, Error, Outcome};

use crate::{StopFlag, StopOnDrop};

/// What a thread with a stop flag does on async-std.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` on async-std's blocking pool until it returns or `timeout`
/// passes; on timeout, sets its flag and waits until it has returned.
///
/// Returns [`Outcome::Completed`] when the work returned `Some(v)`, even after
/// the deadline, and [`Outcome::TimedOut`] when it returned `None` after the
/// flag was set. `Duration::ZERO` sets the flag at once unless the work has
/// already returned; `Duration::MAX` never times out (async-io's timer treats
/// a deadline past `Instant`'s range as "never").
///
/// A panic in the work, or in its `Drop`, comes back as
/// [`Error::WorkPanicked`].
///
/// # Cancel safety
///
/// Dropping the returned future sets the flag but cannot wait: the work may
/// still be running until it next looks at its flag.
pub async fn run_with_timeout<W, T>(timeout: Duration, work: W) -> Result<Outcome<T>, Error>
where
    W: FnOnce(&StopFlag) -> Option<T> + Send + 'static,
    T: Send + 'static,
{
    run_until(async_std::task::sleep(timeout), work).await
}

/// Runs `work` on async-std's blocking pool until it returns or `until` completes; then sets
/// its flag and waits until it has returned. [`run_with_timeout`] is this
/// with `async_std::task::sleep(timeout)` as `until`; a precise deadline is `cancel_timer::sleep(d)`.
///
/// # Cancel safety
///
/// As [`run_with_timeout`].
pub async fn run_until<U, W, T>(until: U, work: W) -> Result<Outcome<T>, Error>
where
    U: Future,
    W: FnOnce(&StopFlag) -> Option<T> + Send + 'static,
    T: Send + 'static,
{
    let flag = StopFlag::new();
    let stop_if_dropped = StopOnDrop::new(&flag);
    let mut task = async_std::task::spawn_blocking(crate::caught(flag.clone(), work));
    // The JoinHandle is polled before `until`: a result already there wins.
    let returned = match crate::before(&mut task, until).await {
        Some(returned) => returned,
        None => {
            flag.stop();
            task.await
        }
    };
    // The work has returned: nothing is left to stop.
    stop_if_dropped.defuse();
    crate::ended(returned?, &flag).map(Outcome::from)
}

/// Starts `work` on async-std's blocking pool and returns a handle whose
/// `cancel` sets its flag and waits until it has returned.
pub fn start<W, T>(work: W) -> ThreadHandle<T>
where
    W: FnOnce(&StopFlag) -> Option<T> + Send + 'static,
    T: Send + 'static,
{
    start_with(StopFlag::new(), work)
}

/// Like [`start`], but with the flag you give: tasks started with clones
/// of one flag all stop when it is set once. The handle's `request_stop`
/// and `Drop` set this flag, so they stop every task that shares it.
pub fn start_with<W, T>(flag: StopFlag, work: W) -> ThreadHandle<T>
where
    W: FnOnce(&StopFlag) -> Option<T> + Send + 'static,
    T: Send + 'static,
{
    let done = Arc::new(AtomicBool::new(false));
    let work = crate::caught(flag.clone(), work);
    let task = async_std::task::spawn_blocking({
        let done = Arc::clone(&done);
        move || {
            let returned = work();
            // async-std's JoinHandle cannot say whether the task ended.
            done.store(true, Ordering::Release);
            returned
        }
    });
    ThreadHandle {
        flag,
        done,
        task: Some(task),
    }
}

/// A handle to work started with [`start`].
///
/// Dropping it sets the flag and detaches the blocking task without waiting;
/// [`detach`](ThreadHandle::detach) lets the work run on instead.
#[derive(Debug)]
pub struct ThreadHandle<T> {
    flag: StopFlag,
    done: Arc<AtomicBool>,
    // `Some` until joined or detached.
    task: Option<JoinHandle<Result<Option<T>, Error>>>,
}

impl<T: Send + 'static> ThreadHandle<T> {
    /// The work's flag, to stop it from elsewhere or to hand to other work.
    pub fn signal(&self) -> &StopFlag {
        &self.flag
    }

    /// Asks the work to stop without waiting: sets its flag. Harmless to
    /// repeat, and after the work has ended.
    pub fn request_stop(&self) {
        self.flag.stop();
    }

    /// `true` once the work has returned, finished or stopped.
    pub fn is_finished(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Waits until the work returns on its own, or because a stop was
    /// requested earlier, without asking it to stop.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which sets the flag.
    pub async fn join(mut self) -> Result<Cancellation<T>, Error> {
        // Await in place: if this future is dropped, `Drop` still sets the flag.
        let Some(task) = self.task.as_mut() else {
            return Err(Error::Lost("the task was already joined".into()));
        };
        let returned = task.await;
        self.task = None;
        crate::ended(returned?, &self.flag)
    }

    /// Lets the work run on without a handle: unlike dropping the handle,
    /// this does not set the flag. Keep a clone of [`signal`](ThreadHandle::signal)
    /// to stop it later.
    pub fn detach(mut self) {
        // Dropping an async-std JoinHandle detaches the task.
        drop(self.task.take());
    }
}

impl<T> Drop for ThreadHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Ask the work to stop, then let the task finish on its own.
            self.flag.stop();
            drop(task);
        }
    }
}

cancel_contract::delegate_cancel_handle!(ThreadHandle, cancel = stop_then_join);

#[cfg(test)]
mod tests {
    use super::*;
    use cancel_harness::probe::Probe;

    #[test]
    fn timeout_cancel_and_panic() {
        async_std::task::block_on(async {
            let probe = Probe::new();
            let guard = probe.guard();
            let outcome = run_with_timeout(Duration::from_millis(5), move |flag| {
                let _guard = guard;
                while !flag.is_stopped() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                None::<u8>
            })
            .await;
            assert_eq!(outcome, Ok(Outcome::TimedOut));
            assert_eq!(probe.alive(), 0);

            let handle = start(|_| Some(12));
            while !handle.is_finished() {
                async_std::task::yield_now().await;
            }
            assert_eq!(handle.cancel().await, Ok(Cancellation::Finished(12)));

            let handle = start(|_| -> Option<u8> { panic!("boom") });
            assert_eq!(handle.join().await, Err(Error::WorkPanicked("boom".into())));
        });
    }
}
