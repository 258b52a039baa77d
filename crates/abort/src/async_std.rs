//! A forced stop on async-std: `async_std::task::spawn` and
//! `JoinHandle::cancel`.
//!
//! `JoinHandle::cancel(self).await` stops the task and waits until its future
//! has been dropped; it returns `Some(v)` if the task had completed. Dropping
//! a `JoinHandle` detaches the task: it runs on. async-std's `JoinHandle` has
//! no `is_finished` and no way to ask for a stop without awaiting it, so the
//! handle here watches the task from beside it, and `request_stop` hands the
//! `JoinHandle` to a small task of its own that does the cancel.
//!
//! async-std is deprecated upstream in favour of smol; this module stays
//! because much code still runs on it.

use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_std::task::JoinHandle;
use cancel_contract::{Cancellation, Cap, Capabilities, Error, Outcome};

use crate::guarded::{Watch, guard};

/// What a forced stop does on async-std.
pub const CAPABILITIES: Capabilities = crate::capabilities(
    // Dropping an async-std `JoinHandle` detaches the task: it runs on.
    Cap::No,
);

/// Runs `work` as an async-std task until it completes or `timeout` passes;
/// on timeout the task is cancelled, and this returns once it has stopped.
///
/// Returns [`Outcome::Completed`] if the work produced its output before the
/// cancel took effect, even after the deadline. The deadline is judged only
/// once the work has been polled, so `Duration::ZERO` polls it once: ready
/// work completes, anything else times out. `Duration::MAX` never times out.
///
/// A panic in the work comes back as [`Error::WorkPanicked`], a panic in its
/// `Drop` during the cancel as [`Error::CleanupPanicked`].
///
/// # Cancel safety
///
/// Dropping the returned future cancels the task without waiting for it to
/// stop.
pub async fn run_with_timeout<F>(timeout: Duration, work: F) -> Result<Outcome<F::Output>, Error>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // The async-io timer treats an overflowing deadline as "never" (I8).
    run_until(async_std::task::sleep(timeout), work).await
}

/// Runs `work` as an async-std task until it completes or `until` does;
/// then cancels the task, and returns once it has stopped.
/// [`run_with_timeout`] is this with `async_std::task::sleep(timeout)` as
/// `until`; a precise deadline is `cancel_timer::sleep(d)`. `until` is
/// judged only once the work has been polled.
///
/// # Cancel safety
///
/// As [`run_with_timeout`].
pub async fn run_until<U, F>(until: U, work: F) -> Result<Outcome<F::Output>, Error>
where
    U: Future,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (guarded, watch) = guard(work);
    let mut task = CancelOnDrop(Some(async_std::task::spawn(guarded)));
    // The work's end is polled before `until`: output ready then wins (I1).
    let in_time = crate::before(watch.gone(), until).await.is_some();
    if in_time {
        // The work is gone: dropping its handle detaches a finished task.
        drop(task.defuse());
    } else {
        // Judge the deadline only once the work has been polled (I8).
        watch.started().await;
        if let Some(task) = task.defuse() {
            // `cancel` waits until the task's future has been dropped (I4).
            task.cancel().await;
        }
    }
    watch.timed()
}

/// Starts `work` as an async-std task and returns a handle whose `cancel`
/// stops it and waits until it has stopped.
pub fn start<F>(work: F) -> AbortHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (guarded, watch) = guard(work);
    AbortHandle {
        task: Mutex::new(Some(async_std::task::spawn(guarded))),
        watch,
    }
}

/// Cancels the task in the background: async-std can only cancel through
/// `JoinHandle::cancel(self).await`, so a small task of its own awaits it.
fn cancel_in_background(task: JoinHandle<()>) {
    // Dropping the canceller's own JoinHandle detaches it: it runs on.
    drop(async_std::task::spawn(task.cancel()));
}

/// Cancels its task when dropped, unless it was defused first.
struct CancelOnDrop(Option<JoinHandle<()>>);

impl CancelOnDrop {
    fn defuse(&mut self) -> Option<JoinHandle<()>> {
        self.0.take()
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            cancel_in_background(task);
        }
    }
}

/// A handle to work started with [`start`]. Dropping it detaches the work,
/// as dropping an async-std `JoinHandle` does.
#[derive(Debug)]
pub struct AbortHandle<T> {
    // `Some` until a stop is requested or the handle is joined.
    task: Mutex<Option<JoinHandle<()>>>,
    watch: Watch<T>,
}

