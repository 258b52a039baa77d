//! Drop-on-select on smol: `futures_lite::FutureExt::or` with an
//! `async_io::Timer`, and a stop channel raced the same way.
//!
//! smol has no ambient runtime, so every smol module of cancel-lab follows
//! one rule: a function that spawns a task onto an executor takes
//! `ex: &Executor<'_>` as its first argument, and one that does not takes
//! none.
//! Here `start` spawns the work; `run_with_timeout` runs it inside the
//! caller's task and needs no executor.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use async_channel::{Sender, bounded};
use async_executor::{Executor, FallibleTask};
use async_io::Timer;
use cancel_contract::{Cancellation, Capabilities, Error, Outcome, drop_slot, run_slot};
use futures_lite::FutureExt as _;

/// What drop-on-select does on smol.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` until it completes or `timeout` passes; on timeout the work is
/// dropped before this returns.
///
/// `Duration::ZERO` polls the work once: ready work completes, anything else
/// times out. `Duration::MAX` never times out.
///
/// # Cancel safety
///
/// Dropping the returned future drops `work` with it.
pub async fn run_with_timeout<F: Future>(
    timeout: Duration,
    work: F,
) -> Result<Outcome<F::Output>, Error> {
    // The work sits in a slot we own, so we, not the timer, decide when it is dropped.
    let mut slot = pin!(Some(work));
    // `or` polls the work before the timer: output ready at the deadline wins (I1).
    // `Timer::after` treats a deadline past `Instant`'s range as "never".
    let finished = async { Some(run_slot(slot.as_mut()).await) }
        .or(async {
            Timer::after(timeout).await;
            None
        })
        .await;
    match finished {
        Some(result) => result.map(Outcome::Completed),
        // Drop the work now, before reporting (I4), catching a panicking Drop (I7).
        None => drop_slot(slot).map(|()| Outcome::TimedOut),
    }
}

/// Runs `work` until it completes or `until` completes; when `until` comes
/// first the work is dropped before this returns and the outcome is
/// [`Outcome::TimedOut`]. `run_with_timeout` is this with an `async_io::Timer` as
/// `until`; a precise deadline is `cancel_timer::sleep(d)`.
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

/// Starts `work` on `ex` and returns a handle whose `cancel` drops it.
pub fn start<F>(ex: &Executor<'_>, work: F) -> SelectHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Closing the channel (or dropping its sender) is the stop message.
    let (stop, stopped) = bounded::<()>(1);
    let task = ex.spawn(crate::until_stopped(work, async move {
        // An error here means "closed": that is the stop.
        let _ = stopped.recv().await;
    }));
    SelectHandle {
        stop,
        task: Some(task.fallible()),
    }
}

/// A handle to work started with [`start`]. Dropping it stops the work.
#[derive(Debug)]
pub struct SelectHandle<T> {
    stop: Sender<()>,
    // `Some` until joined. On drop it is detached, not dropped: dropping a
    // smol Task cancels it by dropping the future wherever it is, and a
    // panicking Drop there would escape us. The stop message drops the work
    // inside the task instead, where its panic is caught.
    task: Option<FallibleTask<Result<Cancellation<T>, Error>>>,
}

impl<T: Send + 'static> SelectHandle<T> {
    /// Asks the work to stop without waiting; harmless to repeat.
    pub fn request_stop(&self) {
        self.stop.close();
    }

    /// `true` once the work has finished or stopped.
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(FallibleTask::is_finished)
    }

    /// Waits until the work finishes, or stops after an earlier request.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which stops the work.
    pub async fn join(mut self) -> Result<Cancellation<T>, Error> {
        // Await the task in place: if this future is dropped, `Drop` detaches it.
        let Some(task) = self.task.as_mut() else {
            return Err(Error::Lost("the task was already joined".into()));
        };
        let result = task.await;
        self.task = None;
        // `None`: the executor dropped the task before it ended.
        result.unwrap_or_else(|| Err(executor_gone()))
    }
}

impl<T> Drop for SelectHandle<T> {
    fn drop(&mut self) {
        self.stop.close();
        if let Some(task) = self.task.take() {
            // Let the task run to its stop branch; see the field comment.
            task.detach();
        }
    }
}

cancel_contract::delegate_cancel_handle!(SelectHandle, cancel = stop_then_join);

/// What `join` reports when the executor dropped the task before it ended.
fn executor_gone() -> Error {
    Error::Lost("the smol executor dropped the task before it ended".into())
}
