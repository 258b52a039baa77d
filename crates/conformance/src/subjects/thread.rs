//! `cancel-thread` under the suite: the work is the script played as
//! blocking code on a thread, checking the strategy's stop flag, and handing
//! the same check to a child thread it starts.

use std::time::Duration;

use cancel_harness::runtime::{AsyncStd, Runtime, Smol, TokioCurrentThread, TokioMultiThread};
use cancel_contract::{Capabilities, Error, Outcome};
use cancel_thread::StopFlag;

use crate::Subject;
use crate::script::{Work, perform_blocking};

/// Blocking work with a stop flag (`cancel-thread`).
#[derive(Debug)]
pub struct Thread;

/// The script as the blocking closure the strategy runs.
fn blocking(work: Work) -> impl FnOnce(&StopFlag) -> Option<u64> + Send + 'static {
    move |flag: &StopFlag| {
        // A child thread gets the same flag: a clone shares it.
        let child = flag.clone();
        perform_blocking(work, || flag.is_stopped(), Some(move || child.is_stopped()))
    }
}

/// Both tokio schedulers use the same module of the strategy crate.
macro_rules! on_tokio {
    ($runtime:ty) => {
        impl Subject<$runtime> for Thread {
            const STRATEGY: &'static str = "thread";
            const CAPABILITIES: Capabilities = cancel_thread::tokio::CAPABILITIES;
            // Paused time stands still while a blocking task runs.
            const VIRTUAL_TIME: bool = false;
            const ON_BLOCKING_THREADS: bool = true;
            type Handle = cancel_thread::tokio::ThreadHandle<u64>;

            async fn run_with_timeout(
                _rt: &<$runtime as Runtime>::Handle,
                timeout: Duration,
                work: Work,
            ) -> Result<Outcome<u64>, Error> {
                cancel_thread::tokio::run_with_timeout(timeout, blocking(work)).await
            }

            fn start(_rt: &<$runtime as Runtime>::Handle, work: Work) -> Self::Handle {
                cancel_thread::tokio::start(blocking(work))
            }
        }
    };
}

on_tokio!(TokioCurrentThread);
on_tokio!(TokioMultiThread);

impl Subject<AsyncStd> for Thread {
    const STRATEGY: &'static str = "thread";
    const ON_BLOCKING_THREADS: bool = true;
    const CAPABILITIES: Capabilities = cancel_thread::async_std::CAPABILITIES;
    type Handle = cancel_thread::async_std::ThreadHandle<u64>;

    async fn run_with_timeout(
        _rt: &<AsyncStd as Runtime>::Handle,
        timeout: Duration,
        work: Work,
    ) -> Result<Outcome<u64>, Error> {
        cancel_thread::async_std::run_with_timeout(timeout, blocking(work)).await
    }

    fn start(_rt: &<AsyncStd as Runtime>::Handle, work: Work) -> Self::Handle {
        cancel_thread::async_std::start(blocking(work))
    }
}

impl Subject<Smol> for Thread {
    const STRATEGY: &'static str = "thread";
    const ON_BLOCKING_THREADS: bool = true;
    const CAPABILITIES: Capabilities = cancel_thread::smol::CAPABILITIES;
    type Handle = cancel_thread::smol::ThreadHandle<u64>;

    async fn run_with_timeout(
        _rt: &<Smol as Runtime>::Handle,
        timeout: Duration,
        work: Work,
    ) -> Result<Outcome<u64>, Error> {
        cancel_thread::smol::run_with_timeout(timeout, blocking(work)).await
    }

    fn start(_rt: &<Smol as Runtime>::Handle, work: Work) -> Self::Handle {
        // The blocking pool is global: no executor to pass.
        cancel_thread::smol::start(blocking(work))
    }
}
