//! The strategy's own tests, on every runtime, written once for every
//! token-shaped strategy (`cancel_contract::token_strategy_tests!`): one
//! parent's cancel stops every task started with `start_with` on a child
//! token, while a handle's own `request_stop` stops only its task; dropping
//! a handle cancels its token, joining finished work cancels nothing, and
//! `run_until_cancelled` is the shape of the work.

cancel_contract::token_strategy_tests! {
    strategy: cancel_token,
    token: CancellationToken,
    child: child_token,
}
