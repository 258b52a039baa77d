//! The abortable strategy on async-std: `async_std::task::sleep` for the
//! deadline, `async_std::task::spawn` for `start`.
//!
//! async-std runs `async-task` tasks, which drop a task's future inside
//! `abort_on_panic` whether the task was cancelled or finished: a panicking
//! `Drop` there aborts the process. An aborted `Abortable` has finished but
//! still owns the work, so the raw `spawn(abortable(work))` aborts the process
//! on one (`tests/raw_drop_panic.rs` watches it in a child process). Here the
//! work sits in a slot beside the `Abortable` and is dropped inside the task,
//! its panic caught, before the task ends; the task is never cancelled.
//!
//! async-std is deprecated upstream in favour of smol; this module stays
//! because much code still runs on it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_std::task::JoinHandle;
use futures_util::future::AbortHandle;

use crate::{Cancellation, Capabilities, Error, Outcome};

/// What the abortable strategy does on async-std.
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
/// # Cancel safety
///
/// Dropping the returned future drops `work` with it, where it stands;
/// nothing of the work runs afterwards.
pub async fn run_with_timeout<F: Future>(
    timeout: Duration,
    work: F,
) -> Result<Outcome<F::Output>, Error> {
    // async-std sleeps on an async-io timer, which treats a deadline past
    // `Instant`'s range (`Duration::MAX`) as "never" (I8).
    crate::run_until(work, async_std::task::sleep(timeout)).await
}

/// Runs `work` inside an `Abortable` until it completes or `until` does;
/// then aborts it, and returns once it has been dropped. [`run_with_timeout`]
/// is this with `async_std::task::sleep(timeout)` as `until`; a precise deadline is
/// `cancel_timer::sleep(d)`. The work is polled before `until`.
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

/// Starts `work` as an async-std task, inside an `Abortable`, and returns a
/// handle whose `cancel` aborts it and waits until it has been dropped.
pub fn start<F>(work: F) -> AbortableHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (abort, reg) = AbortHandle::new_pair();
    let done = Arc::new(AtomicBool::new(false));
    let task = async_std::task::spawn({
        let done = Arc::clone(&done);
        async move {
            let ended = crate::run_abortable(work, reg).await;
            // async-std's JoinHandle cannot say whether its task ended.
            done.store(true, Ordering::Release);
            ended
        }
    });
    AbortableHandle { abort, done, task }
}

/// A handle to work started with [`start`]: the futures `AbortHandle` of its
/// `Abortable`, and the task that polls it.
///
/// Dropping it does not abort the work: the task runs on, detached, as a
/// dropped futures `AbortHandle` and a dropped async-std `JoinHandle` both
/// let it.
#[derive(Debug)]
pub struct AbortableHandle<T> {
    abort: AbortHandle,
    done: Arc<AtomicBool>,
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
        self.done.load(Ordering::Acquire)
    }

    /// Waits until the work finishes, or stops after an earlier request.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which detaches the work.
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        // The task's body never panics and is never cancelled, so the
        // JoinHandle always gives its result.
        self.task.await
    }
}

