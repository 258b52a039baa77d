//! Each strategy crate on each runtime, called as its own docs show. The
//! scenario code is written here directly against the strategy crates rather
//! than through the conformance suite's scripts: a script interpreter (poll
//! counters, probes, child hand-offs, a 1 ms flag check for blocking work)
//! would sit inside the measured interval and be measured with it.

use std::future::{Future, ready};
use std::sync::Arc;
use std::time::Duration;

use cancel_contract::runtime::{AsyncStd, Runtime, Smol, TokioCurrentThread, TokioMultiThread};
use cancel_contract::{CancelHandle, Error, Outcome};
use cancel_thread::StopFlag;
use cancel_token::CancellationToken;

use crate::Target;
use crate::scenario::{Measure, On, Strategy};
use crate::work::{Marks, blocking, cooperative, forced};

pub(crate) struct Select;
pub(crate) struct Channel;
pub(crate) struct Token;
pub(crate) struct Abort;
pub(crate) struct Thread;

/// The group items of a strategy with no signal that reaches a group
/// (`select`, `abort`): its tasks start alone and stop one handle at a time.
macro_rules! no_group_signal {
    ($runtime:ty) => {
        type Group = ();
        fn group() -> Self::Group {}
        fn start_in(
            rt: &<$runtime as Runtime>::Handle,
            _group: &(),
            marks: Arc<Marks>,
        ) -> Self::Handle {
            <Self as Strategy<$runtime>>::start(rt, marks)
        }
        fn stop_group(_group: &(), handles: &[Self::Handle]) {
            // No signal reaches a group: one stop per handle.
            handles.iter().for_each(CancelHandle::request_stop);
        }
    };
}

