//! A cancel scope on tokio.
//!
//! `start` must be called from inside a tokio runtime (it uses `tokio::spawn`).

use std::future::Future;
use std::time::Duration;

use crate::{CancelScope, DropGuard};
use cancel_contract::cooperative::{run_cooperative, settle};
use cancel_contract::{Cancellation, Capabilities, Error, Outcome, catch_panics};
use tokio::task::JoinHandle;

/// What a cancel scope does on tokio.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` with a fresh scope until it returns or `timeout` passes; then
/// cancels the scope and waits until the work has returned.
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
    W: FnOnce(CancelScope) -> F,
    F: Future<Output = Option<T>>,
{
    let scope = CancelScope::new();
    // tokio clamps `Duration::MAX` to a deadline far in the future.
    run_cooperative(work(scope.clone()), tokio::time::sleep(timeout), || {
        scope.cancel();
    })
    .await
}

/// Starts `work` as a tokio task with a fresh scope; the handle cancels the
/// scope on `cancel` and when it is dropped.
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as `tokio::spawn` does.
pub fn start<W, F, T>(work: W) -> ScopeHandle<T>
where
    W: FnOnce(CancelScope) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    start_with(CancelScope::new(), work)
}

/// Like [`start`], but with the scope you give: a clone of one scope, or
/// `parent.child()`, lets one `cancel` stop a whole group of tasks.
/// The handle's `request_stop` and `Drop` cancel this scope, so with a
/// clone they stop every task that shares it; a child scope stops one.
pub fn start_with<W, F, T>(scope: CancelScope, work: W) -> ScopeHandle<T>
where
    W: FnOnce(CancelScope) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    let task = tokio::spawn(catch_panics(work(scope.clone())));
    ScopeHandle {
        guard: scope.clone().drop_guard(),
        scope,
        task,
    }
}

/// A handle to work started with [`start`]. Dropping it cancels the scope.
#[derive(Debug)]
pub struct ScopeHandle<T> {
    scope: CancelScope,
    // Cancels the scope when the handle is dropped.
    guard: DropGuard,
    task: JoinHandle<Result<Option<T>, Error>>,
}

impl<T: Send + 'static> ScopeHandle<T> {
    /// The work's scope, to cancel it from elsewhere or derive child scopes.
    pub fn signal(&self) -> &CancelScope {
        &self.scope
    }

    /// Cancels the scope without waiting; harmless to repeat.
    pub fn request_stop(&self) {
        self.scope.cancel();
    }

    /// `true` once the work has returned.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits until the work returns, without cancelling the scope.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which cancels the scope.
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        // `guard` stays alive while we wait: dropping it would cancel.
        let ScopeHandle { scope, guard, task } = self;
        let ended = task
            .await
            .map_err(|e| Error::Lost(format!("the task ended without a result: {e}")));
        let asked = scope.is_cancelled();
        // The work has returned: no stop was asked, so none is sent now, to
        // children holding child scopes either.
        guard.disarm();
        settle(ended.and_then(|r| r), asked)
    }
}

cancel_contract::delegate_cancel_handle!(ScopeHandle, cancel = stop_then_join);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn run_until_cancelled_turns_a_step_into_scope_work() {
        // `run_until_cancelled` drops the step when the scope is cancelled and
        // returns `None`: exactly the shape this crate's work returns.
        let outcome = run_with_timeout(Duration::from_millis(10), |scope| async move {
            scope
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
        let handle = start(|scope| async move {
            scope.cancelled().await;
            let _ = seen.send(());
            None::<()>
        });
        drop(handle);
        assert_eq!(saw.await, Ok(()), "the work saw its scope cancelled");
    }
}
