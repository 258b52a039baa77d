//! `cancel-scope` on each runtime, the same scenarios as `cancel-token`'s
//! (`strategies.rs`), so every group has `scope/...` ids beside `token/...`.
//! A group is the children of one parent scope, as for the token.

use std::future::{Future, ready};
use std::sync::Arc;
use std::time::Duration;

use cancel_harness::runtime::{AsyncStd, Runtime, Smol, TokioCurrentThread, TokioMultiThread};
use cancel_contract::{Error, Outcome};
use cancel_scope::CancelScope;

use crate::scenario::Strategy;
use crate::strategies::smol_executor;
use crate::work::{Marks, cooperative};

pub(crate) struct Scope;

/// Both tokio schedulers use the crate's `tokio` module.
macro_rules! on_tokio {
    ($($runtime:ty),*) => {$(
        impl Strategy<$runtime> for Scope {
            const NAME: &'static str = "scope";
            type Handle = cancel_scope::tokio::ScopeHandle<()>;
            type Group = CancelScope;
            fn group() -> Self::Group {
                CancelScope::new()
            }
            fn start_in(_rt: &<$runtime as Runtime>::Handle, group: &CancelScope, marks: Arc<Marks>) -> Self::Handle {
                cancel_scope::tokio::start_with(group.child(), |scope| cooperative(marks, scope.cancelled_owned()))
            }
            fn stop_group(group: &CancelScope, _handles: &[Self::Handle]) {
                group.cancel();
            }
            fn start(_rt: &<$runtime as Runtime>::Handle, marks: Arc<Marks>) -> Self::Handle {
                cancel_scope::tokio::start(|scope| cooperative(marks, scope.cancelled_owned()))
            }
            fn run_ready(_rt: &<$runtime as Runtime>::Handle, timeout: Duration)
                -> impl Future<Output = Result<Outcome<u64>, Error>> {
                cancel_scope::tokio::run_with_timeout(timeout, |_scope| ready(Some(7_u64)))
            }
            fn run_parked(_rt: &<$runtime as Runtime>::Handle, timeout: Duration, marks: Arc<Marks>)
                -> impl Future<Output = Result<Outcome<()>, Error>> {
                cancel_scope::tokio::run_with_timeout(timeout, |scope| {
                    cooperative(marks, scope.cancelled_owned())
                })
            }
        }

    )*};
}

on_tokio!(TokioCurrentThread, TokioMultiThread);

type AsyncStdRt = <AsyncStd as Runtime>::Handle;
type SmolRt = <Smol as Runtime>::Handle;

impl Strategy<AsyncStd> for Scope {
    const NAME: &'static str = "scope";
    type Handle = cancel_scope::async_std::ScopeHandle<()>;
    type Group = CancelScope;
    fn group() -> Self::Group {
        CancelScope::new()
    }
    fn start_in(_rt: &AsyncStdRt, group: &CancelScope, marks: Arc<Marks>) -> Self::Handle {
        cancel_scope::async_std::start_with(group.child(), |scope| {
            cooperative(marks, scope.cancelled_owned())
        })
    }
    fn stop_group(group: &CancelScope, _handles: &[Self::Handle]) {
        group.cancel();
    }
    fn start(_rt: &AsyncStdRt, marks: Arc<Marks>) -> Self::Handle {
        cancel_scope::async_std::start(|scope| cooperative(marks, scope.cancelled_owned()))
    }
    fn run_ready(
        _rt: &AsyncStdRt,
        timeout: Duration,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>> {
        cancel_scope::async_std::run_with_timeout(timeout, |_scope| ready(Some(7_u64)))
    }
    fn run_parked(
        _rt: &AsyncStdRt,
        timeout: Duration,
        marks: Arc<Marks>,
    ) -> impl Future<Output = Result<Outcome<()>, Error>> {
        cancel_scope::async_std::run_with_timeout(timeout, |scope| {
            cooperative(marks, scope.cancelled_owned())
        })
    }
}

impl Strategy<Smol> for Scope {
    const NAME: &'static str = "scope";
    type Handle = cancel_scope::smol::ScopeHandle<()>;
    type Group = CancelScope;
    fn group() -> Self::Group {
        CancelScope::new()
    }
    fn start_in(rt: &SmolRt, group: &CancelScope, marks: Arc<Marks>) -> Self::Handle {
        cancel_scope::smol::start_with(&smol_executor(rt), group.child(), |scope| {
            cooperative(marks, scope.cancelled_owned())
        })
    }
    fn stop_group(group: &CancelScope, _handles: &[Self::Handle]) {
        group.cancel();
    }
    fn start(rt: &SmolRt, marks: Arc<Marks>) -> Self::Handle {
        cancel_scope::smol::start(&smol_executor(rt), |scope| {
            cooperative(marks, scope.cancelled_owned())
        })
    }
    fn run_ready(
        _rt: &SmolRt,
        timeout: Duration,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>> {
        cancel_scope::smol::run_with_timeout(timeout, |_scope| ready(Some(7_u64)))
    }
    fn run_parked(
        _rt: &SmolRt,
        timeout: Duration,
        marks: Arc<Marks>,
    ) -> impl Future<Output = Result<Outcome<()>, Error>> {
        cancel_scope::smol::run_with_timeout(timeout, |scope| {
            cooperative(marks, scope.cancelled_owned())
        })
    }
}
