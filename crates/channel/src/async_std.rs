//! Stop messages on async-std: an `async_std::channel` that is closed to stop.
//!
//! async-std is deprecated upstream in favour of smol; this module stays
//! because much code still runs on it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_std::channel::{Receiver, Sender, bounded};
use async_std::task::JoinHandle;
use cancel_contract::cooperative::{run_cooperative, settle};
use cancel_contract::{Cancellation, Capabilities, Error, Outcome, catch_panics};

/// What a stop message does on async-std.
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
    // async-std's timer (async-io) treats an overflowing deadline as "never".
    run_until(async_std::task::sleep(timeout), work).await
}

/// Runs `work` until it returns or `until` completes; then closes its channel and waits
/// until the work has returned. [`run_with_timeout`] is this with `async_std::task::sleep(timeout)`
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

/// One stop for a group of tasks: an `async_std::channel` that is closed to
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

/// Starts `work` as an async-std task, handing it a receiver that is closed
/// on stop; clones of it reach the work's children.
pub fn start<W, F, T>(work: W) -> ChannelHandle<T>
where
    W: FnOnce(Receiver<()>) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    start_with(StopChannel::new(), work)
}

/// Like [`start`], but on the channel you give: start tasks on clones of one
/// [`StopChannel`] and one [`StopChannel::stop`] stops them all. The
/// handle's `request_stop` closes the whole channel too; dropping the handle
/// drops its clone, which stops nothing while other clones are alive.
pub fn start_with<W, F, T>(signal: StopChannel, work: W) -> ChannelHandle<T>
where
    W: FnOnce(Receiver<()>) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    let done = Arc::new(AtomicBool::new(false));
    let work = work(signal.receiver());
    let task = async_std::task::spawn({
        let done = Arc::clone(&done);
        async move {
            let ended = catch_panics(work).await;
            // async-std's JoinHandle cannot say whether the task ended.
            done.store(true, Ordering::Release);
            ended
        }
    });
    ChannelHandle { signal, done, task }
}

/// A handle to work started with [`start`]. Dropping it drops its clone of
/// the channel, which closes it unless other clones keep it open: a stop.
#[derive(Debug)]
pub struct ChannelHandle<T> {
    signal: StopChannel,
    done: Arc<AtomicBool>,
    task: JoinHandle<Result<Option<T>, Error>>,
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
        self.done.load(Ordering::Acquire)
    }

    /// Waits until the work returns, without closing the channel.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which stops the work unless
    /// it shares its channel (see [`start_with`]).
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        // Keep the channel alive while we wait: dropping it would stop the work.
        let ChannelHandle {
            signal,
            done: _,
            task,
        } = self;
        let ended = task.await;
        // Closed only by a stop: the channel keeps a receiver of its own.
        settle(ended, signal.is_stopped())
    }
}

cancel_contract::delegate_cancel_handle!(ChannelHandle, cancel = stop_then_join);
