//! Drop-on-select on async-std: `async_std::future::timeout` and a stop
//! channel raced with `or`.
//!
//! async-std is deprecated upstream in favour of smol; this module stays
//! because much code still runs on it.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_std::channel::{Sender, bounded};
use async_std::task::JoinHandle;
use cancel_contract::{Cancellation, Capabilities, Error, Outcome, drop_slot, run_slot};

/// What drop-on-select does on async-std.
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
    // async-std's `timeout` polls the work before its timer (I1); its async-io
    // timer treats a deadline past `Instant`'s range as "never".
    match async_std::future::timeout(timeout, run_slot(slot.as_mut())).await {
        Ok(result) => result.map(Outcome::Completed),
        // Drop the work now, before reporting (I4), catching a panicking Drop (I7).
        Err(_timed_out) => drop_slot(slot).map(|()| Outcome::TimedOut),
    }
}

/// Runs `work` until it completes or `until` completes; when `until` comes
/// first the work is dropped before this returns and the outcome is
/// [`Outcome::TimedOut`]. `run_with_timeout` is this with `async_std::task::sleep(timeout)` as
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

/// Starts `work` as an async-std task and returns a handle whose `cancel`
/// drops it.
pub fn start<F>(work: F) -> SelectHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Closing the channel (or dropping its sender) is the stop message.
    let (stop, stopped) = bounded::<()>(1);
    let done = Arc::new(AtomicBool::new(false));
    let task = async_std::task::spawn({
        let done = Arc::clone(&done);
        async move {
            let result = crate::until_stopped(work, async move {
                // An error here means "closed": that is the stop.
                let _ = stopped.recv().await;
            })
            .await;
            // async-std's JoinHandle cannot say whether the task ended.
            done.store(true, Ordering::Release);
            result
        }
    });
    SelectHandle { stop, done, task }
}

/// A handle to work started with [`start`]. Dropping it stops the work.
#[derive(Debug)]
pub struct SelectHandle<T> {
    stop: Sender<()>,
    done: Arc<AtomicBool>,
    task: JoinHandle<Result<Cancellation<T>, Error>>,
}

impl<T: Send + 'static> SelectHandle<T> {
    /// Asks the work to stop without waiting; harmless to repeat.
    pub fn request_stop(&self) {
        self.stop.close();
    }

    /// `true` once the work has finished or stopped.
    pub fn is_finished(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Waits until the work finishes, or stops after an earlier request.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which stops the work.
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        // Keep the sender alive while we wait: dropping it would stop the work.
        let SelectHandle {
            stop,
            done: _,
            task,
        } = self;
        let result = task.await;
        drop(stop);
        result
    }
}

cancel_contract::delegate_cancel_handle!(SelectHandle, cancel = stop_then_join);
