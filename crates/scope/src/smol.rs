//! A cancel scope on smol.
//!
//! smol has no ambient runtime, so every smol module of cancel-lab follows
//! one rule: a function that spawns a task onto an executor takes
//! `ex: &Executor<'_>` as its first argument, and one that does not takes
//! none.
//! Here `start` and `start_with` spawn the work; `run_with_timeout` runs it
//! inside the caller's task and needs no executor.

use std::future::Future;
use std::time::Duration;

use crate::CancelScope;
use async_executor::{Executor, FallibleTask};
use async_io::Timer;
use cancel_contract::cooperative::{run_cooperative, settle};
use cancel_contract::{Cancellation, Capabilities, Error, Outcome, catch_panics};

/// What a cancel scope does on smol.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` with a fresh scope until it returns or `timeout` passes; then
/// cancels the scope and waits until the work has returned.
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
    W: FnOnce(CancelScope) -> F,
    F: Future<Output = Option<T>>,
{
    let scope = CancelScope::new();
    // `Timer::after` treats a deadline past `Instant`'s range as "never".
    let deadline = async {
        Timer::after(timeout).await;
    };
    run_cooperative(work(scope.clone()), deadline, || {
        scope.cancel();
    })
    .await
}

/// Starts `work` on `ex` with a fresh scope; the handle cancels the scope on
/// `cancel` and when it is dropped.
pub fn start<W, F, T>(ex: &Executor<'_>, work: W) -> ScopeHandle<T>
where
    W: FnOnce(CancelScope) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    start_with(ex, CancelScope::new(), work)
}

/// Like [`start`], but with the scope you give: a clone of one scope, or
/// `parent.child()`, lets one `cancel` stop a whole group of tasks.
/// The handle's `request_stop` and `Drop` cancel this scope, so with a
/// clone they stop every task that shares it; a child scope stops one.
pub fn start_with<W, F, T>(ex: &Executor<'_>, scope: CancelScope, work: W) -> ScopeHandle<T>
where
    W: FnOnce(CancelScope) -> F,
    F: Future<Output = Option<T>> + Send + 'static,
    T: Send + 'static,
{
    let task = ex.spawn(catch_panics(work(scope.clone())));
    ScopeHandle {
        scope,
        task: Some(task.fallible()),
    }
}

/// A handle to work started with [`start`]. Dropping it cancels the scope.
#[derive(Debug)]
pub struct ScopeHandle<T> {
    scope: CancelScope,
    // `Some` until joined. On drop it is detached, not dropped: dropping a
    // smol Task would drop the work at once, before it could clean up.
    task: Option<FallibleTask<Result<Option<T>, Error>>>,
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
        self.task.as_ref().is_none_or(FallibleTask::is_finished)
    }

    /// Waits until the work returns, without cancelling the scope.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which cancels the scope.
    pub async fn join(mut self) -> Result<Cancellation<T>, Error> {
        // Await the task in place: if this future is dropped, `Drop` detaches it.
        let Some(task) = self.task.as_mut() else {
            return Err(Error::Lost("the task was already joined".into()));
        };
        // `None`: the executor dropped the task before it ended.
        let ended = task.await.unwrap_or_else(|| Err(executor_gone()));
        self.task = None;
        settle(ended, self.scope.is_cancelled())
    }
}

impl<T> Drop for ScopeHandle<T> {
    fn drop(&mut self) {
        // Only a handle whose work has not been joined cancels, as the
        // scope's drop guard does on the other runtimes.
        if let Some(task) = self.task.take() {
            self.scope.cancel();
            // Let the work see the cancel and clean up; see the field comment.
            task.detach();
        }
    }
}

cancel_contract::delegate_cancel_handle!(ScopeHandle, cancel = stop_then_join);

/// What `join` reports when the executor dropped the task before it ended.
fn executor_gone() -> Error {
    Error::Lost("the smol executor dropped the task before it ended".into())
}
