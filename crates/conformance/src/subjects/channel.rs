//! `cancel-channel` under the suite: the work is the script played against
//! its stop receiver; a child it spawns gets a clone of that receiver where
//! the channel allows one.

use std::time::Duration;

use cancel_harness::runtime::{AsyncStd, Runtime, Smol, TokioCurrentThread, TokioMultiThread};
use cancel_contract::{Capabilities, Error, Outcome};

use crate::Subject;
use crate::script::{Work, perform_until};

/// A stop message over a channel (`cancel-channel`).
#[derive(Debug)]
pub struct Channel;

/// Never completes: what a child gets when there is nothing to hand on.
type Nothing = std::future::Pending<()>;

macro_rules! on_tokio {
    ($runtime:ty) => {
        impl Subject<$runtime> for Channel {
            const STRATEGY: &'static str = "channel";
            const CAPABILITIES: Capabilities = cancel_channel::tokio::CAPABILITIES;
            type Handle = cancel_channel::tokio::ChannelHandle<u64>;

            async fn run_with_timeout(
                rt: &<$runtime as Runtime>::Handle,
                timeout: Duration,
                work: Work,
            ) -> Result<Outcome<u64>, Error> {
                let rt = rt.clone();
                cancel_channel::tokio::run_with_timeout(timeout, |stop| async move {
                    // A oneshot receiver cannot be cloned: a child gets nothing.
                    let stopped = async move {
                        let _ = stop.await;
                    };
                    perform_until(rt, work, stopped, None::<Nothing>).await
                })
                .await
            }

            fn start(rt: &<$runtime as Runtime>::Handle, work: Work) -> Self::Handle {
                let rt = rt.clone();
                cancel_channel::tokio::start(|mut stop| async move {
                    let mut for_child = stop.clone();
                    let child = async move { cancel_channel::tokio::stopped(&mut for_child).await };
                    let stopped = async move { cancel_channel::tokio::stopped(&mut stop).await };
                    perform_until(rt, work, stopped, Some(child)).await
                })
            }
        }
    };
}

on_tokio!(TokioCurrentThread);
on_tokio!(TokioMultiThread);

/// The script against a closable `async-channel` receiver, as async-std (on
/// async-channel 1) and smol (on async-channel 2) hand it: `recv()` failing
/// means "closed", the stop. A child gets a clone.
macro_rules! play_closable {
    ($rt:expr, $work:expr, $stop:expr) => {{
        let stop = $stop;
        let for_child = stop.clone();
        let child = async move {
            let _ = for_child.recv().await;
        };
        let stopped = async move {
            let _ = stop.recv().await;
        };
        perform_until($rt, $work, stopped, Some(child))
    }};
}

impl Subject<AsyncStd> for Channel {
    const STRATEGY: &'static str = "channel";
    const CAPABILITIES: Capabilities = cancel_channel::async_std::CAPABILITIES;
    type Handle = cancel_channel::async_std::ChannelHandle<u64>;

    async fn run_with_timeout(
        rt: &<AsyncStd as Runtime>::Handle,
        timeout: Duration,
        work: Work,
    ) -> Result<Outcome<u64>, Error> {
        cancel_channel::async_std::run_with_timeout(timeout, |stop| {
            play_closable!(rt.clone(), work, stop)
        })
        .await
    }

    fn start(rt: &<AsyncStd as Runtime>::Handle, work: Work) -> Self::Handle {
        cancel_channel::async_std::start(|stop| play_closable!(rt.clone(), work, stop))
    }
}

impl Subject<Smol> for Channel {
    const STRATEGY: &'static str = "channel";
    const CAPABILITIES: Capabilities = cancel_channel::smol::CAPABILITIES;
    type Handle = cancel_channel::smol::ChannelHandle<u64>;

    async fn run_with_timeout(
        rt: &<Smol as Runtime>::Handle,
        timeout: Duration,
        work: Work,
    ) -> Result<Outcome<u64>, Error> {
        cancel_channel::smol::run_with_timeout(timeout, |stop| {
            play_closable!(rt.clone(), work, stop)
        })
        .await
    }

    fn start(rt: &<Smol as Runtime>::Handle, work: Work) -> Self::Handle {
        cancel_channel::smol::start(&super::smol_executor(rt), |stop| {
            play_closable!(rt.clone(), work, stop)
        })
    }
}
