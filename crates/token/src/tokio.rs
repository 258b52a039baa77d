//! A cancellation token on tokio.
//!
//! `start` and `start_with` must be called from inside a tokio runtime (they
//! use `tokio::spawn`).

use tokio_util::sync::{CancellationToken, DropGuard};

cancel_contract::token_strategy! {
    runtime: tokio,
    token: CancellationToken,
    guard: DropGuard,
    handle: TokenHandle,
    noun: token,
    child: child_token,
}
