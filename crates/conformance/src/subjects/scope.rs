//! `cancel-scope` under the suite: the work is the script played against
//! `scope.cancelled()`; a child it spawns gets a child scope.

use std::time::Duration;

use cancel_harness::runtime::{
    AsyncStd, Runtime, RuntimeHandle, Smol, TokioCurrentThread, TokioMultiThread,
};
use cancel_contract::{Capabilities, Error, Outcome};
use cancel_scope::CancelScope;

use crate::Subject;
use crate::script::{Work, perform_until};

/// A cancel scope (`cancel-scope`).
#[derive(Debug)]
pub struct Scope;

/// The script as scope work: it listens to its scope and hands a child scope on.
async fn play<H: RuntimeHandle>(rt: H, work: Work, scope: CancelScope) -> Option<u64> {
    let child = scope.child();
    perform_until(
        rt,
        work,
        scope.cancelled_owned(),
        Some(child.cancelled_owned()),
    )
    .await
}

macro_rules! on_tokio {
    ($runtime:ty) => {
        impl Subject<$runtime> for Scope {
            const STRATEGY: &'static str = "scope";
            const CAPABILITIES: Capabilities = cancel_scope::tokio::CAPABILITIES;
            type Handle = cancel_scope::tokio::ScopeHandle<u64>;

            async fn run_with_timeout(
                rt: &<$runtime as Runtime>::Handle,
                timeout: Duration,
                work: Work,
            ) -> Result<Outcome<u64>, Error> {
                cancel_scope::tokio::run_with_timeout(timeout, |scope| {
                    play(rt.clone(), work, scope)
                })
                .await
            }

            fn start(rt: &<$runtime as Runtime>::Handle, work: Work) -> Self::Handle {
                cancel_scope::tokio::start(|scope| play(rt.clone(), work, scope))
            }
        }
    };
}

on_tokio!(TokioCurrentThread);
on_tokio!(TokioMultiThread);

impl Subject<AsyncStd> for Scope {
    const STRATEGY: &'static str = "scope";
    const CAPABILITIES: Capabilities = cancel_scope::async_std::CAPABILITIES;
    type Handle = cancel_scope::async_std::ScopeHandle<u64>;

    async fn run_with_timeout(
        rt: &<AsyncStd as Runtime>::Handle,
        timeout: Duration,
        work: Work,
    ) -> Result<Outcome<u64>, Error> {
        cancel_scope::async_std::run_with_timeout(timeout, |scope| play(rt.clone(), work, scope))
            .await
    }

    fn start(rt: &<AsyncStd as Runtime>::Handle, work: Work) -> Self::Handle {
        cancel_scope::async_std::start(|scope| play(rt.clone(), work, scope))
    }
}

impl Subject<Smol> for Scope {
    const STRATEGY: &'static str = "scope";
    const CAPABILITIES: Capabilities = cancel_scope::smol::CAPABILITIES;
    type Handle = cancel_scope::smol::ScopeHandle<u64>;

    async fn run_with_timeout(
        rt: &<Smol as Runtime>::Handle,
        timeout: Duration,
        work: Work,
    ) -> Result<Outcome<u64>, Error> {
        cancel_scope::smol::run_with_timeout(timeout, |scope| play(rt.clone(), work, scope)).await
    }

    fn start(rt: &<Smol as Runtime>::Handle, work: Work) -> Self::Handle {
        cancel_scope::smol::start(&super::smol_executor(rt), |scope| {
            play(rt.clone(), work, scope)
        })
    }
}
