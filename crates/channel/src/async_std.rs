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
    let (stop, stopped) = bounded(1);
    // async-std's timer (async-io) treats an overflowing deadline as "never".
    let deadline = async_std::task::sleep(timeout);
    run_cooperative(work(stopped), deadline, || {
        stop.close();
    })
    .await
}

/// Starts `work` as an async-std task, handing it a receiver that is closed
/// on stop; clones of it reach the work's children.
pub fn start<W, F, T>(work: W) -> ChannelHandle<T>
where
    W: FnOnce(Receiver<()>) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    let (stop, stopped) = bounded(1);
    spawn(stop, stopped, false, work)
}

/// Like [`start`], but on a channel you share: closing `stop` once stops
/// every task started on it. The handle's `request_stop` closes the shared
/// channel too; dropping the handle does not (a clone of the sender goes).
pub fn start_with<W, F, T>(stop: &Sender<()>, stopped: &Receiver<()>, work: W) -> ChannelHandle<T>
where
    W: FnOnce(Receiver<()>) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    spawn(stop.clone(), stopped.clone(), true, work)
}

fn spawn<W, F, T>(
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
    let done = Arc::new(AtomicBool::new(false));
    let work = work(stopped);
    let task = async_std::task::spawn({
        let done = Arc::clone(&done);
        async move {
            let ended = catch_panics(work).await;
            // async-std's JoinHandle cannot say whether the task ended.
            done.store(true, Ordering::Release);
            ended
        }
    });
    ChannelHandle {
        stop,
        asked: AtomicBool::new(false),
        shared,
        done,
        task,
    }
}

/// A handle to work started with [`start`]. Dropping it drops the sender,
/// which closes the channel: a stop.
#[derive(Debug)]
pub struct ChannelHandle<T> {
    stop: Sender<()>,
    // Whether a stop was asked for: `settle` needs it to tell `Stopped` from `Lost`.
    asked: AtomicBool,
    // Started with `start_with`: whoever shares the channel may close it.
    shared: bool,
    done: Arc<AtomicBool>,
    task: JoinHandle<Result<Option<T>, Error>>,
}

impl<T: Send + 'static> ChannelHandle<T> {
    /// Closes the channel without waiting; harmless to repeat.
    pub fn request_stop(&self) {
        self.asked.store(true, Ordering::Release);
        self.stop.close();
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
        // Keep the sender alive while we wait: dropping it would stop the work.
        let ChannelHandle {
            stop,
            asked,
            shared,
            done: _,
            task,
        } = self;
        let ended = task.await;
        // Not `stop.is_closed()` alone: the channel also closes when the work
        // drops its last receiver, and a `None` nobody asked for is `Lost`. A
        // shared channel has other receivers: closed means someone stopped it.
        let asked = asked.load(Ordering::Acquire) || (shared && stop.is_closed());
        settle(ended, asked)
    }
}

cancel_contract::delegate_cancel_handle!(ChannelHandle, cancel = stop_then_join);
