//! Work any strategy can run, in whichever form its strategy takes.
//!
//! A strategy's adapter ([`Subject`](crate::Subject)) is written once,
//! generic over [`Play`]: it hands the work the stop its strategy has and
//! calls the strategy crate's own function. The suite plays a [`Work`]
//! (a script with probes); the benches play their own small work that only
//! parks and timestamps its `Drop`. Both are monomorphised into the
//! strategy's call, so nothing interprets a script inside a timed interval.

use std::future::Future;

use cancel_harness::runtime::RuntimeHandle;

use crate::script::{Work, perform, perform_blocking, perform_until};

/// Work in the three forms the strategies take.
pub trait Play: Send + 'static {
    /// What the work returns when it finishes.
    type Output: Send + 'static;

    /// The work as a future that never looks at a stop: the form of the
    /// strategies that stop work from outside, by dropping it.
    fn forced<H: RuntimeHandle>(self, rt: H)
    -> impl Future<Output = Self::Output> + Send + 'static;

    /// The work as a future that listens to `stop`: it returns `None` once
    /// `stop` completed (after its cleanup), `Some(output)` when it finished.
    /// `child`, if given, makes what the work hands a child task it spawns;
    /// it is called only then, so work that spawns nothing costs nothing.
    fn until<H, S, K, C>(
        self,
        rt: H,
        stop: S,
        child: Option<K>,
    ) -> impl Future<Output = Option<Self::Output>> + Send + 'static
    where
        H: RuntimeHandle,
        S: Future<Output = ()> + Send + 'static,
        K: FnOnce() -> C + Send + 'static,
        C: Future<Output = ()> + Send + 'static;

    /// The work as blocking code on the calling thread, checking `stop`
    /// (a clone goes to any child thread it starts), or registering a hook
    /// on it where the code blocks in a call that cannot check.
    fn blocking<S: Stop>(self, stop: S) -> Option<Self::Output>;
}

/// The stop blocking work is handed: a flag to check, and hooks for calls
/// that cannot check (a query, a socket read, a wait on a child), which the
/// stop runs to make them return.
pub trait Stop: Clone + Send + Sync + 'static {
    /// Unregisters its hook when dropped.
    type Hook: Send;

    /// `true` once a stop was requested.
    fn is_stopped(&self) -> bool;

    /// Runs `hook` once when a stop is requested (at once if it already
    /// was); dropping the returned guard first unregisters it.
    fn on_stop<H: FnOnce() + Send + 'static>(&self, hook: H) -> Self::Hook;
}

impl Play for Work {
    type Output = u64;

    fn forced<H: RuntimeHandle>(self, rt: H) -> impl Future<Output = u64> + Send + 'static {
        perform(rt, self)
    }

    fn until<H, S, K, C>(
        self,
        rt: H,
        stop: S,
        child: Option<K>,
    ) -> impl Future<Output = Option<u64>> + Send + 'static
    where
        H: RuntimeHandle,
        S: Future<Output = ()> + Send + 'static,
        K: FnOnce() -> C + Send + 'static,
        C: Future<Output = ()> + Send + 'static,
    {
        perform_until(rt, self, stop, child)
    }

    fn blocking<S: Stop>(self, stop: S) -> Option<u64> {
        perform_blocking(self, stop)
    }
}
