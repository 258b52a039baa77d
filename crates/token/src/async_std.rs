//! A cancellation token on async-std.
//!
//! async-std is deprecated upstream in favour of smol; this module stays
//! because much code still runs on it.

use tokio_util::sync::{CancellationToken, DropGuard};

cancel_contract::token_strategy! {
    runtime: async_std,
    token: CancellationToken,
    guard: DropGuard,
    handle: TokenHandle,
    noun: token,
    child: child_token,
}
