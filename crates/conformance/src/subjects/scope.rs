//! `cancel-scope` under the suite and the benches: the same adapter as
//! `cancel-token`'s (see `token.rs`), with our own token.

use cancel_scope::CancelScope;

/// cancel-lab's own token (`cancel-scope`).
#[derive(Debug)]
pub struct Scope;

super::token::token_subject!(Scope, Scope, cancel_scope, CancelScope, ScopeHandle, child);
