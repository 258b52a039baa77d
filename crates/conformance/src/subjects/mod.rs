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
/// (`select`, `abort`): its tasks start alone and stop one handle at a time.
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
