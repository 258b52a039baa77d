//! `cancel-thread` under the suite and the benches: the work is blocking
//! code on a thread, checking the strategy's stop flag, and handing the same
//! check to a child thread it starts.

use std::time::Duration;

use cancel_contract::{Capabilities, Error, Outcome};
use cancel_harness::runtime::{AsyncStd, Runtime, Smol, TokioCurrentThread, TokioMultiThread};
use cancel_thread::{OnStop, StopFlag};

use crate::{Play, Stop, StrategyKind, Subject};

/// Blocking work with a stop flag (`cancel-thread`).
#[derive(Debug)]
pub struct Thread;

/// The strategy's flag is the stop blocking work gets: its hooks are the
/// flag's own `on_stop`.
impl Stop for StopFlag {
    type Hook = OnStop;

    fn is_stopped(&self) -> bool {
        StopFlag::is_stopped(self)
    }

    fn on_stop<H: FnOnce() + Send + 'static>(&self, hook: H) -> OnStop {
        StopFlag::on_stop(self, hook)
    }
}

/// The work as the blocking closure the strategy runs.
fn blocking<W: Play>(work: W) -> impl FnOnce(&StopFlag) -> Option<W::Output> + Send + 'static {
    // A child thread gets a clone of the flag: clones share it.
    move |flag: &StopFlag| work.blocking(flag.clone())
}

/// One impl per runtime. The blocking pools are global: no executor to pass.
macro_rules! thread_on {
    ($runtime:ty, $module:ident, virtual_time = $virtual:expr) => {
        impl Subject<$runtime> for Thread {
            const KIND: StrategyKind = StrategyKind::Thread;
            const CAPABILITIES: Capabilities = cancel_thread::$module::CAPABILITIES;
            const VIRTUAL_TIME: bool = $virtual;
            const ON_BLOCKING_THREADS: bool = true;
            const GROUP_SIGNAL: bool = true;
            type Handle<T: Send + 'static> = cancel_thread::$module::ThreadHandle<T>;
            type Group = StopFlag;

            async fn run_with_timeout<W: Play>(
                _rt: &<$runtime as Runtime>::Handle,
                timeout: Duration,
                work: W,
            ) -> Result<Outcome<W::Output>, Error> {
                cancel_thread::$module::run_with_timeout(timeout, blocking(work)).await
            }

            async fn run_until<W: Play, U>(
                _rt: &<$runtime as Runtime>::Handle,
                until: U,
                work: W,
            ) -> Result<Outcome<W::Output>, Error>
            where
                U: std::future::Future<Output = ()> + Send + 'static,
            {
                cancel_thread::$module::run_until(until, blocking(work)).await
            }

            fn start<W: Play>(
                _rt: &<$runtime as Runtime>::Handle,
                work: W,
            ) -> Self::Handle<W::Output> {
                cancel_thread::$module::start(blocking(work))
            }

            fn group() -> StopFlag {
                StopFlag::new()
            }

            fn start_in<W: Play>(
                _rt: &<$runtime as Runtime>::Handle,
                group: &StopFlag,
                work: W,
            ) -> Self::Handle<W::Output> {
                cancel_thread::$module::start_with(group.clone(), blocking(work))
            }

            fn stop_group<T: Send + 'static>(group: &StopFlag, _handles: &[Self::Handle<T>]) {
                group.stop();
            }

            fn checkpoint(group: &StopFlag) -> Option<bool> {
                Some(group.is_stopped())
            }
        }
    };
}

// Paused time stands still while a blocking task runs on tokio.
thread_on!(TokioCurrentThread, tokio, virtual_time = false);
thread_on!(TokioMultiThread, tokio, virtual_time = false);
thread_on!(AsyncStd, async_std, virtual_time = true);
thread_on!(Smol, smol, virtual_time = true);
