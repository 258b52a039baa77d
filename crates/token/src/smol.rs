//! A cancellation token on smol.
//!
//! smol has no ambient runtime, so every smol module of cancel-lab follows
//! one rule: a function that spawns a task onto an executor takes
//! `ex: &Executor<'_>` as its first argument, and one that does not takes
//! none.
//! Here `start` and `start_with` spawn the work; `run_with_timeout` runs it
//! inside the caller's task and needs no executor.

use std::future::Future;
use std::time::Duration;

use async_executor::{Executor, FallibleTask};
use async_io::Timer;
use cancel_contract::cooperative::{run_cooperative, settle};
use cancel_contract::{Cancellation, Capabilities, Error, Outcome, catch_panics};
use tokio_util::sync::CancellationToken;

/// What a cancellation token does on smol.
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
    // `Timer::after` treats a deadline past `Instant`'s range as "never".
    let deadline = async {
        Timer::after(timeout).await;
    };
    run_cooperative(work(token.clone()), deadline, || token.cancel()).await
}

/// Starts `work` on `ex` with a fresh token; the handle cancels the token on
/// `cancel` and when it is dropped.
pub fn start<W, F, T>(ex: &Executor<'_>, work: W) -> TokenHandle<T>
where
    W: FnOnce(CancellationToken) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    start_with(ex, CancellationToken::new(), work)
}

/// Like [`start`], but with the token you give: a clone of one token, or
/// `parent.child_token()`, lets one `cancel` stop a whole group of tasks.
/// The handle's `request_stop` and `Drop` cancel this token, so with a
/// clone they stop every task that shares it; a child token stops one.
pub fn start_with<W, F, T>(ex: &Executor<'_>, token: CancellationToken, work: W) -> TokenHandle<T>
where
    W: FnOnce(CancellationToken) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    let task = ex.spawn(catch_panics(work(token.clone())));
    TokenHandle {
        token,
        task: Some(task.fallible()),
    }
}

/// A handle to work started with [`start`]. Dropping it cancels the token.
#[derive(Debug)]
pub struct TokenHandle<T> {
    token: CancellationToken,
    // `Some` until joined. On drop it is detached, not dropped: dropping a
    // smol Task would drop the work at once, before it could clean up.
    task: Option<FallibleTask<Result<Option<T>, Error>>>,
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
        self.task.as_ref().is_none_or(FallibleTask::is_finished)
    }

    /// Waits until the work returns, without cancelling the token.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which cancels the token.
    pub async fn join(mut self) -> Result<Cancellation<T>, Error> {
        // Await the task in place: if this future is dropped, `Drop` detaches it.
        let Some(task) = self.task.as_mut() else {
            return Err(Error::Lost("the task was already joined".into()));
        };
        // `None`: the executor dropped the task before it ended.
        let ended = task.await.unwrap_or_else(|| Err(executor_gone()));
        self.task = None;
        settle(ended, self.token.is_cancelled())
    }
}

impl<T> Drop for TokenHandle<T> {
    fn drop(&mut self) {
        // Only a handle whose work has not been joined cancels, as the
        // token's drop guard does on the other runtimes.
        if let Some(task) = self.task.take() {
            self.token.cancel();
            // Let the work see the cancel and clean up; see the field comment.
            task.detach();
        }
    }
}

cancel_contract::delegate_cancel_handle!(TokenHandle, cancel = stop_then_join);

/// What `join` reports when the executor dropped the task before it ended.
fn executor_gone() -> Error {
    Error::Lost("the smol executor dropped the task before it ended".into())
}
