//! tokio, current-thread and multi-thread.

use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

use super::{Clock, Runtime, RuntimeHandle, RuntimeKind};

/// tokio's current-thread runtime; with [`Clock::Virtual`], time starts paused
/// and auto-advances whenever the runtime has nothing else to do.
#[derive(Debug)]
pub struct TokioCurrentThread {
    rt: Owned,
    paused: bool,
}

/// tokio's multi-thread runtime with two worker threads, however many cores
/// the machine has: the work and its canceller can run in parallel, and a
/// small machine is not oversubscribed.
#[derive(Debug)]
pub struct TokioMultiThread {
    rt: Owned,
}

/// How long dropping a tokio adapter waits for blocking tasks still running.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(10);

/// A tokio runtime that never hangs its owner on drop.
///
/// A plain `Runtime` drop waits for every running `spawn_blocking` closure,
/// however long it runs. This waits at most [`SHUTDOWN_LIMIT`], then leaves
/// such threads behind.
#[derive(Debug)]
struct Owned(Option<tokio::runtime::Runtime>);

impl std::ops::Deref for Owned {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &Self::Target {
        match &self.0 {
            Some(rt) => rt,
            // Only `drop` takes the runtime out, and nothing runs after it.
            None => unreachable!("the runtime is taken only when dropped"),
        }
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_timeout(SHUTDOWN_LIMIT);
        }
    }
}

/// The [`RuntimeHandle`] of both tokio runtimes.
#[derive(Debug, Clone)]
pub struct TokioHandle(tokio::runtime::Handle);

impl Runtime for TokioCurrentThread {
    type Handle = TokioHandle;
    const KIND: RuntimeKind = RuntimeKind::TokioCurrentThread;

    fn build(clock: Clock) -> io::Result<Self> {
        let paused = clock == Clock::Virtual;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(paused)
            .build()?;
        Ok(TokioCurrentThread {
            rt: Owned(Some(rt)),
            paused,
        })
    }

    fn handle(&self) -> TokioHandle {
        TokioHandle(self.rt.handle().clone())
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }

    fn is_virtual_time(&self) -> bool {
        self.paused
    }

    fn alive_tasks(&self) -> Option<usize> {
        Some(self.rt.metrics().num_alive_tasks())
    }
}

impl Runtime for TokioMultiThread {
    type Handle = TokioHandle;
    const KIND: RuntimeKind = RuntimeKind::TokioMultiThread;

    fn build(_clock: Clock) -> io::Result<Self> {
        // tokio can pause time only on the current-thread scheduler.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        Ok(TokioMultiThread {
            rt: Owned(Some(rt)),
        })
    }

    fn handle(&self) -> TokioHandle {
        TokioHandle(self.rt.handle().clone())
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }

    fn is_virtual_time(&self) -> bool {
        false
    }

    fn alive_tasks(&self) -> Option<usize> {
        Some(self.rt.metrics().num_alive_tasks())
    }
}

impl RuntimeHandle for TokioHandle {
    type Task = tokio::task::JoinHandle<()>;

    fn spawn<F>(&self, fut: F) -> Self::Task
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0.spawn(fut)
    }

    async fn join(task: Self::Task) {
        // A panic or an abort is an end like any other here.
        let _ = task.await;
    }

    async fn abort(task: Self::Task) {
        task.abort();
        let _ = task.await;
    }

    async fn timeout<F>(&self, d: Duration, fut: F) -> Option<F::Output>
    where
        F: Future + Send,
    {
        tokio::time::timeout(d, fut).await.ok()
    }
    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Dropping a tokio JoinHandle detaches the task: it runs on.
        drop(self.0.spawn(fut));
    }

    fn spawn_blocking<T, F>(&self, f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let task = self.0.spawn_blocking(f);
        async move {
            match task.await {
                Ok(v) => v,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // A blocking task is only cancelled by a runtime shutting down
                // before it started; there is no value to return then.
                Err(e) => panic!("blocking task did not run: {e}"),
            }
        }
    }

    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send + 'static {
        // tokio clamps a deadline that would overflow to "far future".
        tokio::time::sleep(d)
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        tokio::task::yield_now()
    }

    fn now(&self) -> Instant {
        // tokio's Instant follows the paused clock; std's does not.
        tokio::time::Instant::now().into_std()
    }
}
