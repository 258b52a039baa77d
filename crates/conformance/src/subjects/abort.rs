//! `cancel-abort` under the suite and the benches: the work is a plain
//! future, spawned as a task of its own, and stopped from outside by an abort.

use std::time::Duration;

use cancel_contract::{Capabilities, Error, Outcome};
use cancel_harness::runtime::{AsyncStd, Runtime, Smol, TokioCurrentThread, TokioMultiThread};

use super::no_group_signal;
use crate::{Play, StrategyKind, Subject};

/// A forced stop: the runtime's task abort (`cancel-abort`).
#[derive(Debug)]
pub struct Abort;

/// One impl per runtime: `$module` is the strategy crate's module for it;
/// on smol every call that spawns takes the executor first.
macro_rules! abort_on {
    ($runtime:ty, $module:ident $(, $ex:ident)?) => {
        impl Subject<$runtime> for Abort {
            const KIND: StrategyKind = StrategyKind::Abort;
            const CAPABILITIES: Capabilities = cancel_abort::$module::CAPABILITIES;
            type Handle<T: Send + 'static> = cancel_abort::$module::AbortHandle<T>;
            no_group_signal!($runtime);

            async fn run_with_timeout<W: Play>(
                rt: &<$runtime as Runtime>::Handle,
                timeout: Duration,
                work: W,
            ) -> Result<Outcome<W::Output>, Error> {
                cancel_abort::$module::run_with_timeout(
                    $(&super::$ex(rt),)?
                    timeout,
                    work.forced(rt.clone()),
                )
                .await
            }

            fn start<W: Play>(rt: &<$runtime as Runtime>::Handle, work: W) -> Self::Handle<W::Output> {
                cancel_abort::$module::start($(&super::$ex(rt),)? work.forced(rt.clone()))
            }
        }
    };
}

abort_on!(TokioCurrentThread, tokio);
abort_on!(TokioMultiThread, tokio);
abort_on!(AsyncStd, async_std);
abort_on!(Smol, smol, smol_executor);
