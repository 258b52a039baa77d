//! A forced stop on smol: `Executor::spawn` and `Task::cancel`.
//!
//! A smol `Task` stops its task when it is dropped (without waiting) or
//! cancelled with `Task::cancel().await` (waiting until the future has been
//! dropped; `Some(v)` if the task had completed). `Task::detach` is how smol
//! lets a task run on.
//!
//! smol has no ambient runtime, so every smol module of cancel-lab follows
//! one rule: a function that spawns a task onto an executor takes
//! `ex: &Executor<'_>` as its first argument, and one that does not takes
//! none.
//! Here both `run_with_timeout` and `start` spawn the work as a task of its
//! own, so both take `ex` (as `&Executor<'a>`: the work need only live as
//! long as the executor), and someone must be running it.

use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_executor::{Executor, Task};
use async_io::Timer;
use cancel_contract::{Cancellation, Cap, Capabilities, Error, Outcome};

use crate::guarded::{Watch, guard};

/// What a forced stop does on smol.
pub const CAPABILITIES: Capabilities = crate::capabilities(
    // Our handle owns the smol `Task`, and dropping a `Task` cancels it.
    Cap::Yes,
);

/// Runs `work` as a task on `ex` until it completes or `timeout` passes; on
/// timeout the task is cancelled, and this returns once it has stopped.
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
/// Dropping the returned future drops the `Task`, which cancels it without
/// waiting for it to stop.
pub async fn run_with_timeout<'a, F>(
    ex: &Executor<'a>,
    timeout: Duration,
    work: F,
) -> Result<Outcome<F::Output>, Error>
where
    F: Future + Send + 'a,
    F::Output: Send + 'a,
{
    // `Timer::after` treats an overflowing deadline as "never" (I8).
    run_until(ex, Timer::after(timeout), work).await
}

/// Runs `work` as a task on `ex` until it completes or `until` does; then
/// cancels the task, and returns once it has stopped. [`run_with_timeout`]
/// is this with an `async_io::Timer` as `until`; a precise deadline is
/// `cancel_timer::sleep(d)`. `until` is judged only once the work has been
/// polled.
///
/// # Cancel safety
///
/// As [`run_with_timeout`].
pub async fn run_until<'a, U, F>(
    ex: &Executor<'a>,
    until: U,
    work: F,
) -> Result<Outcome<F::Output>, Error>
where
    U: Future,
    F: Future + Send + 'a,
    F::Output: Send + 'a,
{
    let (guarded, watch) = guard(work);
    let task = ex.spawn(guarded);
    // The work's end is polled before `until`: output ready then wins (I1).
    let in_time = crate::before(watch.gone(), until).await.is_some();
    if !in_time {
        // Judge the deadline only once the work has been polled (I8).
        watch.started().await;
        // Unlike dropping the task, `cancel` waits until its future has been
        // dropped (I4).
        task.cancel().await;
    }
    watch.timed()
}

/// Starts `work` on `ex` and returns a handle whose `cancel` stops it and
/// waits until it has stopped.
pub fn start<'a, F>(ex: &Executor<'a>, work: F) -> AbortHandle<F::Output>
where
    F: Future + Send + 'a,
    F::Output: Send + 'a,
{
    let (guarded, watch) = guard(work);
    AbortHandle {
        task: Mutex::new(Some(ex.spawn(guarded))),
        watch,
    }
}

/// A handle to work started with [`start`]. Dropping it cancels the work, as
/// dropping a smol `Task` does.
#[derive(Debug)]
pub struct AbortHandle<T> {
    // `Some` until a stop is requested or the handle is joined.
    task: Mutex<Option<Task<()>>>,
    watch: Watch<T>,
}

