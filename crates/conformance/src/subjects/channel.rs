//! `cancel-channel` under the suite and the benches: the work listens to its
//! stop receiver; a child it spawns gets a clone of that receiver where the
//! channel allows one.

use std::time::Duration;

use cancel_contract::{Capabilities, Error, Outcome};
use cancel_harness::runtime::{AsyncStd, Runtime, Smol, TokioCurrentThread, TokioMultiThread};

use crate::{Play, StrategyKind, Subject};

/// A stop message over a channel (`cancel-channel`).
#[derive(Debug)]
pub struct Channel;

/// Never completes: what a child gets when there is nothing to hand on.
type Nothing = fn() -> std::future::Pending<()>;

/// tokio: a `oneshot` for `run_with_timeout`, a `watch` for `start`.
macro_rules! channel_on_tokio {
    ($runtime:ty) => {
        impl Subject<$runtime> for Channel {
            const KIND: StrategyKind = StrategyKind::Channel;
            const CAPABILITIES: Capabilities = cancel_channel::tokio::CAPABILITIES;
            const GROUP_SIGNAL: bool = true;
            type Handle<T: Send + 'static> = cancel_channel::tokio::ChannelHandle<T>;
            type Group = cancel_channel::tokio::StopChannel;

            async fn run_with_timeout<W: Play>(
                rt: &<$runtime as Runtime>::Handle,
                timeout: Duration,
                work: W,
            ) -> Result<Outcome<W::Output>, Error> {
                let rt = rt.clone();
                cancel_channel::tokio::run_with_timeout(timeout, move |stop| once(rt, work, stop)).await
            }

            async fn run_until<W: Play, U>(
                rt: &<$runtime as Runtime>::Handle,
                until: U,
                work: W,
            ) -> Result<Outcome<W::Output>, Error>
            where
                U: std::future::Future<Output = ()> + Send + 'static,
            {
                let rt = rt.clone();
                cancel_channel::tokio::run_until(until, move |stop| once(rt, work, stop)).await
            }

            fn start<W: Play>(
                rt: &<$runtime as Runtime>::Handle,
                work: W,
            ) -> Self::Handle<W::Output> {
                let rt = rt.clone();
                cancel_channel::tokio::start(move |stop| listen(rt, work, stop))
            }

            fn group() -> Self::Group {
                cancel_channel::tokio::StopChannel::new()
            }

            fn start_in<W: Play>(
                rt: &<$runtime as Runtime>::Handle,
                group: &Self::Group,
                work: W,
            ) -> Self::Handle<W::Output> {
                let rt = rt.clone();
                cancel_channel::tokio::start_with(group.clone(), move |stop| listen(rt, work, stop))
            }

            fn stop_group<T: Send + 'static>(group: &Self::Group, _handles: &[Self::Handle<T>]) {
                group.stop();
            }

            fn checkpoint(group: &Self::Group) -> Option<bool> {
                // The sender and its receivers read one value behind one lock.
                Some(group.is_stopped())
            }
        }
    };
}

/// The work against a tokio `oneshot` receiver, which cannot be cloned: a
/// child gets nothing.
fn once<W: Play, H: cancel_harness::runtime::RuntimeHandle>(
    rt: H,
    work: W,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> impl Future<Output = Option<W::Output>> + Send + 'static {
    let stopped = async move {
        let _ = stop.await;
    };
    work.until(rt, stopped, None::<Nothing>)
}

/// The work against a tokio `watch` receiver; a child gets a clone.
fn listen<W: Play, H: cancel_harness::runtime::RuntimeHandle>(
    rt: H,
    work: W,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> impl Future<Output = Option<W::Output>> + Send + 'static {
    let mut for_child = stop.clone();
    let child = move || async move { cancel_channel::tokio::stopped(&mut for_child).await };
    let stopped = async move { cancel_channel::tokio::stopped(&mut stop).await };
    work.until(rt, stopped, Some(child))
}

channel_on_tokio!(TokioCurrentThread);
channel_on_tokio!(TokioMultiThread);

/// async-std and smol: a closable `async-channel` receiver (async-channel 1
/// through async-std, 2 for smol): `recv()` failing means "closed", the stop.
/// A child gets a clone.
macro_rules! channel_closable_on {
    ($runtime:ty, $module:ident $(, $ex:ident)?) => {
        impl Subject<$runtime> for Channel {
            const KIND: StrategyKind = StrategyKind::Channel;
            const CAPABILITIES: Capabilities = cancel_channel::$module::CAPABILITIES;
            const GROUP_SIGNAL: bool = true;
            type Handle<T: Send + 'static> = cancel_channel::$module::ChannelHandle<T>;
            type Group = cancel_channel::$module::StopChannel;

            async fn run_with_timeout<W: Play>(
                rt: &<$runtime as Runtime>::Handle,
                timeout: Duration,
                work: W,
            ) -> Result<Outcome<W::Output>, Error> {
                let rt = rt.clone();
                cancel_channel::$module::run_with_timeout(timeout, move |stop| {
                    closable!(rt, work, stop)
                })
                .await
            }

            async fn run_until<W: Play, U>(
                rt: &<$runtime as Runtime>::Handle,
                until: U,
                work: W,
            ) -> Result<Outcome<W::Output>, Error>
            where
                U: std::future::Future<Output = ()> + Send + 'static,
            {
                let rt = rt.clone();
                cancel_channel::$module::run_until(until, move |stop| closable!(rt, work, stop)).await
            }

            fn start<W: Play>(rt: &<$runtime as Runtime>::Handle, work: W) -> Self::Handle<W::Output> {
                let rt2 = rt.clone();
                cancel_channel::$module::start($(&super::$ex(rt),)? move |stop| closable!(rt2, work, stop))
            }

            fn group() -> Self::Group {
                cancel_channel::$module::StopChannel::new()
            }

            fn start_in<W: Play>(
                rt: &<$runtime as Runtime>::Handle,
                group: &Self::Group,
                work: W,
            ) -> Self::Handle<W::Output> {
                let rt2 = rt.clone();
                cancel_channel::$module::start_with(
                    $(&super::$ex(rt),)?
                    group.clone(),
                    move |stop| closable!(rt2, work, stop),
                )
            }

            fn stop_group<T: Send + 'static>(group: &Self::Group, _handles: &[Self::Handle<T>]) {
                group.stop();
            }

            fn checkpoint(group: &Self::Group) -> Option<bool> {
                Some(group.is_stopped())
            }
        }
    };
}

/// The work against a closable receiver; a child gets a clone.
macro_rules! closable {
    ($rt:expr, $work:expr, $stop:expr) => {{
        let stop = $stop;
        let for_child = stop.clone();
        let child = move || async move {
            let _ = for_child.recv().await;
        };
        let stopped = async move {
            let _ = stop.recv().await;
        };
        $work.until($rt, stopped, Some(child))
    }};
}

channel_closable_on!(AsyncStd, async_std);
channel_closable_on!(Smol, smol, smol_executor);