cancel_contract::delegate_cancel_handle!(AbortableHandle, cancel = stop_then_join);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CancelHandle;
    use crate::testing::{DROP_PANIC, DropFlag, Polls, boom};
    use std::future::{pending, ready};
    use std::sync::mpsc;

    /// Waits, with a wide margin, until `done` says so.
    async fn until(done: impl Fn() -> bool) {
        for _ in 0..10_000 {
            if done() {
                return;
            }
            async_std::task::sleep(Duration::from_millis(1)).await;
        }
        panic!("the condition did not come true in time");
    }

    #[test]
    fn work_that_finishes_before_the_deadline_completes() {
        async_std::task::block_on(async {
            let (flag, dropped) = DropFlag::new();
            let work = async move {
                let _flag = flag;
                async_std::task::sleep(Duration::from_millis(1)).await;
                7
            };
            let outcome = run_with_timeout(Duration::from_secs(60), work).await;
            assert_eq!(outcome, Ok(Outcome::Completed(7)));
            assert!(dropped.get());
        });
    }

    #[test]
    fn a_timeout_drops_the_work_before_it_returns() {
        async_std::task::block_on(async {
            let (flag, dropped) = DropFlag::new();
            let work = async move {
                let _flag = flag;
                async_std::task::sleep(Duration::from_secs(3600)).await;
            };
            let outcome = run_with_timeout(Duration::from_millis(5), work).await;
            assert_eq!(outcome, Ok(Outcome::TimedOut));
            assert!(dropped.get());
        });
    }

    #[test]
    fn zero_polls_the_work_once_and_ready_work_completes() {
        async_std::task::block_on(async {
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
        });
    }

    #[test]
    fn max_never_times_out() {
        async_std::task::block_on(async {
            let work = async {
                async_std::task::sleep(Duration::from_millis(5)).await;
                2
            };
            let outcome = run_with_timeout(Duration::MAX, work).await;
            assert_eq!(outcome, Ok(Outcome::Completed(2)));
        });
    }

    #[test]
    fn cancel_returns_the_output_that_was_ready() {
        async_std::task::block_on(async {
            let handle = start(async { 42 });
            until(|| handle.is_finished()).await;
            assert_eq!(handle.cancel().await, Ok(Cancellation::Finished(42)));
        });
    }

    #[test]
    fn cancel_of_parked_work_stops_it_and_drops_it_first() {
        async_std::task::block_on(async {
            let (flag, dropped) = DropFlag::new();
            let polls = Polls::default();
            let parked = polls.pending::<()>();
            let handle = start(async move {
                let _flag = flag;
                parked.await;
            });
            until(|| polls.count() >= 1).await;
            assert!(!handle.is_finished());
            let before = polls.count();
            assert_eq!(handle.cancel().await, Ok(Cancellation::Stopped));
            assert!(dropped.get());
            assert_eq!(
                polls.count(),
                before,
                "an aborted work is never polled again"
            );
        });
    }

    #[test]
    fn a_panic_in_the_work_is_a_work_panic() {
        async_std::task::block_on(async {
            let timed = run_with_timeout(Duration::from_secs(60), async { boom() }).await;
            assert_eq!(timed, Err(Error::WorkPanicked("boom".into())));
            let joined = start(async { boom() }).join().await;
            assert_eq!(joined, Err(Error::WorkPanicked("boom".into())));
        });
    }

    /// async-task aborts the process when a cancelled task's Drop panics;
    /// here the task is never cancelled, so this test's process lives.
    #[test]
    fn a_panicking_drop_is_a_cleanup_panic() {
        async_std::task::block_on(async {
            let (flag, dropped) = DropFlag::panicking();
            let work = async move {
                let _flag = flag;
                pending::<()>().await;
            };
            let timed = run_with_timeout(Duration::from_millis(5), work).await;
            assert_eq!(timed, Err(Error::CleanupPanicked(DROP_PANIC.into())));
            assert!(dropped.get());

            let (flag, dropped) = DropFlag::panicking();
            let polls = Polls::default();
            let parked = polls.pending::<()>();
            let handle = start(async move {
                let _flag = flag;
                parked.await;
            });
            until(|| polls.count() >= 1).await;
            let cancelled = handle.cancel().await;
            assert_eq!(cancelled, Err(Error::CleanupPanicked(DROP_PANIC.into())));
            assert!(dropped.get());
        });
    }

    #[test]
    fn request_stop_twice_is_harmless() {
        async_std::task::block_on(async {
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
            until(|| handle.is_finished()).await;
            handle.request_stop();
            handle.request_stop();
            assert_eq!(handle.join().await, Ok(Cancellation::Finished(3)));
        });
    }

    #[test]
    fn dropping_the_handle_does_not_abort() {
        let (done, finished) = mpsc::channel::<()>();
        let handle = start(async move {
            async_std::task::sleep(Duration::from_millis(10)).await;
            let _ = done.send(());
        });
        drop(handle);
        // A stopped work would drop the sender instead, and `recv` would fail.
        assert_eq!(finished.recv_timeout(Duration::from_secs(60)), Ok(()));
    }

    /// An abort that arrives while the work's poll is running is read only at
    /// the next poll; the output that poll produces is kept (I1).
    #[test]
    fn output_produced_while_the_abort_is_pending_is_kept() {
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
        let cancelled = async_std::task::block_on(handle.cancel());
        assert_eq!(cancelled, Ok(Cancellation::Finished(7)));
    }
}