/// Both tokio schedulers use the same module of every strategy crate.
macro_rules! on_tokio {
    ($($runtime:ty),*) => {$(
        impl Strategy<$runtime> for Select {
            const NAME: &'static str = "select";
            type Handle = cancel_select::tokio::SelectHandle<()>;
            no_group_signal!($runtime);
            fn start(_rt: &<$runtime as Runtime>::Handle, marks: Arc<Marks>) -> Self::Handle {
                cancel_select::tokio::start(forced(marks))
            }
            fn run_ready(_rt: &<$runtime as Runtime>::Handle, timeout: Duration)
                -> impl Future<Output = Result<Outcome<u64>, Error>> {
                cancel_select::tokio::run_with_timeout(timeout, ready(7_u64))
            }
            fn run_parked(_rt: &<$runtime as Runtime>::Handle, timeout: Duration, marks: Arc<Marks>)
                -> impl Future<Output = Result<Outcome<()>, Error>> {
                cancel_select::tokio::run_with_timeout(timeout, forced(marks))
            }
        }

        impl Strategy<$runtime> for Channel {
            const NAME: &'static str = "channel";
            type Handle = cancel_channel::tokio::ChannelHandle<()>;
            type Group = cancel_channel::tokio::StopChannel;
            fn group() -> Self::Group {
                cancel_channel::tokio::StopChannel::new()
            }
            fn start_in(_rt: &<$runtime as Runtime>::Handle, group: &Self::Group, marks: Arc<Marks>) -> Self::Handle {
                cancel_channel::tokio::start_with(group.clone(), |mut stop| {
                    cooperative(marks, async move { cancel_channel::tokio::stopped(&mut stop).await })
                })
            }
            fn stop_group(group: &Self::Group, _handles: &[Self::Handle]) {
                group.stop();
            }
            fn start(_rt: &<$runtime as Runtime>::Handle, marks: Arc<Marks>) -> Self::Handle {
                cancel_channel::tokio::start(|mut stop| {
                    cooperative(marks, async move { cancel_channel::tokio::stopped(&mut stop).await })
                })
            }
            fn run_ready(_rt: &<$runtime as Runtime>::Handle, timeout: Duration)
                -> impl Future<Output = Result<Outcome<u64>, Error>> {
                cancel_channel::tokio::run_with_timeout(timeout, |_stop| ready(Some(7_u64)))
            }
            fn run_parked(_rt: &<$runtime as Runtime>::Handle, timeout: Duration, marks: Arc<Marks>)
                -> impl Future<Output = Result<Outcome<()>, Error>> {
                cancel_channel::tokio::run_with_timeout(timeout, |stop| cooperative(marks, stop))
            }
        }

        impl Strategy<$runtime> for Token {
            const NAME: &'static str = "token";
            type Handle = cancel_token::tokio::TokenHandle<()>;
            type Group = CancellationToken;
            fn group() -> Self::Group {
                CancellationToken::new()
            }
            fn start_in(_rt: &<$runtime as Runtime>::Handle, group: &CancellationToken, marks: Arc<Marks>) -> Self::Handle {
                cancel_token::tokio::start_with(group.child_token(), |token| cooperative(marks, token.cancelled_owned()))
            }
            fn stop_group(group: &CancellationToken, _handles: &[Self::Handle]) {
                group.cancel();
            }
            fn start(_rt: &<$runtime as Runtime>::Handle, marks: Arc<Marks>) -> Self::Handle {
                cancel_token::tokio::start(|token| cooperative(marks, token.cancelled_owned()))
            }
            fn run_ready(_rt: &<$runtime as Runtime>::Handle, timeout: Duration)
                -> impl Future<Output = Result<Outcome<u64>, Error>> {
                cancel_token::tokio::run_with_timeout(timeout, |_token| ready(Some(7_u64)))
            }
            fn run_parked(_rt: &<$runtime as Runtime>::Handle, timeout: Duration, marks: Arc<Marks>)
                -> impl Future<Output = Result<Outcome<()>, Error>> {
                cancel_token::tokio::run_with_timeout(timeout, |token| {
                    cooperative(marks, token.cancelled_owned())
                })
            }
        }

        impl Strategy<$runtime> for Abort {
            const NAME: &'static str = "abort";
            type Handle = cancel_abort::tokio::AbortHandle<()>;
            no_group_signal!($runtime);
            fn start(_rt: &<$runtime as Runtime>::Handle, marks: Arc<Marks>) -> Self::Handle {
                cancel_abort::tokio::start(forced(marks))
            }
            fn run_ready(_rt: &<$runtime as Runtime>::Handle, timeout: Duration)
                -> impl Future<Output = Result<Outcome<u64>, Error>> {
                cancel_abort::tokio::run_with_timeout(timeout, ready(7_u64))
            }
            fn run_parked(_rt: &<$runtime as Runtime>::Handle, timeout: Duration, marks: Arc<Marks>)
                -> impl Future<Output = Result<Outcome<()>, Error>> {
                cancel_abort::tokio::run_with_timeout(timeout, forced(marks))
            }
        }

        impl Strategy<$runtime> for Thread {
            const NAME: &'static str = "thread";
            type Handle = cancel_thread::tokio::ThreadHandle<()>;
            type Group = StopFlag;
            fn group() -> Self::Group {
                StopFlag::new()
            }
            fn start_in(_rt: &<$runtime as Runtime>::Handle, group: &StopFlag, marks: Arc<Marks>) -> Self::Handle {
                cancel_thread::tokio::start_with(group.clone(), blocking(marks))
            }
            fn stop_group(group: &StopFlag, _handles: &[Self::Handle]) {
                group.stop();
            }
            fn start(_rt: &<$runtime as Runtime>::Handle, marks: Arc<Marks>) -> Self::Handle {
                cancel_thread::tokio::start(blocking(marks))
            }
            fn run_ready(_rt: &<$runtime as Runtime>::Handle, timeout: Duration)
                -> impl Future<Output = Result<Outcome<u64>, Error>> {
                cancel_thread::tokio::run_with_timeout(timeout, |_flag| Some(7_u64))
            }
            fn run_parked(_rt: &<$runtime as Runtime>::Handle, timeout: Duration, marks: Arc<Marks>)
                -> impl Future<Output = Result<Outcome<()>, Error>> {
                cancel_thread::tokio::run_with_timeout(timeout, blocking(marks))
            }
        }
    )*};
}

on_tokio!(TokioCurrentThread, TokioMultiThread);

type AsyncStdRt = <AsyncStd as Runtime>::Handle;
type SmolRt = <Smol as Runtime>::Handle;

