//! One adapter per strategy crate: it declares the strategy's capabilities
//! and calls the crate's own functions with any [`Play`](crate::Play) work.
//!
//! Each type is named after its variant in the registry
//! (`cancel_harness::strategies!`): the suite's `match`es find it by that name.

/// One module a strategy, `<name>.rs`, each exporting its adapter type
/// named after its registry variant: declared from the registry itself, so
/// a new strategy adds its file and nothing here.
macro_rules! declare_subjects {
    ($($variant:ident $name:ident $doc:literal),* $(,)?) => {
        $(
            mod $name;
            pub use $name::$variant;
        )*
    };
}
cancel_harness::strategies!(declare_subjects);

/// The executor of the smol runtime a case runs on, for strategy APIs that
/// spawn onto an explicit executor.
fn smol_executor(
    rt: &cancel_harness::runtime::SmolHandle,
) -> std::sync::Arc<async_executor::Executor<'static>> {
    // Subjects are only driven from inside `Smol::block_on`, which holds the
    // executor: it cannot be gone here.
    rt.executor()
        .expect("a subject is only driven while its smol runtime is alive")
}

/// The group items of a strategy with no signal that reaches a group
/// (`select`, `abort`, `abortable`): its tasks start alone and stop one
/// handle at a time.
macro_rules! no_group_signal {
    ($runtime:ty) => {
        const GROUP_SIGNAL: bool = false;
        type Group = ();

        fn group() -> Self::Group {}

        fn start_in<W: $crate::Play>(
            rt: &<$runtime as cancel_harness::runtime::Runtime>::Handle,
            _group: &(),
            work: W,
        ) -> Self::Handle<W::Output> {
            <Self as $crate::Subject<$runtime>>::start(rt, work)
        }

        fn stop_group<T: Send + 'static>(_group: &(), handles: &[Self::Handle<T>]) {
            // No signal reaches a group: one stop per handle.
            handles
                .iter()
                .for_each(cancel_contract::CancelHandle::request_stop);
        }

        fn checkpoint(_group: &()) -> Option<bool> {
            // The work is stopped from outside: it checks nothing.
            None
        }
    };
}
use no_group_signal;

/// The adapter of a strategy whose work is a plain future, stopped from
/// outside (`select`, `abort`, `abortable`): `$module::start(work)` and
/// `$module::run_with_timeout(timeout, work)` on each runtime. On smol,
/// `start` takes the executor first; so does `run_with_timeout` where it
/// spawns too (`run_with_timeout_spawns = smol_executor`).
macro_rules! forced_subject {
    ($subject:ident, $crate_:ident, $handle:ident $(, run_with_timeout_spawns = $rex:ident)?) => {
        $crate::subjects::forced_subject!(@on $subject, $crate_, $handle,
            cancel_harness::runtime::TokioCurrentThread, tokio, [], []);
        $crate::subjects::forced_subject!(@on $subject, $crate_, $handle,
            cancel_harness::runtime::TokioMultiThread, tokio, [], []);
        $crate::subjects::forced_subject!(@on $subject, $crate_, $handle,
            cancel_harness::runtime::AsyncStd, async_std, [], []);
        $crate::subjects::forced_subject!(@on $subject, $crate_, $handle,
            cancel_harness::runtime::Smol, smol, [smol_executor], [$($rex)?]);
    };
    (@on $subject:ident, $crate_:ident, $handle:ident, $runtime:ty, $module:ident,
        [$($ex:ident)?], [$($rex:ident)?]) => {
        impl $crate::Subject<$runtime> for $subject {
            const KIND: $crate::StrategyKind = $crate::StrategyKind::$subject;
            const CAPABILITIES: cancel_contract::Capabilities = $crate_::$module::CAPABILITIES;
            type Handle<T: Send + 'static> = $crate_::$module::$handle<T>;
            $crate::subjects::no_group_signal!($runtime);

            async fn run_with_timeout<W: $crate::Play>(
                rt: &<$runtime as cancel_harness::runtime::Runtime>::Handle,
                timeout: std::time::Duration,
                work: W,
            ) -> Result<cancel_contract::Outcome<W::Output>, cancel_contract::Error> {
                $crate_::$module::run_with_timeout(
                    $(&$crate::subjects::$rex(rt),)?
                    timeout,
                    work.forced(rt.clone()),
                )
                .await
            }

            async fn run_until<W: $crate::Play, U>(
                rt: &<$runtime as cancel_harness::runtime::Runtime>::Handle,
                until: U,
                work: W,
            ) -> Result<cancel_contract::Outcome<W::Output>, cancel_contract::Error>
            where
                U: std::future::Future<Output = ()> + Send + 'static,
            {
                $crate_::$module::run_until(
                    $(&$crate::subjects::$rex(rt),)?
                    until,
                    work.forced(rt.clone()),
                )
                .await
            }

            fn start<W: $crate::Play>(
                rt: &<$runtime as cancel_harness::runtime::Runtime>::Handle,
                work: W,
            ) -> Self::Handle<W::Output> {
                $crate_::$module::start($(&$crate::subjects::$ex(rt),)? work.forced(rt.clone()))
            }
        }
    };
}
use forced_subject;
