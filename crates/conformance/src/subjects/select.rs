//! `cancel-select` under the suite and the benches: the work is a plain
//! future, which the strategy drops to stop it.

use std::time::Duration;

use cancel_contract::{Capabilities, Error, Outcome};
use cancel_harness::runtime::{AsyncStd, Runtime, Smol, TokioCurrentThread, TokioMultiThread};

use super::no_group_signal;
use crate::{Play, StrategyKind, Subject};

/// Drop-on-select (`cancel-select`).
#[derive(Debug)]
pub struct Select;

/// One impl per runtime: `$module` is the strategy crate's module for it,
/// `$spawn` says whether its `start` takes the smol executor.
macro_rules! select_on {
    ($runtime:ty, $module:ident $(, $ex:ident)?) => {
        impl Subject<$runtime> for Select {
            const KIND: StrategyKind = StrategyKind::Select;
            const CAPABILITIES: Capabilities = cancel_select::$module::CAPABILITIES;
            type Handle<T: Send + 'static> = cancel_select::$module::SelectHandle<T>;
            no_group_signal!($runtime);

            async fn run_with_timeout<W: Play>(
                rt: &<$runtime as Runtime>::Handle,
                timeout: Duration,
                work: W,
            ) -> Result<Outcome<W::Output>, Error> {
                cancel_select::$module::run_with_timeout(timeout, work.forced(rt.clone())).await
            }

            fn start<W: Play>(rt: &<$runtime as Runtime>::Handle, work: W) -> Self::Handle<W::Output> {
                cancel_select::$module::start($(&super::$ex(rt),)? work.forced(rt.clone()))
            }
        }
    };
}

select_on!(TokioCurrentThread, tokio);
select_on!(TokioMultiThread, tokio);
select_on!(AsyncStd, async_std);
select_on!(Smol, smol, smol_executor);