impl<T: Send> AbortHandle<T> {
    fn take_task(&self) -> Option<JoinHandle<()>> {
        // A poisoned lock only means another thread panicked mid-`take`; the
        // Option inside is still valid.
        self.task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Cancels the work without waiting for it to stop; harmless to repeat,
    /// and after the work has finished.
    pub fn request_stop(&self) {
        if let Some(task) = self.take_task() {
            cancel_in_background(task);
        }
    }

    /// `true` once the work has finished or stopped.
    pub fn is_finished(&self) -> bool {
        self.watch.is_gone()
    }

    /// Cancels the work and waits until it has stopped; returns its output
    /// instead if it had already finished.
    ///
    /// # Cancel safety
    ///
    /// The cancel takes effect at the first poll; dropping this future
    /// afterwards only stops waiting.
    pub async fn cancel(self) -> Result<Cancellation<T>, Error> {
        match self.take_task() {
            // `cancel` waits until the task's future has been dropped (I4).
            Some(task) => {
                task.cancel().await;
            }
            // An earlier `request_stop` handed the task to a canceller.
            None => self.watch.gone().await,
        }
        // Read beside the task: `cancel` returns `None` for a task that
        // completed while the cancel was pending, but its output is kept (I1).
        self.watch.ended()
    }

    /// Waits until the work finishes, or stops after an earlier request.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which detaches the work.
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        match self.take_task() {
            Some(task) => task.await,
            None => self.watch.gone().await,
        }
        self.watch.ended()
    }
}

cancel_contract::delegate_cancel_handle!(AbortHandle);

#[cfg(test)]
mod tests {
    use super::*;
    use cancel_harness::probe::Probe;
    use futures_lite::future::poll_once;
    use std::pin::pin;
    use std::sync::mpsc;

    #[test]
    fn a_timeout_cancels_the_task_and_waits_until_it_is_dropped() {
        async_std::task::block_on(async {
            let probe = Probe::new();
            let guard = probe.guard();
            let work = async move {
                let _guard = guard;
                async_std::task::sleep(Duration::from_secs(3600)).await;
            };
            let outcome = run_with_timeout(Duration::from_millis(5), work).await;
            assert_eq!(outcome, Ok(Outcome::TimedOut));
            assert!(probe.dropped.is_set());
        });
    }

    #[test]
    fn dropping_a_timed_run_cancels_its_task() {
        // The sender lives as long as the work: `recv` fails once it is dropped.
        let (keep, gone) = async_channel::bounded::<()>(1);
        async_std::task::block_on(async {
            let mut timed = Box::pin(run_with_timeout(Duration::from_secs(60), async move {
                let _keep = keep;
                std::future::pending::<()>().await;
            }));
            assert!(poll_once(&mut timed).await.is_none());
            drop(timed);
            let stopped = async_std::future::timeout(Duration::from_secs(10), gone.recv()).await;
            assert!(stopped.is_ok_and(|r| r.is_err()));
        });
    }

    #[test]
    fn output_produced_while_a_cancel_is_pending_is_returned() {
        let (started_tx, started) = mpsc::channel();
        let (go, go_rx) = mpsc::channel::<()>();
        let handle = start(async move {
            // Block this poll until the cancel has been requested.
            let _ = started_tx.send(());
            let _ = go_rx.recv();
            7
        });
        async_std::task::block_on(async {
            started.recv().expect("the work starts");
            let mut cancel = pin!(handle.cancel());
            // The first poll closes the task while its poll is still running.
            assert!(poll_once(cancel.as_mut()).await.is_none());
            go.send(()).expect("the work is waiting");
            // async-task drops the task's own output here; ours was kept.
            assert_eq!(cancel.await, Ok(Cancellation::Finished(7)));
        });
    }

    #[test]
    fn dropping_the_handle_detaches_the_work() {
        let (done, finished) = async_channel::bounded::<()>(1);
        let handle = start(async move {
            async_std::task::sleep(Duration::from_millis(10)).await;
            let _ = done.send(()).await;
        });
        drop(handle);
        // A stopped work would drop the sender instead, and `recv` would fail.
        assert_eq!(async_std::task::block_on(finished.recv()), Ok(()));
    }
}
