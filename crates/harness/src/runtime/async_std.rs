//! async-std's global runtime.

use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

use super::{Clock, Runtime, RuntimeHandle, RuntimeKind};

/// async-std's global runtime. It is process-wide: building one starts
/// nothing new, and dropping it stops nothing. async-std is deprecated
/// upstream in favour of smol; it stays here because much code still uses it.
#[derive(Debug)]
pub struct AsyncStd(());

/// The [`RuntimeHandle`] of [`AsyncStd`].
#[derive(Debug, Clone)]
pub struct AsyncStdHandle(());

impl Runtime for AsyncStd {
    type Handle = AsyncStdHandle;
    const KIND: RuntimeKind = RuntimeKind::AsyncStd;

    fn build(_clock: Clock) -> io::Result<Self> {
        Ok(AsyncStd(()))
    }

    fn handle(&self) -> AsyncStdHandle {
        AsyncStdHandle(())
    }

    fn block_on<F: Future>(&self, fut: F) -> F::Output {
        async_std::task::block_on(fut)
    }

    fn is_virtual_time(&self) -> bool {
        false
    }

    fn alive_tasks(&self) -> Option<usize> {
        None
    }
}

impl RuntimeHandle for AsyncStdHandle {
    type Task = async_std::task::JoinHandle<()>;

    fn spawn<F>(&self, fut: F) -> Self::Task
    where
        F: Future<Output = ()> + Send + 'static,
    {
        async_std::task::spawn(fut)
    }

    fn join(task: Self::Task) -> impl Future<Output = ()> + Send + 'static {
        task
    }

    async fn abort(task: Self::Task) {
        // `None` when it was cancelled, `Some` when it had ended: ended either way.
        let _ = task.cancel().await;
    }

    async fn timeout<F>(&self, d: Duration, fut: F) -> Option<F::Output>
    where
        F: Future + Send,
    {
        async_std::future::timeout(d, fut).await.ok()
    }
    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Dropping an async-std JoinHandle detaches the task: it runs on.
        drop(async_std::task::spawn(fut));
    }

    fn spawn_blocking<T, F>(&self, f: F) -> impl Future<Output = T> + Send + 'static
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        async_std::task::spawn_blocking(f)
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
        async_std::task::yield_now()
    }

    fn now(&self) -> Instant {
        Instant::now()
    }
}
