//! `cancel-select` under the suite: the work is the script played as a plain
//! future, which the strategy drops to stop it.

use std::time::Duration;

use cancel_harness::runtime::{AsyncStd, Runtime, Smol, TokioCurrentThread, TokioMultiThread};
use cancel_contract::{Capabilities, Error, Outcome};

use crate::Subject;
use crate::script::{Work, perform};

/// Drop-on-select (`cancel-select`).
#[derive(Debug)]
pub struct Select;

/// Both tokio schedulers use the same module of the strategy crate.
macro_rules! on_tokio {
    ($runtime:ty) => {
        impl Subject<$runtime> for Select {
            const STRATEGY: &'static str = "select";
            const CAPABILITIES: Capabilities = cancel_select::tokio::CAPABILITIES;
            type Handle = cancel_select::tokio::SelectHandle<u64>;

            async fn run_with_timeout(
                rt: &<$runtime as Runtime>::Handle,
                timeout: Duration,
                work: Work,
            ) -> Result<Outcome<u64>, Error> {
                cancel_select::tokio::run_with_timeout(timeout, perform(rt.clone(), work)).await
            }

            fn start(rt: &<$runtime as Runtime>::Handle, work: Work) -> Self::Handle {
                cancel_select::tokio::start(perform(rt.clone(), work))
            }
        }
    };
}

on_tokio!(TokioCurrentThread);
on_tokio!(TokioMultiThread);

impl Subject<AsyncStd> for Select {
    const STRATEGY: &'static str = "select";
    const CAPABILITIES: Capabilities = cancel_select::async_std::CAPABILITIES;
    type Handle = cancel_select::async_std::SelectHandle<u64>;

    async fn run_with_timeout(
        rt: &<AsyncStd as Runtime>::Handle,
        timeout: Duration,
        work: Work,
    ) -> Result<Outcome<u64>, Error> {
        cancel_select::async_std::run_with_timeout(timeout, perform(rt.clone(), work)).await
    }

    fn start(rt: &<AsyncStd as Runtime>::Handle, work: Work) -> Self::Handle {
        cancel_select::async_std::start(perform(rt.clone(), work))
    }
}

impl Subject<Smol> for Select {
    const STRATEGY: &'static str = "select";
    const CAPABILITIES: Capabilities = cancel_select::smol::CAPABILITIES;
    type Handle = cancel_select::smol::SelectHandle<u64>;

    async fn run_with_timeout(
        rt: &<Smol as Runtime>::Handle,
        timeout: Duration,
        work: Work,
    ) -> Result<Outcome<u64>, Error> {
        cancel_select::smol::run_with_timeout(timeout, perform(rt.clone(), work)).await
    }

    fn start(rt: &<Smol as Runtime>::Handle, work: Work) -> Self::Handle {
        cancel_select::smol::start(&super::smol_executor(rt), perform(rt.clone(), work))
    }
}
