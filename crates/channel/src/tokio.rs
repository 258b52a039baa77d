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
    let (stop, stopped) = oneshot::channel();
    // tokio clamps `Duration::MAX` to a deadline far in the future.
    run_cooperative(work(stopped), tokio::time::sleep(timeout), move || {
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
    start_with(&watch::Sender::new(false), work)
}

/// Like [`start`], but on a `watch` channel you share: one
/// `stop.send_replace(true)` stops every task started on it. The handle's
/// `request_stop` sends on the shared channel too; dropping the handle drops
/// one clone of the sender, which stops nothing while others are alive.
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as `tokio::spawn` does.
pub fn start_with<W, F, T>(stop: &watch::Sender<bool>, work: W) -> ChannelHandle<T>
where
    W: FnOnce(watch::Receiver<bool>) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    // `subscribe` marks the current value seen; `stopped` checks it anyway.
    let task = tokio::spawn(catch_panics(work(stop.subscribe())));
    ChannelHandle {
        stop: stop.clone(),
        task,
    }
}

/// A handle to work started with [`start`]. Dropping it drops the sender,
/// which every receiver sees as a stop.
#[derive(Debug)]
pub struct ChannelHandle<T> {
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<Option<T>, Error>>,
}

impl<T: Send + 'static> ChannelHandle<T> {
    /// Sends the stop without waiting; harmless to repeat.
    pub fn request_stop(&self) {
        // `send_replace` stores the value even when no receiver is left.
        self.stop.send_replace(true);
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
        // Keep the sender alive while we wait: dropping it would stop the work.
        let ChannelHandle { stop, task } = self;
        let ended = task
            .await
            .map_err(|e| Error::Lost(format!("the task ended without a result: {e}")));
        let asked = *stop.borrow();
        settle(ended.and_then(|r| r), asked)
    }
}

cancel_contract::delegate_cancel_handle!(ChannelHandle, cancel = stop_then_join);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_receiver_cloned_after_the_stop_still_sees_it() {
        let (stop, mut first) = watch::channel(false);
        stop.send_replace(true);
        let mut late = first.clone();
        stopped(&mut first).await;
        stopped(&mut late).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_dropped_sender_is_a_stop() {
        let (stop, mut rx) = watch::channel(false);
        drop(stop);
        stopped(&mut rx).await;
    }
}
