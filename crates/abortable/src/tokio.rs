//! The abortable strategy on tokio: `tokio::time::sleep` for the deadline,
//! `tokio::spawn` for `start`.
//!
//! Both must run inside a tokio runtime with its timer (`run_with_timeout`)
//! or as a task spawner (`start`).
//!
//! Beside tokio's own tools: a tokio `AbortHandle` (from
//! `JoinHandle::abort_handle`) aborts a *task*, and the runtime drops it;
//! tokio-util's `AbortOnDropHandle` does that when it is dropped. The
//! `Abortable` here aborts a *future*, wherever it is polled, and dropping
//! [`AbortableHandle`] does not abort.

use std::future::Future;
use std::time::Duration;

use cancel_contract::panic_message;
use futures_util::future::AbortHandle;
use tokio::task::JoinHandle;

use crate::{Cancellation, Capabilities, Error, Outcome};

/// What the abortable strategy does on tokio.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` inside an `Abortable` until it completes or `timeout` passes;
/// on timeout the work is aborted and dropped before this returns.
///
/// Nothing is spawned: the work is polled by the caller's task. Output ready
/// at the deadline wins, so `Duration::ZERO` polls the work once: ready work
/// completes, anything else times out. `Duration::MAX` never times out.
///
/// A panic in the work comes back as [`Error::WorkPanicked`], a panic in its
/// `Drop` during the abort as [`Error::CleanupPanicked`].
///
/// # Panics
///
/// Panics if polled outside a tokio runtime with its timer enabled, as
/// `tokio::time::sleep` does.
///
/// # Cancel safety
///
/// Dropping the returned future drops `work` with it, where it stands;
/// nothing of the work runs afterwards.
pub async fn run_with_timeout<F: Future>(
    timeout: Duration,
    work: F,
) -> Result<Outcome<F::Output>, Error> {
    // tokio clamps a deadline too far away (`Duration::MAX`) instead of
    // overflowing, so it never panics and never fires (I8).
    crate::run_until(work, tokio::time::sleep(timeout)).await
}

/// Runs `work` inside an `Abortable` until it completes or `until` does;
/// then aborts it, and returns once it has been dropped. [`run_with_timeout`]
/// is this with `tokio::time::sleep(timeout)` as `until`; a precise deadline is
/// `cancel_timer::tokio::sleep(d)`. The work is polled before `until`.
///
/// # Cancel safety
///
/// Dropping the returned future drops `work` with it, where it stands.
pub async fn run_until<U, F>(until: U, work: F) -> Result<Outcome<F::Output>, Error>
where
    U: Future,
    F: Future,
{
    crate::run_until(work, until).await
}

/// Starts `work` as a tokio task, inside an `Abortable`, and returns a handle
/// whose `cancel` aborts it and waits until it has been dropped.
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as `tokio::spawn` does.
pub fn start<F>(work: F) -> AbortableHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (abort, reg) = AbortHandle::new_pair();
    AbortableHandle {
        abort,
        task: tokio::spawn(crate::run_abortable(work, reg)),
    }
}

/// A handle to work started with [`start`]: the futures `AbortHandle` of its
/// `Abortable`, and the task that polls it.
///
/// Dropping it does not abort the work: the task runs on, detached, as a
/// dropped futures `AbortHandle` and a dropped tokio `JoinHandle` both let it.
#[derive(Debug)]
pub struct AbortableHandle<T> {
    abort: AbortHandle,
    task: JoinHandle<Result<Cancellation<T>, Error>>,
}

impl<T: Send + 'static> AbortableHandle<T> {
    /// The work's futures `AbortHandle`: a clone aborts it from elsewhere.
    pub fn signal(&self) -> &AbortHandle {
        &self.abort
    }

    /// Aborts the work without waiting: it stops at its task's next poll.
    /// Harmless to repeat, and after the work has finished.
    pub fn request_stop(&self) {
        // Sets the flag and wakes the task; the `Abortable` reads it when polled.
        self.abort.abort();
    }

    /// `true` once the work has finished, or stopped and been dropped.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits until the work finishes, or stops after an earlier request.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which detaches the work.
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        match self.task.await {
            Ok(ended) => ended,
            // The task's body catches the work's panics; this is a last resort.
            Err(e) if e.is_panic() => Err(Error::WorkPanicked(panic_message(&*e.into_panic()))),
            // We never abort the task itself: only a runtime shutdown cancels it.
            Err(_) => Err(Error::Lost(
                "the tokio runtime shut down before the work ended".into(),
            )),
        }
    }
}

