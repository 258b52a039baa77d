//! Drop-on-select on tokio: `tokio::time::timeout` and `tokio::select!`.
//!
//! `start` must be called from inside a tokio runtime (it uses `tokio::spawn`).

use std::future::Future;
use std::pin::pin;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use cancel_contract::{Cancellation, Capabilities, Error, Outcome, drop_slot, run_slot};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What drop-on-select does on tokio.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` until it completes or `timeout` passes; on timeout the work is
/// dropped before this returns.
///
/// `Duration::ZERO` polls the work once: ready work completes, anything else
/// times out. `Duration::MAX` never times out.
///
/// A panic in the work comes back as [`Error::WorkPanicked`], a panic in its
/// `Drop` during the timeout as [`Error::CleanupPanicked`].
///
/// # Cancel safety
///
/// Dropping the returned future drops `work` with it; nothing of the work
/// runs afterwards.
pub async fn run_with_timeout<F: Future>(
    timeout: Duration,
    work: F,
) -> Result<Outcome<F::Output>, Error> {
    // The work sits in a slot we own, so we, not the timer, decide when it is dropped.
    let mut slot = pin!(Some(work));
    // `timeout` polls the work before its timer: output ready at the deadline wins (I1).
    // tokio clamps `Duration::MAX` to a deadline far in the future instead of overflowing.
    match tokio::time::timeout(timeout, run_slot(slot.as_mut())).await {
        Ok(result) => result.map(Outcome::Completed),
        // Drop the work now, before reporting (I4), catching a panicking Drop (I7).
        Err(_elapsed) => drop_slot(slot).map(|()| Outcome::TimedOut),
    }
}

/// Runs `work` until it completes or `until` completes; when `until` comes
/// first the work is dropped before this returns and the outcome is
/// [`Outcome::TimedOut`]. `run_with_timeout` is this with `tokio::time::sleep(timeout)` as
/// `until`; a precise deadline is `cancel_timer::tokio::sleep(d)`.
///
/// The work is polled before `until`: output ready when `until` completes
/// wins. A panic in the work comes back as [`Error::WorkPanicked`], a panic
/// in its `Drop` as [`Error::CleanupPanicked`].
///
/// # Cancel safety
///
/// Dropping the returned future drops `work` and `until` with it.
pub async fn run_until<U, F>(until: U, work: F) -> Result<Outcome<F::Output>, Error>
where
    U: Future<Output = ()>,
    F: Future,
{
    crate::run_until(until, work).await
}

/// Starts `work` on the current tokio runtime and returns a handle whose
/// `cancel` drops it.
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as `tokio::spawn` does.
pub fn start<F>(work: F) -> SelectHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut slot = pin!(Some(work));
        let finished = tokio::select! {
            // `biased`: poll the work first, so output ready when the stop arrives wins (I1).
            biased;
            result = run_slot(slot.as_mut()) => Some(result),
            // A stop message, or the handle dropped and the sender with it.
            _ = stopped => None,
        };
        match finished {
            Some(result) => result.map(Cancellation::Finished),
            // Drop the work here, inside the task, so a panicking Drop is
            // caught (I7) and has run before `cancel` returns (I4).
            None => drop_slot(slot).map(|()| Cancellation::Stopped),
        }
    });
    SelectHandle {
        stop: Mutex::new(Some(stop)),
        task,
    }
}

/// A handle to work started with [`start`]. Dropping it stops the work.
#[derive(Debug)]
pub struct SelectHandle<T> {
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: JoinHandle<Result<Cancellation<T>, Error>>,
}

impl<T: Send + 'static> SelectHandle<T> {
    /// Asks the work to stop without waiting; harmless to repeat.
    pub fn request_stop(&self) {
        // A poisoned lock only means another thread panicked mid-`take`; the
        // Option inside is still valid.
        let sender = self
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(sender) = sender {
            // An error means the task already ended: nothing left to stop.
            let _ = sender.send(());
        }
    }

    /// `true` once the work has finished or stopped.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits until the work finishes, or stops after an earlier request.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which stops the work.
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        // Keep the sender alive while we wait: dropping it would stop the work.
        let SelectHandle { stop, task } = self;
        let joined = task.await;
        drop(stop);
        match joined {
            Ok(result) => result,
            Err(e) if e.is_panic() => Err(Error::WorkPanicked(cancel_contract::panic_message(
                &*e.into_panic(),
            ))),
            Err(_) => Err(Error::Lost(
                "the tokio runtime shut down before the work ended".into(),
            )),
        }
    }
}

cancel_contract::delegate_cancel_handle!(SelectHandle, cancel = stop_then_join);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_timeout_drops_the_work_before_it_is_reported() {
        let probe = cancel_harness::probe::Probe::new();
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
    async fn run_until_drops_the_work_when_until_comes_first() {
        let probe = cancel_harness::probe::Probe::new();
        let guard = probe.guard();
        let work = async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        };
        let until = tokio::time::sleep(Duration::from_millis(5));
        assert_eq!(run_until(until, work).await, Ok(Outcome::TimedOut));
        assert!(probe.dropped.is_set());
    }

    #[tokio::test(start_paused = true)]
    async fn run_until_lets_ready_work_win_and_waits_for_nothing_else() {
        // Both ready: the work is polled first.
        assert_eq!(
            run_until(std::future::ready(()), async { 5 }).await,
            Ok(Outcome::Completed(5))
        );
        // `until` never comes: the work's output.
        let work = async {
            tokio::time::sleep(Duration::from_millis(3)).await;
            6
        };
        assert_eq!(
            run_until(std::future::pending(), work).await,
            Ok(Outcome::Completed(6))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_after_completion_returns_the_output() {
        let handle = start(async { 42 });
        while !handle.is_finished() {
            tokio::task::yield_now().await;
        }
        assert_eq!(handle.cancel().await, Ok(Cancellation::Finished(42)));
    }
}
