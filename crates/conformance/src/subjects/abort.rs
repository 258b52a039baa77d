//! `cancel-abort` under the suite: the work is the script played as a plain
//! future, spawned as a task of its own, and stopped from outside by an abort.

use std::time::Duration;

use cancel_harness::runtime::{AsyncStd, Runtime, Smol, TokioCurrentThread, TokioMultiThread};
use cancel_contract::{Capabilities, Error, Outcome};

use crate::Subject;
use crate::script::{Work, perform};

/// A forced stop (`cancel-abort`).
#[derive(Debug)]
pub struct Abort;

/// Both tokio schedulers use the same module of the strategy crate.
macro_rules! on_tokio {
    ($runtime:ty) => {
        impl Subject<$runtime> for Abort {
            const STRATEGY: &'static str = "abort";
            const CAPABILITIES: Capabilities = cancel_abort::tokio::CAPABILITIES;
            type Handle = cancel_abort::tokio::AbortHandle<u64>;

            async fn run_with_timeout(
                rt: &<$runtime as Runtime>::Handle,
                timeout: Duration,
                work: Work,
            ) -> Result<Outcome<u64>, Error> {
                cancel_abort::tokio::run_with_timeout(timeout, perform(rt.clone(), work)).await
            }

            fn start(rt: &<$runtime as Runtime>::Handle, work: Work) -> Self::Handle {
                cancel_abort::tokio::start(perform(rt.clone(), work))
            }
        }
    };
}

on_tokio!(TokioCurrentThread);
on_tokio!(TokioMultiThread);

impl Subject<AsyncStd> for Abort {
    const STRATEGY: &'static str = "abort";
    const CAPABILITIES: Capabilities = cancel_abort::async_std::CAPABILITIES;
    type Handle = cancel_abort::async_std::AbortHandle<u64>;

    async fn run_with_timeout(
        rt: &<AsyncStd as Runtime>::Handle,
        timeout: Duration,
        work: Work,
    ) -> Result<Outcome<u64>, Error> {
        cancel_abort::async_std::run_with_timeout(timeout, perform(rt.clone(), work)).await
    }

    fn start(rt: &<AsyncStd as Runtime>::Handle, work: Work) -> Self::Handle {
        cancel_abort::async_std::start(perform(rt.clone(), work))
    }
}

impl Subject<Smol> for Abort {
    const STRATEGY: &'static str = "abort";
    const CAPABILITIES: Capabilities = cancel_abort::smol::CAPABILITIES;
    type Handle = cancel_abort::smol::AbortHandle<u64>;

    async fn run_with_timeout(
        rt: &<Smol as Runtime>::Handle,
        timeout: Duration,
        work: Work,
    ) -> Result<Outcome<u64>, Error> {
        cancel_abort::smol::run_with_timeout(
            &super::smol_executor(rt),
            timeout,
            perform(rt.clone(), work),
        )
        .await
    }

    fn start(rt: &<Smol as Runtime>::Handle, work: Work) -> Self::Handle {
        cancel_abort::smol::start(&super::smol_executor(rt), perform(rt.clone(), work))
    }
}
