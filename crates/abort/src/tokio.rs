//! A forced stop on tokio: `tokio::spawn` and `JoinHandle::abort`.
//!
//! `run_with_timeout` and `start` must be called from inside a tokio runtime
//! (they use `tokio::spawn`).
//!
//! # What `abort` does
//!
//! `JoinHandle::abort` returns at once, before the task has stopped: the task
//! is dropped when the runtime next gets to it (at once if it is idle, at its
//! next `.await` if it is running). Awaiting the `JoinHandle` afterwards says
//! what happened: `Ok(v)` if the task completed before the abort took effect,
//! a `JoinError` with `is_cancelled()` if it was stopped (its `Drop` has run),
//! and one with `is_panic()` if dropping it panicked: tokio drops an aborted
//! task inside `catch_unwind`, so a panicking `Drop` never takes the process
//! down. Dropping a `JoinHandle` detaches the task: it runs on.
//!
//! # Stopping children: the structured way
//!
//! A task the work starts with `tokio::spawn` is detached from it, and an
//! abort of the work leaves it running. To stop children with their parent,
//! let the parent *own* them: a `JoinSet` aborts every task in it when it is
//! dropped, and so does tokio-util's `AbortOnDropHandle` for one task.
//!
//! ```
//! # {
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use std::time::Duration;
//!
//! struct SetOnDrop(Arc<AtomicBool>);
//! impl Drop for SetOnDrop {
//!     fn drop(&mut self) {
//!         self.0.store(true, Ordering::SeqCst);
//!     }
//! }
//!
//! #[tokio::main(flavor = "current_thread", start_paused = true)]
//! async fn main() {
//!     let child_dropped = Arc::new(AtomicBool::new(false));
//!     let flag = SetOnDrop(Arc::clone(&child_dropped));
//!     let parent = cancel_abort::tokio::start(async move {
//!         let mut children = tokio::task::JoinSet::new();
//!         children.spawn(async move {
//!             let _flag = flag;
//!             std::future::pending::<()>().await;
//!         });
//!         std::future::pending::<()>().await
//!     });
//!     tokio::task::yield_now().await; // the parent starts its child
//!     assert!(parent.cancel().await.is_ok_and(|c| c.is_stopped()));
//!     // Dropping the parent dropped its JoinSet, which aborted the child; the
//!     // abort takes effect when the runtime gets to the child.
//!     tokio::time::sleep(Duration::from_millis(1)).await;
//!     assert!(child_dropped.load(Ordering::SeqCst));
//! }
//! # main();
//! # }
//! ```

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cancel_contract::{Cancellation, Cap, Capabilities, Error, Outcome, panic_message, run_slot};
use tokio::sync::oneshot;
use tokio::task::{JoinError, JoinHandle};

/// What a forced stop does on tokio.
pub const CAPABILITIES: Capabilities = crate::capabilities(
    // Dropping a tokio `JoinHandle` detaches the task: it runs on.
    Cap::No,
);

/// Runs `work` as a tokio task until it completes or `timeout` passes; on
/// timeout the task is aborted, and this returns once it has stopped.
///
/// Returns [`Outcome::Completed`] if the work produced its output before the
/// abort took effect, even after the deadline. The deadline is judged only
/// once the work has been polled, so `Duration::ZERO` polls it once: ready
/// work completes, anything else times out. `Duration::MAX` never times out.
///
/// A panic in the work comes back as [`Error::WorkPanicked`], a panic in its
/// `Drop` during the abort as [`Error::CleanupPanicked`].
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as `tokio::spawn` does.
///
/// # Cancel safety
///
/// Dropping the returned future aborts the task without waiting for it to
/// stop.
pub async fn run_with_timeout<F>(timeout: Duration, work: F) -> Result<Outcome<F::Output>, Error>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // tokio clamps `Duration::MAX` instead of overflowing.
    run_until(tokio::time::sleep(timeout), work).await
}

/// Runs `work` as a tokio task until it completes or `until` does; then
/// aborts the task, and returns once it has stopped. [`run_with_timeout`]
/// is this with `tokio::time::sleep(timeout)` as `until`; a precise deadline
/// is `cancel_timer::tokio::sleep(d)`. `until` is judged only once the work has
/// been polled, as in [`run_with_timeout`].
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as `tokio::spawn` does.
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
    let (mut task, started) = spawn(work);
    // A JoinHandle detaches its task when dropped; this aborts it instead if
    // we are dropped before the work is settled.
    let _abort_on_drop = AbortOnDrop(task.abort_handle());
    // The JoinHandle is polled before `until`: output ready then wins (I1).
    let joined = match crate::before(&mut task, until).await {
        Some(joined) => return settle(joined, false).map(Outcome::from),
        None => {
            // Judge the deadline only once the work has been polled (I8).
            let _ = started.await;
            // `abort` only asks: awaiting the handle waits until the task has
            // stopped (I4), and gives the output if it completed first (I1).
            task.abort();
            task.await
        }
    };
    settle(joined, true).map(Outcome::from)
}

/// Starts `work` as a tokio task and returns a handle whose `cancel` aborts
/// it and waits until it has stopped.
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as `tokio::spawn` does.
pub fn start<F>(work: F) -> AbortHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (task, _started) = spawn(work);
    AbortHandle {
        task,
        aborted: AtomicBool::new(false),
    }
}

