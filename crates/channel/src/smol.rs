//! Stop messages on smol: an `async_channel` that is closed to stop.
//!
//! smol has no ambient runtime, so every smol module of cancel-lab follows
//! one rule: a function that spawns a task onto an executor takes
//! `ex: &Executor<'_>` as its first argument, and one that does not takes
//! none.
//! Here `start` and `start_with` spawn the work; `run_with_timeout` runs it
//! inside the caller's task and needs no executor.

use std::future::Future;
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
    // `Timer::after` treats a deadline past `Instant`'s range as "never".
    run_until(Timer::after(timeout), work).await
}

/// Runs `work` until it returns or `until` completes; then closes its channel and waits
/// until the work has returned. [`run_with_timeout`] is this with an `async_io::Timer`
/// as `until`; a precise deadline is `cancel_timer::sleep(d)`.
///
/// `Some(v)` is `Completed(v)`, even after `until`; `None` after the stop is
/// `TimedOut`. The work is polled before `until`.
///
/// # Cancel safety
///
/// Dropping the returned future drops the work where it stands: no cleanup runs.
pub async fn run_until<U, W, F, T>(until: U, work: W) -> Result<Outcome<T>, Error>
where
    U: Future,
    W: FnOnce(Receiver<()>) -> F,
    F: Future<Output = Option<T>>,
{
    let (stop, stopped) = bounded(1);
    run_cooperative(work(stopped), until, || {
        stop.close();
    })
    .await
}

/// One stop for a group of tasks: an `async_channel` that is closed to
/// stop.
///
/// Clones share one channel. [`start_with`] hands each task started on it a
/// receiver, and [`stop`](StopChannel::stop) closes the channel, which wakes
/// every receiver at once and stays closed. Dropping the last clone closes
/// it as well.
#[derive(Debug, Clone)]
pub struct StopChannel {
    stop: Sender<()>,
    // Kept so the channel closes only on a stop or when the last clone goes,
    // never because the work dropped its receiver.
    stopped: Receiver<()>,
}

impl StopChannel {
    /// A new channel, not stopped.
    pub fn new() -> StopChannel {
        let (stop, stopped) = bounded(1);
        StopChannel { stop, stopped }
    }

    /// Closes the channel: every receiver, those to come included, sees the
    /// stop. Harmless to repeat.
    pub fn stop(&self) {
        self.stop.close();
    }

    /// `true` once [`stop`](StopChannel::stop) was called on this channel or
    /// any clone of it.
    pub fn is_stopped(&self) -> bool {
        self.stop.is_closed()
    }

    /// A receiver of the stop, for work or a task it hands the stop on to:
    /// `recv()` fails once the channel is closed.
    pub fn receiver(&self) -> Receiver<()> {
        self.stopped.clone()
    }
}

impl Default for StopChannel {
    fn default() -> Self {
        StopChannel::new()
    }
}

/// Starts `work` on `ex`, handing it a receiver that is closed on stop;
/// clones of it reach the work's children.
pub fn start<W, F, T>(ex: &Executor<'_>, work: W) -> ChannelHandle<T>
where
    W: FnOnce(Receiver<()>) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    start_with(ex, StopChannel::new(), work)
}

/// Like [`start`], but on the channel you give: start tasks on clones of one
/// [`StopChannel`] and one [`StopChannel::stop`] stops them all. The
/// handle's `request_stop` closes the whole channel too; dropping the handle
/// drops its clone, which stops nothing while other clones are alive.
pub fn start_with<W, F, T>(ex: &Executor<'_>, signal: StopChannel, work: W) -> ChannelHandle<T>
where
    W: FnOnce(Receiver<()>) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    let task = ex.spawn(catch_panics(work(signal.receiver())));
    ChannelHandle {
        signal,
        task: Some(task.fallible()),
    }
}

/// A handle to work started with [`start`]. Dropping it drops its clone of
/// the channel, which closes it unless other clones keep it open: a stop.
#[derive(Debug)]
pub struct ChannelHandle<T> {
    signal: StopChannel,
    // `Some` until joined. On drop it is detached, not dropped: dropping a
    // smol Task would drop the work at once, before it could clean up.
    task: Option<FallibleTask<Result<Option<T>, Error>>>,
}

impl<T: Send + 'static> ChannelHandle<T> {
    /// The work's channel, to stop it from elsewhere or start more work on it.
    pub fn signal(&self) -> &StopChannel {
        &self.signal
    }

    /// Closes the channel without waiting; harmless to repeat.
    pub fn request_stop(&self) {
        self.signal.stop();
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
        // Closed only by a stop: the channel keeps a receiver of its own.
        settle(ended, self.signal.is_stopped())
    }
}

impl<T> Drop for ChannelHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Let the work see the close and clean up; see the field comment.
            // The channel closes when `signal`, dropped after this, was its
            // last clone.
            task.detach();
        }
    }
}

cancel_contract::delegate_cancel_handle!(ChannelHandle, cancel = stop_then_join);

/// What `join` reports when the executor dropped the task before it ended.
fn executor_gone() -> Error {
    Error::Lost("the smol executor dropped the task before it ended".into())
}
