//! The strategy's own tests, on every runtime, written once for every
//! token-shaped strategy (`cancel_contract::token_strategy_tests!`): one
//! parent's cancel stops every task started with `start_with` on a child
//! scope, while a handle's own `request_stop` stops only its task; dropping
//! a handle cancels its scope, joining finished work cancels nothing, and
//! `run_until_cancelled` is the shape of the work.
#![cfg(not(loom))]

cancel_contract::token_strategy_tests! {
    strategy: cancel_scope,
    token: CancelScope,
    child: child,
}