impl Strategy<AsyncStd> for Select {
    const NAME: &'static str = "select";
    type Handle = cancel_select::async_std::SelectHandle<()>;
    no_group_signal!(AsyncStd);
    fn start(_rt: &AsyncStdRt, marks: Arc<Marks>) -> Self::Handle {
        cancel_select::async_std::start(forced(marks))
    }
    fn run_ready(
        _rt: &AsyncStdRt,
        timeout: Duration,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>> {
        cancel_select::async_std::run_with_timeout(timeout, ready(7_u64))
    }
    fn run_parked(
        _rt: &AsyncStdRt,
        timeout: Duration,
        marks: Arc<Marks>,
    ) -> impl Future<Output = Result<Outcome<()>, Error>> {
        cancel_select::async_std::run_with_timeout(timeout, forced(marks))
    }
}

impl Strategy<Smol> for Select {
    const NAME: &'static str = "select";
    type Handle = cancel_select::smol::SelectHandle<()>;
    no_group_signal!(Smol);
    fn start(rt: &SmolRt, marks: Arc<Marks>) -> Self::Handle {
        cancel_select::smol::start(&smol_executor(rt), forced(marks))
    }
    fn run_ready(
        _rt: &SmolRt,
        timeout: Duration,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>> {
        cancel_select::smol::run_with_timeout(timeout, ready(7_u64))
    }
    fn run_parked(
        _rt: &SmolRt,
        timeout: Duration,
        marks: Arc<Marks>,
    ) -> impl Future<Output = Result<Outcome<()>, Error>> {
        cancel_select::smol::run_with_timeout(timeout, forced(marks))
    }
}

impl Strategy<AsyncStd> for Channel {
    const NAME: &'static str = "channel";
    type Handle = cancel_channel::async_std::ChannelHandle<()>;
    type Group = cancel_channel::async_std::StopChannel;
    fn group() -> Self::Group {
        cancel_channel::async_std::StopChannel::new()
    }
    fn start_in(_rt: &AsyncStdRt, group: &Self::Group, marks: Arc<Marks>) -> Self::Handle {
        cancel_channel::async_std::start_with(group.clone(), |stop| {
            cooperative(marks, async move { stop.recv().await })
        })
    }
    fn stop_group(group: &Self::Group, _handles: &[Self::Handle]) {
        group.stop();
    }
    fn start(_rt: &AsyncStdRt, marks: Arc<Marks>) -> Self::Handle {
        // `recv` fails once the channel is closed: that is the stop.
        cancel_channel::async_std::start(|stop| {
            cooperative(marks, async move { stop.recv().await })
        })
    }
    fn run_ready(
        _rt: &AsyncStdRt,
        timeout: Duration,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>> {
        cancel_channel::async_std::run_with_timeout(timeout, |_stop| ready(Some(7_u64)))
    }
    fn run_parked(
        _rt: &AsyncStdRt,
        timeout: Duration,
        marks: Arc<Marks>,
    ) -> impl Future<Output = Result<Outcome<()>, Error>> {
        cancel_channel::async_std::run_with_timeout(timeout, |stop| {
            cooperative(marks, async move { stop.recv().await })
        })
    }
}

impl Strategy<Smol> for Channel {
    const NAME: &'static str = "channel";
    type Handle = cancel_channel::smol::ChannelHandle<()>;
    type Group = cancel_channel::smol::StopChannel;
    fn group() -> Self::Group {
        cancel_channel::smol::StopChannel::new()
    }
    fn start_in(rt: &SmolRt, group: &Self::Group, marks: Arc<Marks>) -> Self::Handle {
        cancel_channel::smol::start_with(&smol_executor(rt), group.clone(), |stop| {
            cooperative(marks, async move { stop.recv().await })
        })
    }
    fn stop_group(group: &Self::Group, _handles: &[Self::Handle]) {
        group.stop();
    }
    fn start(rt: &SmolRt, marks: Arc<Marks>) -> Self::Handle {
        cancel_channel::smol::start(&smol_executor(rt), |stop| {
            cooperative(marks, async move { stop.recv().await })
        })
    }
    fn run_ready(
        _rt: &SmolRt,
        timeout: Duration,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>> {
        cancel_channel::smol::run_with_timeout(timeout, |_stop| ready(Some(7_u64)))
    }
    fn run_parked(
        _rt: &SmolRt,
        timeout: Duration,
        marks: Arc<Marks>,
    ) -> impl Future<Output = Result<Outcome<()>, Error>> {
        cancel_channel::smol::run_with_timeout(timeout, |stop| {
            cooperative(marks, async move { stop.recv().await })
        })
    }
}

impl Strategy<AsyncStd> for Token {
    const NAME: &'static str = "token";
    type Handle = cancel_token::async_std::TokenHandle<()>;
    type Group = CancellationToken;
    fn group() -> Self::Group {
        CancellationToken::new()
    }
    fn start_in(_rt: &AsyncStdRt, group: &CancellationToken, marks: Arc<Marks>) -> Self::Handle {
        cancel_token::async_std::start_with(group.child_token(), |token| {
            cooperative(marks, token.cancelled_owned())
        })
    }
    fn stop_group(group: &CancellationToken, _handles: &[Self::Handle]) {
        group.cancel();
    }
    fn start(_rt: &AsyncStdRt, marks: Arc<Marks>) -> Self::Handle {
        cancel_token::async_std::start(|token| cooperative(marks, token.cancelled_owned()))
    }
    fn run_ready(
        _rt: &AsyncStdRt,
        timeout: Duration,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>> {
        cancel_token::async_std::run_with_timeout(timeout, |_token| ready(Some(7_u64)))
    }
    fn run_parked(
        _rt: &AsyncStdRt,
        timeout: Duration,
        marks: Arc<Marks>,
    ) -> impl Future<Output = Result<Outcome<()>, Error>> {
        cancel_token::async_std::run_with_timeout(timeout, |token| {
            cooperative(marks, token.cancelled_owned())
        })
    }
}

impl Strategy<Smol> for Token {
    const NAME: &'static str = "token";
    type Handle = cancel_token::smol::TokenHandle<()>;
    type Group = CancellationToken;
    fn group() -> Self::Group {
        CancellationToken::new()
    }
    fn start_in(rt: &SmolRt, group: &CancellationToken, marks: Arc<Marks>) -> Self::Handle {
        cancel_token::smol::start_with(&smol_executor(rt), group.child_token(), |token| {
            cooperative(marks, token.cancelled_owned())
        })
    }
    fn stop_group(group: &CancellationToken, _handles: &[Self::Handle]) {
        group.cancel();
    }
    fn start(rt: &SmolRt, marks: Arc<Marks>) -> Self::Handle {
        cancel_token::smol::start(&smol_executor(rt), |token| {
            cooperative(marks, token.cancelled_owned())
        })
    }
    fn run_ready(
        _rt: &SmolRt,
        timeout: Duration,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>> {
        cancel_token::smol::run_with_timeout(timeout, |_token| ready(Some(7_u64)))
    }
    fn run_parked(
        _rt: &SmolRt,
        timeout: Duration,
        marks: Arc<Marks>,
    ) -> impl Future<Output = Result<Outcome<()>, Error>> {
        cancel_token::smol::run_with_timeout(timeout, |token| {
            cooperative(marks, token.cancelled_owned())
        })
    }
}

impl Strategy<AsyncStd> for Abort {
    const NAME: &'static str = "abort";
    type Handle = cancel_abort::async_std::AbortHandle<()>;
    no_group_signal!(AsyncStd);
    fn start(_rt: &AsyncStdRt, marks: Arc<Marks>) -> Self::Handle {
        cancel_abort::async_std::start(forced(marks))
    }
    fn run_ready(
        _rt: &AsyncStdRt,
        timeout: Duration,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>> {
        cancel_abort::async_std::run_with_timeout(timeout, ready(7_u64))
    }
    fn run_parked(
        _rt: &AsyncStdRt,
        timeout: Duration,
        marks: Arc<Marks>,
    ) -> impl Future<Output = Result<Outcome<()>, Error>> {
        cancel_abort::async_std::run_with_timeout(timeout, forced(marks))
    }
}

impl Strategy<Smol> for Abort {
    const NAME: &'static str = "abort";
    type Handle = cancel_abort::smol::AbortHandle<()>;
    no_group_signal!(Smol);
    fn start(rt: &SmolRt, marks: Arc<Marks>) -> Self::Handle {
        cancel_abort::smol::start(&smol_executor(rt), forced(marks))
    }
    fn run_ready(
        rt: &SmolRt,
        timeout: Duration,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>> {
        let ex = smol_executor(rt);
        async move { cancel_abort::smol::run_with_timeout(&ex, timeout, ready(7_u64)).await }
    }
    fn run_parked(
        rt: &SmolRt,
        timeout: Duration,
        marks: Arc<Marks>,
    ) -> impl Future<Output = Result<Outcome<()>, Error>> {
        let ex = smol_executor(rt);
        async move { cancel_abort::smol::run_with_timeout(&ex, timeout, forced(marks)).await }
    }
}

impl Strategy<AsyncStd> for Thread {
    const NAME: &'static str = "thread";
    type Handle = cancel_thread::async_std::ThreadHandle<()>;
    type Group = StopFlag;
    fn group() -> Self::Group {
        StopFlag::new()
    }
    fn start_in(_rt: &AsyncStdRt, group: &StopFlag, marks: Arc<Marks>) -> Self::Handle {
        cancel_thread::async_std::start_with(group.clone(), blocking(marks))
    }
    fn stop_group(group: &StopFlag, _handles: &[Self::Handle]) {
        group.stop();
    }
    fn start(_rt: &AsyncStdRt, marks: Arc<Marks>) -> Self::Handle {
        cancel_thread::async_std::start(blocking(marks))
    }
    fn run_ready(
        _rt: &AsyncStdRt,
        timeout: Duration,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>> {
        cancel_thread::async_std::run_with_timeout(timeout, |_flag| Some(7_u64))
    }
    fn run_parked(
        _rt: &AsyncStdRt,
        timeout: Duration,
        marks: Arc<Marks>,
    ) -> impl Future<Output = Result<Outcome<()>, Error>> {
        cancel_thread::async_std::run_with_timeout(timeout, blocking(marks))
    }
}

impl Strategy<Smol> for Thread {
    const NAME: &'static str = "thread";
    type Handle = cancel_thread::smol::ThreadHandle<()>;
    type Group = StopFlag;
    fn group() -> Self::Group {
        StopFlag::new()
    }
    fn start_in(_rt: &SmolRt, group: &StopFlag, marks: Arc<Marks>) -> Self::Handle {
        cancel_thread::smol::start_with(group.clone(), blocking(marks))
    }
    fn stop_group(group: &StopFlag, _handles: &[Self::Handle]) {
        group.stop();
    }
    fn start(_rt: &SmolRt, marks: Arc<Marks>) -> Self::Handle {
        cancel_thread::smol::start(blocking(marks))
    }
    fn run_ready(
        _rt: &SmolRt,
        timeout: Duration,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>> {
        cancel_thread::smol::run_with_timeout(timeout, |_flag| Some(7_u64))
    }
    fn run_parked(
        _rt: &SmolRt,
        timeout: Duration,
        marks: Arc<Marks>,
    ) -> impl Future<Output = Result<Outcome<()>, Error>> {
        cancel_thread::smol::run_with_timeout(timeout, blocking(marks))
    }
}

fn on<S, R>() -> Box<dyn Measure>
where
    S: Strategy<R>,
    R: Runtime,
{
    Box::new(On::<S, R>::build())
}

/// The one place where strategies and runtimes are matched to code.
pub(crate) fn measure(target: Target) -> Box<dyn Measure> {
    use cancel_contract::runtime::RuntimeKind as K;
    macro_rules! by_runtime {
        ($s:ty) => {
            match target.runtime {
                K::TokioCurrentThread => on::<$s, TokioCurrentThread>(),
                K::TokioMultiThread => on::<$s, TokioMultiThread>(),
                K::AsyncStd => on::<$s, AsyncStd>(),
                K::Smol => on::<$s, Smol>(),
            }
        };
    }
    match target.strategy {
        "select" => by_runtime!(Select),
        "channel" => by_runtime!(Channel),
        "token" => by_runtime!(Token),
        "scope" => by_runtime!(crate::scope::Scope),
        "abort" => by_runtime!(Abort),
        "thread" => by_runtime!(Thread),
        other => panic!(
            "no strategy named {other:?}; the strategies are {:?}",
            crate::STRATEGIES
        ),
    }
}

/// The executor of the smol runtime a scenario runs on.
pub(crate) fn smol_executor(
    rt: &cancel_contract::runtime::SmolHandle,
) -> std::sync::Arc<async_executor::Executor<'static>> {
    // Scenarios only run inside `Smol::block_on`, which holds the executor.
    rt.executor()
        .expect("a scenario only runs while its smol runtime is alive")
}
