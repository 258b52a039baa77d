//! `cancel-abortable` under the suite and the benches: the work is a plain
//! future inside futures' `Abortable`, stopped from outside by its
//! `AbortHandle`.

use std::time::Duration;

use cancel_contract::{Capabilities, Error, Outcome};
use cancel_harness::runtime::{AsyncStd, Runtime, Smol, TokioCurrentThread, TokioMultiThread};

use super::no_group_signal;
use crate::{Play, StrategyKind, Subject};

/// futures' `Abortable` (`cancel-abortable`).
#[derive(Debug)]
pub struct Abortable;

/// One impl per runtime: `$module` is the strategy crate's module for it;
/// on smol `start` spawns, so it takes the executor first.
macro_rules! abortable_on {
    ($runtime:ty, $module:ident $(, $ex:ident)?) => {
        impl Subject<$runtime> for Abortable {
            const KIND: StrategyKind = StrategyKind::Abortable;
            const CAPABILITIES: Capabilities = cancel_abortable::$module::CAPABILITIES;
            type Handle<T: Send + 'static> = cancel_abortable::$module::AbortableHandle<T>;
            no_group_signal!($runtime);

            async fn run_with_timeout<W: Play>(
                rt: &<$runtime as Runtime>::Handle,
                timeout: Duration,
                work: W,
            ) -> Result<Outcome<W::Output>, Error> {
                cancel_abortable::$module::run_with_timeout(timeout, work.forced(rt.clone())).await
            }

            fn start<W: Play>(rt: &<$runtime as Runtime>::Handle, work: W) -> Self::Handle<W::Output> {
                cancel_abortable::$module::start($(&super::$ex(rt),)? work.forced(rt.clone()))
            }
        }
    };
}

abortable_on!(TokioCurrentThread, tokio);
abortable_on!(TokioMultiThread, tokio);
abortable_on!(AsyncStd, async_std);
abortable_on!(Smol, smol, smol_executor);
