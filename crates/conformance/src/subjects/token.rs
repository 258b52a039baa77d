//! `cancel-token` under the suite: the work is the script played against
//! `token.cancelled()`; a child it spawns gets a child token.

use std::time::Duration;

use cancel_harness::runtime::{
    AsyncStd, Runtime, RuntimeHandle, Smol, TokioCurrentThread, TokioMultiThread,
};
use cancel_contract::{Capabilities, Error, Outcome};
use cancel_token::CancellationToken;

use crate::Subject;
use crate::script::{Work, perform_until};

/// A cancellation token (`cancel-token`).
#[derive(Debug)]
pub struct Token;

/// The script as token work: it listens to its token and hands a child token on.
async fn play<H: RuntimeHandle>(rt: H, work: Work, token: CancellationToken) -> Option<u64> {
    let child = token.child_token();
    perform_until(
        rt,
        work,
        token.cancelled_owned(),
        Some(child.cancelled_owned()),
    )
    .await
}

macro_rules! on_tokio {
    ($runtime:ty) => {
        impl Subject<$runtime> for Token {
            const STRATEGY: &'static str = "token";
            const CAPABILITIES: Capabilities = cancel_token::tokio::CAPABILITIES;
            type Handle = cancel_token::tokio::TokenHandle<u64>;

            async fn run_with_timeout(
                rt: &<$runtime as Runtime>::Handle,
                timeout: Duration,
                work: Work,
            ) -> Result<Outcome<u64>, Error> {
                cancel_token::tokio::run_with_timeout(timeout, |token| {
                    play(rt.clone(), work, token)
                })
                .await
            }

            fn start(rt: &<$runtime as Runtime>::Handle, work: Work) -> Self::Handle {
                cancel_token::tokio::start(|token| play(rt.clone(), work, token))
            }
        }
    };
}

on_tokio!(TokioCurrentThread);
on_tokio!(TokioMultiThread);

impl Subject<AsyncStd> for Token {
    const STRATEGY: &'static str = "token";
    const CAPABILITIES: Capabilities = cancel_token::async_std::CAPABILITIES;
    type Handle = cancel_token::async_std::TokenHandle<u64>;

    async fn run_with_timeout(
        rt: &<AsyncStd as Runtime>::Handle,
        timeout: Duration,
        work: Work,
    ) -> Result<Outcome<u64>, Error> {
        cancel_token::async_std::run_with_timeout(timeout, |token| play(rt.clone(), work, token))
            .await
    }

    fn start(rt: &<AsyncStd as Runtime>::Handle, work: Work) -> Self::Handle {
        cancel_token::async_std::start(|token| play(rt.clone(), work, token))
    }
}

impl Subject<Smol> for Token {
    const STRATEGY: &'static str = "token";
    const CAPABILITIES: Capabilities = cancel_token::smol::CAPABILITIES;
    type Handle = cancel_token::smol::TokenHandle<u64>;

    async fn run_with_timeout(
        rt: &<Smol as Runtime>::Handle,
        timeout: Duration,
        work: Work,
    ) -> Result<Outcome<u64>, Error> {
        cancel_token::smol::run_with_timeout(timeout, |token| play(rt.clone(), work, token)).await
    }

    fn start(rt: &<Smol as Runtime>::Handle, work: Work) -> Self::Handle {
        cancel_token::smol::start(&super::smol_executor(rt), |token| {
            play(rt.clone(), work, token)
        })
    }
}
