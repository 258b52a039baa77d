//! A cancel scope on async-std.
//!
//! async-std is deprecated upstream in favour of smol; this module stays
//! because much code still runs on it.

use crate::{CancelScope, DropGuard};

cancel_contract::token_strategy! {
    runtime: async_std,
    token: CancelScope,
    guard: DropGuard,
    handle: ScopeHandle,
    noun: scope,
    child: child,
}
