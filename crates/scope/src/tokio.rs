//! A cancel scope on tokio.
//!
//! `start` and `start_with` must be called from inside a tokio runtime (they
//! use `tokio::spawn`).

use crate::{CancelScope, DropGuard};

cancel_contract::token_strategy! {
    runtime: tokio,
    token: CancelScope,
    guard: DropGuard,
    handle: ScopeHandle,
    noun: scope,
    child: child,
}
