//! A cancellation token on smol.
//!
//! smol has no ambient runtime, so every smol module of cancel-lab follows
//! one rule: a function that spawns a task onto an executor takes
//! `ex: &Executor<'_>` as its first argument, and one that does not takes
//! none.
//! Here `start` and `start_with` spawn the work; `run_with_timeout` runs it
//! inside the caller's task and needs no executor.

use tokio_util::sync::CancellationToken;

cancel_contract::token_strategy! {
    runtime: smol,
    token: CancellationToken,
    handle: TokenHandle,
    noun: token,
    child: child_token,
}
