//! The abortable strategy on smol: an `async_io::Timer` for the deadline,
//! `Executor::spawn` for `start`.
//!
//! smol has no ambient runtime: `start` spawns onto the executor you pass,
//! and someone must be running it. `run_with_timeout` spawns nothing, so it
//! takes no executor: any `block_on` can drive it.
//!
//! smol's `Task` cancels its task when dropped, and `async-task`, under it,
//! drops a task's future inside `abort_on_panic` whether the task was
//! cancelled or finished: a panicking `Drop` there aborts the process. An
//! aborted `Abortable` has finished but still owns the work, so the raw
//! `ex.spawn(abortable(work))` aborts the process on one
//! (`tests/raw_drop_panic.rs` watches it in a child process). Here the work
//! sits in a slot beside the `Abortable` and is dropped inside the task, its
//! panic caught, before the task ends; and the handle detaches its `Task`
//! when dropped, so the task is never cancelled.

use std::future::Future;
use std::time::Duration;

use async_executor::{Executor, FallibleTask};
use async_io::Timer;
use futures_util::future::AbortHandle;

use crate::{Cancellation, Capabilities, Error, Outcome};

/// What the abortable strategy does on smol.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` inside an `Abortable` until it completes or `timeout` passes;
/// on timeout the work is aborted and dropped before this returns.
///
/// Nothing is spawned: the work is polled by whoever polls this future.
/// Output ready at the deadline wins, so `Duration::ZERO` polls the work
/// once: ready work completes, anything else times out. `Duration::MAX`
/// never times out.
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
    // `Timer::after` treats a deadline past `Instant`'s range
    // (`Duration::MAX`) as "never" (I8).
    crate::run_until(work, Timer::after(timeout)).await
}

/// Runs `work` inside an `Abortable` until it completes or `until` does;
/// then aborts it, and returns once it has been dropped. [`run_with_timeout`]
/// is this with an `async_io::Timer` as `until`; a precise deadline is
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

/// Starts `work` on `ex`, inside an `Abortable`, and returns a handle whose
/// `cancel` aborts it and waits until it has been dropped.
pub fn start<'a, F>(ex: &Executor<'a>, work: F) -> AbortableHandle<F::Output>
where
    F: Future + Send + 'a,
    F::Output: Send + 'a,
{
    let (abort, reg) = AbortHandle::new_pair();
    let task = ex.spawn(crate::run_abortable(work, reg));
    AbortableHandle {
        abort,
        // `fallible`: `join` reports an executor dropped under the task
        // instead of panicking.
        task: Some(task.fallible()),
    }
}

/// A handle to work started with [`start`]: the futures `AbortHandle` of its
/// `Abortable`, and the task that polls it.
///
/// Dropping it does not abort the work: the task runs on, detached, as a
/// dropped futures `AbortHandle` lets it. (A dropped smol `Task` would cancel
/// its task instead; this handle detaches its own.)
#[derive(Debug)]
pub struct AbortableHandle<T> {
    abort: AbortHandle,
    // `Some` until joined.
    task: Option<FallibleTask<Result<Cancellation<T>, Error>>>,
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
        self.task.as_ref().is_none_or(FallibleTask::is_finished)
    }

    /// Waits until the work finishes, or stops after an earlier request.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which detaches the work.
    pub async fn join(mut self) -> Result<Cancellation<T>, Error> {
        // Await the task in place: if this future is dropped, `Drop` detaches it.
        let Some(task) = self.task.as_mut() else {
            return Err(Error::Lost("the task was already joined".into()));
        };
        let ended = task.await;
        self.task = None;
        // `None`: the executor dropped the task before it ended.
        ended.unwrap_or_else(|| {
            Err(Error::Lost(
                "the smol executor dropped the task before it ended".into(),
            ))
        })
    }
}