impl<T: Send> AbortHandle<T> {
    fn take_task(&self) -> Option<Task<()>> {
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
        // Dropping a smol Task cancels it, without waiting.
        drop(self.take_task());
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
            // An earlier `request_stop` dropped the task: wait for its future.
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
    /// Dropping this future drops the handle, which cancels the work.
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        match self.take_task() {
            // `fallible` gives `None` instead of panicking if the executor
            // dropped the task.
            Some(task) => {
                task.fallible().await;
            }
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
    use futures_lite::future::{block_on, poll_once};
    use std::pin::pin;
    use std::sync::{Arc, mpsc};

    /// An executor run by a thread of its own until the returned sender is dropped.
    fn executor() -> (Arc<Executor<'static>>, async_channel::Sender<()>) {
        let ex = Arc::new(Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let runner = Arc::clone(&ex);
        std::thread::spawn(move || block_on(runner.run(stopped.recv())));
        (ex, stop)
    }

    /// Work that returns 7 once `go` says so, after telling `started` it runs.
    async fn blocked_work(started: mpsc::Sender<()>, go: mpsc::Receiver<()>) -> u32 {
        // Block this poll until the cancel has been requested.
        let _ = started.send(());
        let _ = go.recv();
        7
    }

    #[test]
    fn a_timeout_cancels_the_task_and_waits_until_it_is_dropped() {
        let ex = Executor::new();
        let probe = Probe::new();
        let guard = probe.guard();
        let work = async move {
            let _guard = guard;
            Timer::after(Duration::from_secs(3600)).await;
        };
        let outcome = block_on(ex.run(run_with_timeout(&ex, Duration::from_millis(5), work)));
        assert_eq!(outcome, Ok(Outcome::TimedOut));
        assert!(probe.dropped.is_set());
    }

    /// The raw API loses output: a task that completes while a cancel is
    /// pending has its output dropped, and `cancel` returns `None`.
    #[test]
    fn a_raw_cancel_drops_output_produced_while_it_was_pending() {
        let (ex, _stop) = executor();
        let (started_tx, started) = mpsc::channel();
        let (go, go_rx) = mpsc::channel();
        let task = ex.spawn(blocked_work(started_tx, go_rx));
        started.recv().expect("the work starts");
        let mut cancel = pin!(task.cancel());
        assert!(block_on(poll_once(cancel.as_mut())).is_none());
        go.send(()).expect("the work is waiting");
        assert_eq!(
            block_on(cancel),
            None,
            "the output 7 was produced, then dropped"
        );
    }

    #[test]
    fn output_produced_while_a_cancel_is_pending_is_returned() {
        let (ex, _stop) = executor();
        let (started_tx, started) = mpsc::channel();
        let (go, go_rx) = mpsc::channel();
        let handle = start(&ex, blocked_work(started_tx, go_rx));
        started.recv().expect("the work starts");
        let mut cancel = pin!(handle.cancel());
        assert!(block_on(poll_once(cancel.as_mut())).is_none());
        go.send(()).expect("the work is waiting");
        assert_eq!(block_on(cancel), Ok(Cancellation::Finished(7)));
    }

    #[test]
    fn dropping_a_timed_run_cancels_its_task() {
        let (ex, _stop) = executor();
        // The sender lives as long as the work: `recv` fails once it is dropped.
        let (keep, gone) = async_channel::bounded::<()>(1);
        let mut timed = Box::pin(run_with_timeout(&ex, Duration::from_secs(60), async move {
            let _keep = keep;
            std::future::pending::<()>().await;
        }));
        assert!(block_on(poll_once(&mut timed)).is_none());
        drop(timed);
        assert!(block_on(gone.recv()).is_err());
    }

    #[test]
    fn dropping_the_handle_cancels_the_work() {
        let (ex, _stop) = executor();
        let (keep, gone) = async_channel::bounded::<()>(1);
        let handle = start(&ex, async move {
            let _keep = keep;
            std::future::pending::<()>().await;
        });
        drop(handle);
        // The sender is dropped with the work: `recv` fails once it is stopped.
        assert!(block_on(gone.recv()).is_err());
    }
}
