//! Stop messages on smol: an `async_channel` that is closed to stop.
//!
//! smol has no ambient runtime: `start` spawns onto the executor you pass.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_channel::{Receiver, Sender, bounded};
use async_executor::{Executor, FallibleTask};
use async_io::Timer;
use cancel_contract::cooperative::{run_cooperative, settle};
use cancel_contract::{Cancellation, Capabilities, Error, Outcome, catch_panics};

/// What a stop message does on smol.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` until it returns or `timeout` passes; then closes its channel
/// and waits until the work has returned.
///
/// The work stops when `recv()` on its receiver returns an error (closed).
/// `Some(v)` is `Completed(v)`, even after the deadline; `None` after the
/// close is `TimedOut`. `Duration::ZERO` closes at once; `Duration::MAX`
/// never closes.
///
/// # Cancel safety
///
/// Dropping the returned future drops the work where it stands: no cleanup runs.
pub async fn run_with_timeout<W, F, T>(timeout: Duration, work: W) -> Result<Outcome<T>, Error>
where
    W: FnOnce(Receiver<()>) -> F,
    F: Future<Output = Option<T>>,
{
    let (stop, stopped) = bounded(1);
    // `Timer::after` treats a deadline past `Instant`'s range as "never".
    let deadline = async {
        Timer::after(timeout).await;
    };
    run_cooperative(work(stopped), deadline, || {
        stop.close();
    })
    .await
}

/// Starts `work` on `ex`, handing it a receiver that is closed on stop;
/// clones of it reach the work's children.
pub fn start<W, F, T>(ex: &Executor<'_>, work: W) -> ChannelHandle<T>
where
    W: FnOnce(Receiver<()>) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    let (stop, stopped) = bounded(1);
    spawn(ex, stop, stopped, false, work)
}

/// Like [`start`], but on a channel you share: closing `stop` once stops
/// every task started on it. The handle's `request_stop` closes the shared
/// channel too; dropping the handle does not (a clone of the sender goes).
pub fn start_with<W, F, T>(
    ex: &Executor<'_>,
    stop: &Sender<()>,
    stopped: &Receiver<()>,
    work: W,
) -> ChannelHandle<T>
where
    W: FnOnce(Receiver<()>) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    spawn(ex, stop.clone(), stopped.clone(), true, work)
}

fn spawn<W, F, T>(
    ex: &Executor<'_>,
    stop: Sender<()>,
    stopped: Receiver<()>,
    shared: bool,
    work: W,
) -> ChannelHandle<T>
where
    W: FnOnce(Receiver<()>) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    let task = ex.spawn(catch_panics(work(stopped)));
    ChannelHandle {
        stop,
        asked: AtomicBool::new(false),
        shared,
        task: Some(task.fallible()),
    }
}

/// A handle to work started with [`start`]. Dropping it closes the channel:
/// a stop.
#[derive(Debug)]
pub struct ChannelHandle<T> {
    stop: Sender<()>,
    // Whether a stop was asked for: `settle` needs it to tell `Stopped` from `Lost`.
    asked: AtomicBool,
    // Started with `start_with`: whoever shares the channel may close it.
    shared: bool,
    // `Some` until joined. On drop it is detached, not dropped: dropping a
    // smol Task would drop the work at once, before it could clean up.
    task: Option<FallibleTask<Result<Option<T>, Error>>>,
}

impl<T: Send + 'static> ChannelHandle<T> {
    /// Closes the channel without waiting; harmless to repeat.
    pub fn request_stop(&self) {
        self.asked.store(true, Ordering::Release);
        self.stop.close();
    }

    /// `true` once the work has returned.
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(FallibleTask::is_finished)
    }

    /// Waits until the work returns, without closing the channel.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which stops the work unless
    /// it shares its channel (see [`start_with`]).
    pub async fn join(mut self) -> Result<Cancellation<T>, Error> {
        // Await the task in place: if this future is dropped, `Drop` detaches it.
        let Some(task) = self.task.as_mut() else {
            return Err(Error::Lost("the task was already joined".into()));
        };
        // `None`: the executor dropped the task before it ended.
        let ended = task.await.unwrap_or_else(|| Err(executor_gone()));
        self.task = None;
        // Not `stop.is_closed()` alone: the channel also closes when the work
        // drops its last receiver, and a `None` nobody asked for is `Lost`. A
        // shared channel has other receivers: closed means someone stopped it.
        let asked = self.asked.load(Ordering::Acquire) || (self.shared && self.stop.is_closed());
        settle(ended, asked)
    }
}

impl<T> Drop for ChannelHandle<T> {
    fn drop(&mut self) {
        // A shared channel stays open for the other tasks on it.
        if !self.shared {
            self.stop.close();
        }
        if let Some(task) = self.task.take() {
            // Let the work see the close and clean up; see the field comment.
            task.detach();
        }
    }
}

cancel_contract::delegate_cancel_handle!(ChannelHandle, cancel = stop_then_join);

/// What `join` reports when the executor dropped the task before it ended.
fn executor_gone() -> Error {
    Error::Lost("the smol executor dropped the task before it ended".into())
}