impl<T> Drop for AbortableHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Dropping a smol Task would cancel it; a dropped futures
            // AbortHandle does not abort, so the work runs on, detached.
            task.detach();
        }
    }
}

cancel_contract::delegate_cancel_handle!(AbortableHandle, cancel = stop_then_join);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CancelHandle;
    use crate::testing::{DROP_PANIC, DropFlag, Polls, boom};
    use async_io::block_on;
    use std::future::{pending, ready};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, mpsc};

    /// Waits, with a wide margin, until `done` says so.
    async fn until(done: impl Fn() -> bool) {
        for _ in 0..10_000 {
            if done() {
                return;
            }
            Timer::after(Duration::from_millis(1)).await;
        }
        panic!("the condition did not come true in time");
    }

    /// An executor run by a thread of its own until the returned sender is dropped.
    fn executor() -> (Arc<Executor<'static>>, async_channel::Sender<()>) {
        let ex = Arc::new(Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let runner = Arc::clone(&ex);
        std::thread::spawn(move || block_on(runner.run(stopped.recv())));
        (ex, stop)
    }

    /// Parked work that sets a flag when dropped, and counts its polls.
    fn parked(flag: DropFlag, polls: &Polls) -> impl Future<Output = ()> + Send + 'static {
        let parked = polls.pending::<()>();
        async move {
            let _flag = flag;
            parked.await;
        }
    }

    #[test]
    fn work_that_finishes_before_the_deadline_completes() {
        let (flag, dropped) = DropFlag::new();
        let work = async move {
            let _flag = flag;
            Timer::after(Duration::from_millis(1)).await;
            7
        };
        // No executor: `run_with_timeout` spawns nothing.
        let outcome = block_on(run_with_timeout(Duration::from_secs(60), work));
        assert_eq!(outcome, Ok(Outcome::Completed(7)));
        assert!(dropped.get());
    }

    #[test]
    fn a_timeout_drops_the_work_before_it_returns() {
        let (flag, dropped) = DropFlag::new();
        let work = async move {
            let _flag = flag;
            Timer::after(Duration::from_secs(3600)).await;
        };
        let outcome = block_on(run_with_timeout(Duration::from_millis(5), work));
        assert_eq!(outcome, Ok(Outcome::TimedOut));
        assert!(dropped.get());
    }

    #[test]
    fn zero_polls_the_work_once_and_ready_work_completes() {
        assert_eq!(
            block_on(run_with_timeout(Duration::ZERO, ready(1))),
            Ok(Outcome::Completed(1))
        );
        let polls = Polls::default();
        let outcome = block_on(run_with_timeout(Duration::ZERO, polls.pending::<u8>()));
        assert_eq!(outcome, Ok(Outcome::TimedOut));
        assert!(
            polls.count() >= 1,
            "the work was polled before the deadline"
        );
    }

    #[test]
    fn max_never_times_out() {
        let work = async {
            Timer::after(Duration::from_millis(5)).await;
            2
        };
        let outcome = block_on(run_with_timeout(Duration::MAX, work));
        assert_eq!(outcome, Ok(Outcome::Completed(2)));
    }

    #[test]
    fn cancel_returns_the_output_that_was_ready() {
        let ex = Executor::new();
        block_on(ex.run(async {
            let handle = start(&ex, async { 42 });
            until(|| handle.is_finished()).await;
            assert_eq!(handle.cancel().await, Ok(Cancellation::Finished(42)));
        }));
    }

    #[test]
    fn cancel_of_parked_work_stops_it_and_drops_it_first() {
        let ex = Executor::new();
        block_on(ex.run(async {
            let (flag, dropped) = DropFlag::new();
            let polls = Polls::default();
            let handle = start(&ex, parked(flag, &polls));
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
        }));
    }

    #[test]
    fn an_abort_before_the_first_poll_never_polls_the_work() {
        let ex = Executor::new();
        block_on(ex.run(async {
            let (flag, dropped) = DropFlag::new();
            let polls = Polls::default();
            // `run` polls this future before any task: the task has not run yet.
            let handle = start(&ex, parked(flag, &polls));
            assert_eq!(handle.cancel().await, Ok(Cancellation::Stopped));
            assert!(dropped.get());
            assert_eq!(polls.count(), 0);
        }));
    }

    #[test]
    fn a_panic_in_the_work_is_a_work_panic() {
        let timed = block_on(run_with_timeout(Duration::from_secs(60), async { boom() }));
        assert_eq!(timed, Err(Error::WorkPanicked("boom".into())));
        let ex = Executor::new();
        let joined = block_on(ex.run(start(&ex, async { boom() }).join()));
        assert_eq!(joined, Err(Error::WorkPanicked("boom".into())));
    }

    /// async-task aborts the process when a cancelled task's Drop panics;
    /// here the task is never cancelled, so this test's process lives.
    #[test]
    fn a_panicking_drop_is_a_cleanup_panic() {
        let (flag, dropped) = DropFlag::panicking();
        let work = async move {
            let _flag = flag;
            pending::<()>().await;
        };
        let timed = block_on(run_with_timeout(Duration::from_millis(5), work));
        assert_eq!(timed, Err(Error::CleanupPanicked(DROP_PANIC.into())));
        assert!(dropped.get());

        let ex = Executor::new();
        block_on(ex.run(async {
            let (flag, dropped) = DropFlag::panicking();
            let polls = Polls::default();
            let handle = start(&ex, parked(flag, &polls));
            until(|| polls.count() >= 1).await;
            let cancelled = handle.cancel().await;
            assert_eq!(cancelled, Err(Error::CleanupPanicked(DROP_PANIC.into())));
            assert!(dropped.get());
        }));
    }

    #[test]
    fn request_stop_twice_is_harmless() {
        let ex = Executor::new();
        block_on(ex.run(async {
            let (flag, dropped) = DropFlag::new();
            let handle = start(&ex, parked(flag, &Polls::default()));
            handle.request_stop();
            CancelHandle::request_stop(&handle);
            assert_eq!(
                CancelHandle::cancel(handle).await,
                Ok(Cancellation::Stopped)
            );
            assert!(dropped.get());

            let handle = start(&ex, ready(3));
            until(|| handle.is_finished()).await;
            handle.request_stop();
            handle.request_stop();
            assert_eq!(handle.join().await, Ok(Cancellation::Finished(3)));
        }));
    }

    #[test]
    fn dropping_the_handle_does_not_abort() {
        let ex = Executor::new();
        let done = Arc::new(AtomicBool::new(false));
        let set = Arc::clone(&done);
        block_on(ex.run(async {
            let handle = start(&ex, async move {
                Timer::after(Duration::from_millis(10)).await;
                set.store(true, Ordering::SeqCst);
            });
            drop(handle);
            until(|| done.load(Ordering::SeqCst)).await;
        }));
    }

    #[test]
    fn a_dropped_executor_is_a_lost_work() {
        let ex = Executor::new();
        let handle = start(&ex, pending::<()>());
        drop(ex);
        assert!(matches!(block_on(handle.join()), Err(Error::Lost(_))));
    }

    /// An abort that arrives while the work's poll is running is read only at
    /// the next poll; the output that poll produces is kept (I1).
    #[test]
    fn output_produced_while_the_abort_is_pending_is_kept() {
        let (ex, _stop) = executor();
        let (started_tx, started) = mpsc::channel();
        let (go, go_rx) = mpsc::channel::<()>();
        let handle = start(&ex, async move {
            // Block this poll until the abort has been requested.
            let _ = started_tx.send(());
            let _ = go_rx.recv();
            7
        });
        started.recv().expect("the work starts");
        handle.request_stop();
        go.send(()).expect("the work is waiting");
        assert_eq!(block_on(handle.cancel()), Ok(Cancellation::Finished(7)));
    }
}
