//! A cancellation token on async-std.
//!
//! async-std is deprecated upstream in favour of smol; this module stays
//! because much code still runs on it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_std::task::JoinHandle;
use cancel_contract::cooperative::{run_cooperative, settle};
use cancel_contract::{Cancellation, Capabilities, Error, Outcome, catch_panics};
use tokio_util::sync::{CancellationToken, DropGuard};

/// What a cancellation token does on async-std.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` with a fresh token until it returns or `timeout` passes; then
/// cancels the token and waits until the work has returned.
///
/// `Some(v)` is `Completed(v)`, even after the deadline; `None` after the
/// cancel is `TimedOut`. `Duration::ZERO` cancels at once; `Duration::MAX`
/// never cancels.
///
/// # Cancel safety
///
/// Dropping the returned future drops the work where it stands: no cleanup runs.
pub async fn run_with_timeout<W, F, T>(timeout: Duration, work: W) -> Result<Outcome<T>, Error>
where
    W: FnOnce(CancellationToken) -> F,
    F: Future<Output = Option<T>>,
{
    let token = CancellationToken::new();
    // async-std's timer (async-io) treats an overflowing deadline as "never".
    let deadline = async_std::task::sleep(timeout);
    run_cooperative(work(token.clone()), deadline, || token.cancel()).await
}

/// Starts `work` as an async-std task with a fresh token; the handle cancels
/// the token on `cancel` and when it is dropped.
pub fn start<W, F, T>(work: W) -> TokenHandle<T>
where
    W: FnOnce(CancellationToken) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    start_with(CancellationToken::new(), work)
}

/// Like [`start`], but with the token you give: a clone of one token, or
/// `parent.child_token()`, lets one `cancel` stop a whole group of tasks.
/// The handle's `request_stop` and `Drop` cancel this token, so with a
/// clone they stop every task that shares it; a child token stops one.
pub fn start_with<W, F, T>(token: CancellationToken, work: W) -> TokenHandle<T>
where
    W: FnOnce(CancellationToken) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    let done = Arc::new(AtomicBool::new(false));
    let work = work(token.clone());
    let task = async_std::task::spawn({
        let done = Arc::clone(&done);
        async move {
            let ended = catch_panics(work).await;
            // async-std's JoinHandle cannot say whether the task ended.
            done.store(true, Ordering::Release);
            ended
        }
    });
    TokenHandle {
        guard: token.clone().drop_guard(),
        token,
        done,
        task,
    }
}

/// A handle to work started with [`start`]. Dropping it cancels the token.
#[derive(Debug)]
pub struct TokenHandle<T> {
    token: CancellationToken,
    // Cancels the token when the handle is dropped.
    guard: DropGuard,
    done: Arc<AtomicBool>,
    task: JoinHandle<Result<Option<T>, Error>>,
}

impl<T: Send + 'static> TokenHandle<T> {
    /// The work's token, to cancel it from elsewhere or derive child tokens.
    pub fn signal(&self) -> &CancellationToken {
        &self.token
    }

    /// Cancels the token without waiting; harmless to repeat.
    pub fn request_stop(&self) {
        self.token.cancel();
    }

    /// `true` once the work has returned.
    pub fn is_finished(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Waits until the work returns, without cancelling the token.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which cancels the token.
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        // `guard` stays alive while we wait: dropping it would cancel.
        let TokenHandle {
            token,
            guard,
            done: _,
            task,
        } = self;
        let ended = task.await;
        let asked = token.is_cancelled();
        // The work has returned: no stop was asked, so none is sent now, to
        // children holding child tokens either.
        guard.disarm();
        settle(ended, asked)
    }
}

cancel_contract::delegate_cancel_handle!(TokenHandle, cancel = stop_then_join);
