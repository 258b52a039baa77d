//! One adapter per strategy crate: it declares the strategy's capabilities
//! and calls the crate's own functions with work built from a script.

mod abort;
mod channel;
mod scope;
mod select;
mod thread;
mod token;

pub use abort::Abort;
pub use channel::Channel;
pub use scope::Scope;
pub use select::Select;
pub use thread::Thread;
pub use token::Token;

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
