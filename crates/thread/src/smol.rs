//! Blocking work on smol's blocking pool: `blocking::unblock`, raced with an
//! `async_io::Timer`, the task polled first.
//!
//! smol has no ambient runtime, so every smol module of cancel-lab follows
//! one rule: a function that spawns a task onto an executor takes
//! `ex: &Executor<'_>` as its first argument, and one that does not takes
//! none.
//! Here nothing spawns onto an executor: the work runs on the global
//! blocking pool, so no function takes one.
//!
//! ```
//! use std::time::Duration;
//! use cancel_thread::Outcome;
//!
//! futures_lite::future::block_on(async {
//!     let outcome = cancel_thread::smol::run_with_timeout(Duration::from_millis(5), |flag| {
//!         while !flag.is_stopped() {
//!             std::thread::sleep(Duration::from_millis(1));
//!         }
//!         None::<u64>
//!     })
//!     .await;
//!     assert_eq!(outcome, Ok(Outcome::TimedOut));
//! });
//! ```

use std::time::Duration;

use async_io::Timer;
use blocking::Task;
use cancel_contract::{Cancellation, Capabilities, Error, Outcome};

use crate::{StopFlag, StopOnDrop};

/// What a thread with a stop flag does on smol.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` on the blocking pool until it returns or `timeout` passes; on
/// timeout, sets its flag and waits until it has returned.
///
/// Returns [`Outcome::Completed`] when the work returned `Some(v)`, even after
/// the deadline, and [`Outcome::TimedOut`] when it returned `None` after the
/// flag was set. `Duration::ZERO` sets the flag at once unless the work has
/// already returned; `Duration::MAX` never times out (`Timer::after` treats a
/// deadline past `Instant`'s range as "never").
///
/// A panic in the work, or in its `Drop`, comes back as
/// [`Error::WorkPanicked`].
///
/// # Cancel safety
///
/// Dropping the returned future sets the flag but cannot wait: the work may
/// still be running until it next looks at its flag. Work that has not
/// started yet never starts.
pub async fn run_with_timeout<W, T>(timeout: Duration, work: W) -> Result<Outcome<T>, Error>
where
    W: FnOnce(&StopFlag) -> Option<T> + Send + 'static,
    T: Send + 'static,
{
    run_until(Timer::after(timeout), work).await
}

/// Runs `work` on the `blocking` crate's pool until it returns or `until` completes; then sets
/// its flag and waits until it has returned. [`run_with_timeout`] is this
/// with an `async_io::Timer` as `until`; a precise deadline is `cancel_timer::sleep(d)`.
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
    let mut task = blocking::unblock(crate::caught(flag.clone(), work));
    // The task is polled before `until`: a result already there wins.
    let returned = crate::before(&mut task, until).await;
    let returned = match returned {
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

/// Starts `work` on the blocking pool and returns a handle whose `cancel`
/// sets its flag and waits until it has returned.
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
    let task = blocking::unblock(crate::caught(flag.clone(), work));
    ThreadHandle {
        flag,
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
    // `Some` until joined or detached. Detached, not dropped, on drop: the
    // flag is what stops the work, on every runtime alike.
    task: Option<Task<Result<Option<T>, Error>>>,
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
        self.task.as_ref().is_none_or(Task::is_finished)
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
        if let Some(task) = self.task.take() {
            // Dropping a smol Task would cancel it; `detach` lets it run on.
            task.detach();
        }
    }
}

impl<T> Drop for ThreadHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Ask the work to stop, then let the task finish on its own.
            self.flag.stop();
            task.detach();
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
        futures_lite::future::block_on(async {
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

            let outcome = run_with_timeout(Duration::MAX, |_| Some(6)).await;
            assert_eq!(outcome, Ok(Outcome::Completed(6)));

            let handle = start(|_| Some(12));
            while !handle.is_finished() {
                futures_lite::future::yield_now().await;
            }
            assert_eq!(handle.cancel().await, Ok(Cancellation::Finished(12)));

            let handle = start(|_| -> Option<u8> { panic!("boom") });
            assert_eq!(handle.join().await, Err(Error::WorkPanicked("boom".into())));
        });
    }
}