cancel_contract::delegate_cancel_handle!(AbortableHandle, cancel = stop_then_join);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CancelHandle;
    use crate::testing::{DROP_PANIC, DropFlag, Polls, boom};
    use std::future::{pending, ready};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;

    #[tokio::test(start_paused = true)]
    async fn work_that_finishes_before_the_deadline_completes() {
        let (flag, dropped) = DropFlag::new();
        let work = async move {
            let _flag = flag;
            tokio::time::sleep(Duration::from_secs(1)).await;
            7
        };
        let outcome = run_with_timeout(Duration::from_secs(10), work).await;
        assert_eq!(outcome, Ok(Outcome::Completed(7)));
        assert!(dropped.get());
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_drops_the_work_before_it_returns() {
        let (flag, dropped) = DropFlag::new();
        let work = async move {
            let _flag = flag;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        };
        let outcome = run_with_timeout(Duration::from_millis(5), work).await;
        assert_eq!(outcome, Ok(Outcome::TimedOut));
        assert!(dropped.get());
    }

    #[tokio::test(start_paused = true)]
    async fn zero_polls_the_work_once_and_ready_work_completes() {
        assert_eq!(
            run_with_timeout(Duration::ZERO, ready(1)).await,
            Ok(Outcome::Completed(1))
        );
        let polls = Polls::default();
        let outcome = run_with_timeout(Duration::ZERO, polls.pending::<u8>()).await;
        assert_eq!(outcome, Ok(Outcome::TimedOut));
        assert!(
            polls.count() >= 1,
            "the work was polled before the deadline"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn max_never_times_out() {
        let work = async {
            tokio::time::sleep(Duration::from_secs(100 * 24 * 3600)).await;
            2
        };
        let outcome = run_with_timeout(Duration::MAX, work).await;
        assert_eq!(outcome, Ok(Outcome::Completed(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_returns_the_output_that_was_ready() {
        let handle = start(async { 42 });
        while !handle.is_finished() {
            tokio::task::yield_now().await;
        }
        assert_eq!(handle.cancel().await, Ok(Cancellation::Finished(42)));
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_of_parked_work_stops_it_and_drops_it_first() {
        let (flag, dropped) = DropFlag::new();
        let polls = Polls::default();
        let parked = polls.pending::<()>();
        let handle = start(async move {
            let _flag = flag;
            parked.await;
        });
        tokio::task::yield_now().await; // the task runs and parks
        assert_eq!(polls.count(), 1);
        assert!(!handle.is_finished());
        assert_eq!(handle.cancel().await, Ok(Cancellation::Stopped));
        assert!(dropped.get());
        assert_eq!(polls.count(), 1, "an aborted work is never polled again");
    }

    #[tokio::test(start_paused = true)]
    async fn an_abort_before_the_first_poll_never_polls_the_work() {
        let polls = Polls::default();
        let handle = start(polls.pending::<()>());
        assert_eq!(handle.cancel().await, Ok(Cancellation::Stopped));
        assert_eq!(polls.count(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_panic_in_the_work_is_a_work_panic() {
        let timed = run_with_timeout(Duration::from_secs(1), async { boom() }).await;
        assert_eq!(timed, Err(Error::WorkPanicked("boom".into())));
        let joined = start(async { boom() }).join().await;
        assert_eq!(joined, Err(Error::WorkPanicked("boom".into())));
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_drop_is_a_cleanup_panic() {
        let (flag, dropped) = DropFlag::panicking();
        let work = async move {
            let _flag = flag;
            pending::<()>().await;
        };
        let timed = run_with_timeout(Duration::from_millis(5), work).await;
        assert_eq!(timed, Err(Error::CleanupPanicked(DROP_PANIC.into())));
        assert!(dropped.get());

        let (flag, dropped) = DropFlag::panicking();
        let handle = start(async move {
            let _flag = flag;
            pending::<()>().await;
        });
        tokio::task::yield_now().await;
        let cancelled = handle.cancel().await;
        assert_eq!(cancelled, Err(Error::CleanupPanicked(DROP_PANIC.into())));
        assert!(dropped.get());
    }

    #[tokio::test(start_paused = true)]
    async fn request_stop_twice_is_harmless() {
        let (flag, dropped) = DropFlag::new();
        let handle = start(async move {
            let _flag = flag;
            pending::<()>().await;
        });
        handle.request_stop();
        CancelHandle::request_stop(&handle);
        assert_eq!(
            CancelHandle::cancel(handle).await,
            Ok(Cancellation::Stopped)
        );
        assert!(dropped.get());

        let handle = start(ready(3));
        while !handle.is_finished() {
            tokio::task::yield_now().await;
        }
        handle.request_stop();
        handle.request_stop();
        assert_eq!(handle.join().await, Ok(Cancellation::Finished(3)));
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_handle_does_not_abort() {
        let done = Arc::new(AtomicBool::new(false));
        let set = Arc::clone(&done);
        let handle = start(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            set.store(true, Ordering::SeqCst);
        });
        drop(handle);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(done.load(Ordering::SeqCst));
    }

    /// An abort that arrives while the work's poll is running is read only at
    /// the next poll; the output that poll produces is kept (I1).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn output_produced_while_the_abort_is_pending_is_kept() {
        let (started_tx, started) = mpsc::channel();
        let (go, go_rx) = mpsc::channel::<()>();
        let handle = start(async move {
            // Block this poll until the abort has been requested.
            let _ = started_tx.send(());
            let _ = go_rx.recv();
            7
        });
        started.recv().expect("the work starts");
        handle.request_stop();
        go.send(()).expect("the work is waiting");
        assert_eq!(handle.cancel().await, Ok(Cancellation::Finished(7)));
    }
}
