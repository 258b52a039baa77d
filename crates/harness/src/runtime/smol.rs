//! smol: an `async_executor::Executor` driven by worker threads.

use std::future::Future;
use std::io;
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_executor::Executor;

use super::{Clock, Runtime, RuntimeHandle, RuntimeKind};

/// How many threads drive the executor besides the one calling `block_on`.
const WORKERS: usize = 2;

/// A smol executor run by two worker threads (and by the thread that calls
/// `block_on`). Dropping it stops the workers and then the executor, which
/// drops every task still alive (handles hold it weakly, so nothing else
/// keeps it).
#[derive(Debug)]
pub struct Smol {
    ex: Arc<Executor<'static>>,
    // Dropping the sender ends every worker's `run` loop.
    stop: Option<async_channel::Sender<()>>,
    workers: Vec<JoinHandle<()>>,
}

/// The [`RuntimeHandle`] of [`Smol`]: a weak reference to its executor.
///
/// Weak, because tasks hold handles: a strong one would make the executor own
/// itself through its tasks, and dropping [`Smol`] would then never drop the
/// tasks still alive.
#[derive(Debug, Clone)]
pub struct SmolHandle(Weak<Executor<'static>>);

impl SmolHandle {
    /// The executor, for strategy APIs that spawn onto an explicit executor;
    /// `None` once the [`Smol`] runtime has been dropped.
    pub fn executor(&self) -> Option<Arc<Executor<'static>>> {
        self.0.upgrade()
    }
}

impl Runtime for Smol {
    type Handle = SmolHandle;
    const KIND: RuntimeKind = RuntimeKind::Smol;

    fn build(_clock: Clock) -> io::Result<Self> {
        let ex = Arc::new(Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let mut workers = Vec::with_capacity(WORKERS);
        for i in 0..WORKERS {
            let ex = Arc::clone(&ex);
            let stopped = stopped.clone();
            let worker = std::thread::Builder::new()
                .name(format!("smol-worker-{i}"))
                .spawn(move || async_io::block_on(ex.run(stopped.recv())).unwrap_or(()))?;
            workers.push(worker);
        }
        Ok(Smol {
            ex,
            stop: Some(stop),
            workers,
        })
    }

    fn handle(&self) -> SmolHandle {
        SmolHandle(Arc::downgrade(&self.ex))
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        // The calling thread helps run tasks while it waits.
        async_io::block_on(self.ex.run(fut))
    }

    fn is_virtual_time(&self) -> bool {
        false
    }

    /// smol's executor only says whether it has tasks: this is 0 when it has
    /// none and 1 when it has one or more.
    fn alive_tasks(&self) -> Option<usize> {
        Some(usize::from(!self.ex.is_empty()))
    }
}

impl Drop for Smol {
    fn drop(&mut self) {
        // Closing the channel wakes every worker out of `run`.
        drop(self.stop.take());
        for worker in self.workers.drain(..) {
            // A worker only panics if a task's panic escaped the executor; the
            // runtime is going away either way, so there is nothing to report.
            let _ = worker.join();
        }
    }
}

impl RuntimeHandle for SmolHandle {
    /// `None` when the runtime was gone: there was nothing to run on.
    type Task = Option<async_executor::Task<()>>;

    fn spawn<F>(&self, fut: F) -> Self::Task
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0.upgrade().map(|ex| ex.spawn(fut))
    }

    async fn join(task: Self::Task) {
        if let Some(task) = task {
            task.await;
        }
    }

    async fn abort(task: Self::Task) {
        if let Some(task) = task {
            let _ = task.cancel().await;
        }
    }

    fn timeout<F>(&self, d: Duration, fut: F) -> impl Future<Output = Option<F::Output>> + Send
    where
        F: Future + Send,
    {
        // The work first, as smol's timeouts are written: ready output wins.
        futures_lite::future::or(async move { Some(fut.await) }, async move {
            async_io::Timer::after(d).await;
            None
        })
    }
    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Dropping a smol Task cancels it; `detach` is how smol lets it run on.
        // Once the runtime is gone there is nothing to run on: `fut` is dropped.
        if let Some(ex) = self.0.upgrade() {
            ex.spawn(fut).detach();
        }
    }

    fn spawn_blocking<T, F>(&self, f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        blocking::unblock(f)
    }

    #[expect(
        clippy::manual_async_fn,
        reason = "an `async fn` would borrow `self`; the sleep must be 'static"
    )]
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send + 'static {
        // async-io's timer treats an overflowing deadline as "never".
        async move {
            async_io::Timer::after(d).await;
        }
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static {
        futures_lite::future::yield_now()
    }

    fn now(&self) -> Instant {
        Instant::now()
    }
}
