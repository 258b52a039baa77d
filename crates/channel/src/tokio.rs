//! Stop messages on tokio: a `oneshot` for one future, a `watch` for work
//! that hands the stop on to its children.
//!
//! `start` must be called from inside a tokio runtime (it uses `tokio::spawn`).

use std::future::Future;
use std::time::Duration;

use cancel_contract::cooperative::{run_cooperative, settle};
use cancel_contract::{Cancellation, Capabilities, Error, Outcome, catch_panics};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// What a stop message does on tokio.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` until it returns or `timeout` passes; then sends the stop
/// message on its `oneshot` and waits until the work has returned.
///
/// The receiver resolves with `Ok(())` on the message and with an error if
/// the sender is dropped: treat both as "stop". `Some(v)` is `Completed(v)`,
/// even after the deadline; `None` after the message is `TimedOut`.
/// `Duration::ZERO` sends at the next tick of tokio's 1 ms timer, unless the
/// work has returned by then; `Duration::MAX` never sends.
///
/// # Cancel safety
///
/// Dropping the returned future drops the work where it stands: no cleanup runs.
pub async fn run_with_timeout<W, F, T>(timeout: Duration, work: W) -> Result<Outcome<T>, Error>
where
    W: FnOnce(oneshot::Receiver<()>) -> F,
    F: Future<Output = Option<T>>,
{
    // tokio clamps `Duration::MAX` to a deadline far in the future.
    run_until(tokio::time::sleep(timeout), work).await
}

/// Runs `work` until it returns or `until` completes; then sends the stop message and waits
/// until the work has returned. [`run_with_timeout`] is this with `tokio::time::sleep(timeout)`
/// as `until`; a precise deadline is `cancel_timer::tokio::sleep(d)`.
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
    W: FnOnce(oneshot::Receiver<()>) -> F,
    F: Future<Output = Option<T>>,
{
    let (stop, stopped) = oneshot::channel();
    run_cooperative(work(stopped), until, move || {
        // An error means the work dropped its receiver: it is not listening.
        let _ = stop.send(());
    })
    .await
}

/// Completes when `stop` says stop: `true` was sent, or the sender is gone.
///
/// # Cancel safety
///
/// Cancel safe: dropping it loses nothing; the value stays in the channel.
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the sender was dropped: that is a stop as well.
    let _ = stop.wait_for(|&stop| stop).await;
}

/// One stop for a group of tasks: a `watch` channel that becomes `true` on
/// stop.
///
/// Clones share one channel. [`start_with`] hands each task started on it a
/// receiver (see [`stopped`]), and [`stop`](StopChannel::stop) stops them all
/// at once. Dropping the last clone is a stop as well: every receiver sees
/// the sender gone.
#[derive(Debug, Clone)]
pub struct StopChannel(watch::Sender<bool>);

impl StopChannel {
    /// A new channel, not stopped.
    pub fn new() -> StopChannel {
        StopChannel(watch::Sender::new(false))
    }

    /// Says stop to every receiver, those to come included; harmless to
    /// repeat.
    pub fn stop(&self) {
        // `send_replace` stores the value even when no receiver is left.
        self.0.send_replace(true);
    }

    /// `true` once [`stop`](StopChannel::stop) was called on this channel or
    /// any clone of it.
    pub fn is_stopped(&self) -> bool {
        *self.0.borrow()
    }

    /// A receiver of the stop, for work or a task it hands the stop on to.
    pub fn receiver(&self) -> watch::Receiver<bool> {
        // `subscribe` marks the current value seen; `stopped` checks it anyway.
        self.0.subscribe()
    }
}

impl Default for StopChannel {
    fn default() -> Self {
        StopChannel::new()
    }
}

/// Starts `work` as a tokio task, handing it a `watch` receiver that becomes
/// `true` on stop (see [`stopped`]); clones of it reach the work's children.
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as `tokio::spawn` does.
pub fn start<W, F, T>(work: W) -> ChannelHandle<T>
where
    W: FnOnce(watch::Receiver<bool>) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    start_with(StopChannel::new(), work)
}

/// Like [`start`], but on the channel you give: start tasks on clones of one
/// [`StopChannel`] and one [`StopChannel::stop`] stops them all. The
/// handle's `request_stop` stops the whole channel too; dropping the handle
/// drops its clone, which stops nothing while other clones are alive.
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as `tokio::spawn` does.
pub fn start_with<W, F, T>(signal: StopChannel, work: W) -> ChannelHandle<T>
where
    W: FnOnce(watch::Receiver<bool>) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    let task = tokio::spawn(catch_panics(work(signal.receiver())));
    ChannelHandle { signal, task }
}

/// A handle to work started with [`start`]. Dropping it drops its clone of
/// the channel: a stop, unless other clones keep the channel alive.
#[derive(Debug)]
pub struct ChannelHandle<T> {
    signal: StopChannel,
    task: JoinHandle<Result<Option<T>, Error>>,
}

impl<T: Send + 'static> ChannelHandle<T> {
    /// The work's channel, to stop it from elsewhere or start more work on it.
    pub fn signal(&self) -> &StopChannel {
        &self.signal
    }

    /// Sends the stop without waiting; harmless to repeat.
    pub fn request_stop(&self) {
        self.signal.stop();
    }

    /// `true` once the work has returned.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits until the work returns, without sending the stop.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which stops the work unless
    /// it shares its channel (see [`start_with`]).
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        // Keep the channel alive while we wait: dropping it would stop the work.
        let ChannelHandle { signal, task } = self;
        let ended = task
            .await
            .map_err(|e| Error::Lost(format!("the task ended without a result: {e}")));
        settle(ended.and_then(|r| r), signal.is_stopped())
    }
}

cancel_contract::delegate_cancel_handle!(ChannelHandle, cancel = stop_then_join);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_receiver_made_after_the_stop_still_sees_it() {
        let stop = StopChannel::new();
        let mut first = stop.receiver();
        stop.stop();
        let mut cloned = first.clone();
        let mut late = stop.receiver();
        stopped(&mut first).await;
        stopped(&mut cloned).await;
        stopped(&mut late).await;
        assert!(stop.is_stopped());
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_last_clone_is_a_stop() {
        let stop = StopChannel::new();
        let mut rx = stop.receiver();
        let other = stop.clone();
        drop(stop);
        assert!(!other.is_stopped());
        drop(other);
        stopped(&mut rx).await;
    }
}
