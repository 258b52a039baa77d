//! A cancel scope on smol.
//!
//! smol has no ambient runtime, so every smol module of cancel-lab follows
//! one rule: a function that spawns a task onto an executor takes
//! `ex: &Executor<'_>` as its first argument, and one that does not takes
//! none.
//! Here `start` and `start_with` spawn the work; `run_with_timeout` runs it
//! inside the caller's task and needs no executor.

use crate::CancelScope;

cancel_contract::token_strategy! {
    runtime: smol,
    token: CancelScope,
    handle: ScopeHandle,
    noun: scope,
    child: child,
}
