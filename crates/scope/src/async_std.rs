//! A cancel scope on async-std.
//!
//! async-std is deprecated upstream in favour of smol; this module stays
//! because much code still runs on it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::{CancelScope, DropGuard};
use async_std::task::JoinHandle;
use cancel_contract::cooperative::{run_cooperative, settle};
use cancel_contract::{Cancellation, Capabilities, Error, Outcome, catch_panics};

/// What a cancel scope does on async-std.
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
    // async-std's timer (async-io) treats an overflowing deadline as "never".
    let deadline = async_std::task::sleep(timeout);
    run_cooperative(work(scope.clone()), deadline, || {
        scope.cancel();
    })
    .await
}

/// Starts `work` as an async-std task with a fresh scope; the handle cancels
/// the scope on `cancel` and when it is dropped.
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
    let done = Arc::new(AtomicBool::new(false));
    let work = work(scope.clone());
    let task = async_std::task::spawn({
        let done = Arc::clone(&done);
        async move {
            let ended = catch_panics(work).await;
            // async-std's JoinHandle cannot say whether the task ended.
            done.store(true, Ordering::Release);
            ended
        }
    });
    ScopeHandle {
        guard: scope.clone().drop_guard(),
        scope,
        done,
        task,
    }
}

/// A handle to work started with [`start`]. Dropping it cancels the scope.
#[derive(Debug)]
pub struct ScopeHandle<T> {
    scope: CancelScope,
    // Cancels the scope when the handle is dropped.
    guard: DropGuard,
    done: Arc<AtomicBool>,
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
        self.done.load(Ordering::Acquire)
    }

    /// Waits until the work returns, without cancelling the scope.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which cancels the scope.
    pub async fn join(self) -> Result<Cancellation<T>, Error> {
        // `guard` stays alive while we wait: dropping it would cancel.
        let ScopeHandle {
            scope,
            guard,
            done: _,
            task,
        } = self;
        let ended = task.await;
        let asked = scope.is_cancelled();
        // The work has returned: no stop was asked, so none is sent now, to
        // children holding child scopes either.
        guard.disarm();
        settle(ended, asked)
    }
}

cancel_contract::delegate_cancel_handle!(ScopeHandle, cancel = stop_then_join);
