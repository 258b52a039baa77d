//! A cancellation token on tokio.
//!
//! `start` must be called from inside a tokio runtime (it uses `tokio::spawn`).

use std::future::Future;
use std::time::Duration;

use cancel_contract::cooperative::{run_cooperative, settle};
use cancel_contract::{Cancellation, Capabilities, Error, Outcome, catch_panics};
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};

/// What a cancellation token does on tokio.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` with a fresh token until it returns or `timeout` passes; then
/// cancels the token and waits until the work has returned.
///
/// `Some(v)` is `Completed(v)`, even after the deadline; `None` after the
/// cancel is `TimedOut`. `Duration::ZERO` cancels at the next tick of tokio's 1 ms timer (work that is
/// already done still completes); `Duration::MAX` never cancels.
///
/// # Cancel safety
///
/// Dropping the returned future drops the work where it stands: no cleanup
/// runs. Use [`start`] to let the work clean up after a cancel you do not wait for.
pub async fn run_with_timeout<W, F, T>(timeout: Duration, work: W) -> Result<Outcome<T>, Error>
where
    W: FnOnce(CancellationToken) -> F,
    F: Future<Output = Option<T>>,
{
    let token = CancellationToken::new();
    // tokio clamps `Duration::MAX` to a deadline far in the future.
    run_cooperative(work(token.clone()), tokio::time::sleep(timeout), || {
        token.cancel()
    })
    .await
}

/// Starts `work` as a tokio task with a fresh token; the handle cancels the
/// token on `cancel` and when it is dropped.
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as `tokio::spawn` does.
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
    let task = tokio::spawn(catch_panics(work(token.clone())));
    TokenHandle {
        guard: token.clone().drop_guard(),
        token,
        task,
    }
}

/// A handle to work started with [`start`]. Dropping it cancels the token.
#[derive(Debug)]
pub struct TokenHandle<T> {
    token: CancellationToken,
    // Cancels the token when the handle is dropped.
    guard: DropGuard,
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
        self.task.is_finished()
    }

    /// Waits until the work returns, without cancelling the token.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which cancels the token.
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        // `guard` stays alive while we wait: dropping it would cancel.
        let TokenHandle { token, guard, task } = self;
        let ended = task
            .await
            .map_err(|e| Error::Lost(format!("the task ended without a result: {e}")));
        let asked = token.is_cancelled();
        // The work has returned: no stop was asked, so none is sent now, to
        // children holding child tokens either.
        guard.disarm();
        settle(ended.and_then(|r| r), asked)
    }
}

cancel_contract::delegate_cancel_handle!(TokenHandle, cancel = stop_then_join);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn run_until_cancelled_turns_a_step_into_token_work() {
        // `run_until_cancelled` drops the step when the token is cancelled and
        // returns `None`: exactly the shape this crate's work returns.
        let outcome = run_with_timeout(Duration::from_millis(10), |token| async move {
            token
                .run_until_cancelled(tokio::time::sleep(Duration::from_secs(60)))
                .await
                .map(|()| "slept")
        })
        .await;
        assert_eq!(outcome, Ok(Outcome::TimedOut));
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_handle_cancels_through_the_drop_guard() {
        let (seen, saw) = tokio::sync::oneshot::channel();
        let handle = start(|token| async move {
            token.cancelled().await;
            let _ = seen.send(());
            None::<()>
        });
        drop(handle);
        assert_eq!(saw.await, Ok(()), "the work saw its token cancelled");
    }
}