/// Spawns `work` as a task whose polls cannot panic, and returns its handle
/// and a receiver that closes once the work has been polled (or dropped).
fn spawn<F>(work: F) -> (JoinHandle<Result<F::Output, Error>>, oneshot::Receiver<()>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Nothing is ever sent: dropping the sender is the message.
    let (polled, started) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut slot = pin!(Some(work));
        drop(polled);
        // `run_slot` turns a panic of a poll into an error (I7), so the only
        // panic tokio can catch is one from the work's Drop as an abort drops it.
        run_slot(slot.as_mut()).await
    });
    (task, started)
}

/// What awaiting the task says, given whether we aborted it.
fn settle<T>(
    joined: Result<Result<T, Error>, JoinError>,
    aborted: bool,
) -> Result<Cancellation<T>, Error> {
    match joined {
        // The task completed before any abort took effect: its output wins (I1).
        Ok(result) => result.map(Cancellation::Finished),
        Err(e) => match e.try_into_panic() {
            // tokio caught the panic of the work's Drop as it dropped the task.
            Ok(payload) => Err(Error::CleanupPanicked(panic_message(&*payload))),
            Err(_cancelled) if aborted => Ok(Cancellation::Stopped),
            Err(_cancelled) => Err(Error::Lost(
                "the tokio runtime shut down before the work ended".into(),
            )),
        },
    }
}

/// Aborts a task when dropped. Aborting a finished task does nothing.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A handle to work started with [`start`]. Dropping it detaches the work,
/// as dropping a tokio `JoinHandle` does.
#[derive(Debug)]
pub struct AbortHandle<T> {
    task: JoinHandle<Result<T, Error>>,
    // Whether we asked for the abort, so that a cancelled task can be told
    // apart from one lost to a runtime shutdown.
    aborted: AtomicBool,
}

impl<T: Send> AbortHandle<T> {
    /// Aborts the work without waiting for it to stop; harmless to repeat,
    /// and after the work has finished.
    pub fn request_stop(&self) {
        // Relaxed: `join` consumes the handle, so every store here happens
        // before its load.
        self.aborted.store(true, Ordering::Relaxed);
        self.task.abort();
    }

    /// `true` once the work has finished or stopped.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits until the work finishes, or stops after an earlier request.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which detaches the work.
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        let AbortHandle { task, aborted } = self;
        let joined = task.await;
        settle(joined, aborted.into_inner())
    }
}

cancel_contract::delegate_cancel_handle!(AbortHandle, cancel = stop_then_join);

#[cfg(test)]
mod tests {
    use super::*;
    use cancel_harness::probe::{DROP_PANIC_MESSAGE, Probe};

    #[tokio::test(start_paused = true)]
    async fn a_timeout_aborts_the_task_and_waits_until_it_is_dropped() {
        let probe = Probe::new();
        let guard = probe.guard();
        let work = async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        };
        let outcome = run_with_timeout(Duration::from_millis(5), work).await;
        assert_eq!(outcome, Ok(Outcome::TimedOut));
        assert!(probe.dropped.is_set());
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_a_timed_run_aborts_its_task() {
        // The sender lives as long as the work: `recv` fails once it is dropped.
        let (keep, gone) = oneshot::channel::<()>();
        let mut timed = Box::pin(run_with_timeout(Duration::from_secs(60), async move {
            let _keep = keep;
            std::future::pending::<()>().await;
        }));
        assert!(futures_lite::future::poll_once(&mut timed).await.is_none());
        drop(timed);
        let stopped = tokio::time::timeout(Duration::from_secs(1), gone).await;
        assert!(stopped.is_ok_and(|r| r.is_err()));
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_after_completion_returns_the_output() {
        let handle = start(async { 42 });
        while !handle.is_finished() {
            tokio::task::yield_now().await;
        }
        assert_eq!(handle.cancel().await, Ok(Cancellation::Finished(42)));
    }

    /// The raw API: `abort()` returns before the task has stopped, and the
    /// task's Drop runs once the runtime gets to it. Abort does not skip Drop.
    #[tokio::test(start_paused = true)]
    async fn abort_only_asks_and_then_runs_drop() {
        let probe = Probe::new();
        let guard = probe.guard();
        let task = tokio::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        tokio::task::yield_now().await; // the task runs and parks
        assert_eq!(probe.alive(), 1);
        task.abort();
        assert!(
            !probe.dropped.is_set(),
            "abort() does not drop the task itself"
        );
        let joined = task.await;
        assert!(joined.is_err_and(|e| e.is_cancelled()));
        assert!(probe.dropped.is_set());
    }

    /// The raw API: tokio drops an aborted task inside `catch_unwind`, so a
    /// panicking Drop comes back as a `JoinError`, and the process lives.
    #[tokio::test(start_paused = true)]
    async fn a_panicking_drop_during_abort_is_a_join_error() {
        let probe = Probe::new();
        let guard = probe.guard().panicking();
        let task = tokio::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        tokio::task::yield_now().await;
        task.abort();
        let joined = task.await;
        assert!(joined.is_err_and(|e| e.is_panic()));

        let guard = probe.guard().panicking();
        let handle = start(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        tokio::task::yield_now().await;
        assert_eq!(
            handle.cancel().await,
            Err(Error::CleanupPanicked(DROP_PANIC_MESSAGE.into()))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_handle_detaches_the_work() {
        let probe = Probe::new();
        let p = std::sync::Arc::clone(&probe);
        let handle = start(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            p.completed.set();
        });
        drop(handle);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(probe.completed.is_set());
    }
}
