//! The work every scenario starts: it says when it is parked at its wait
//! point, and timestamps its own `Drop`.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use cancel_conformance::{Play, Stop};
use cancel_harness::probe::Mark;
use cancel_harness::runtime::RuntimeHandle;

/// What a batch of work reports to the canceller. One is shared by every
/// task of a batch, so a task costs no allocation of its own for it.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    /// How many tasks have returned `Pending` at their wait point (or, for
    /// blocking work, entered their checking loop).
    parked: AtomicUsize,
    /// How many tasks have been dropped.
    dropped: AtomicUsize,
    /// When the first task was dropped: the single task of a latency sample.
    first_drop: Mark,
}

impl Marks {
    pub(crate) fn new() -> Arc<Marks> {
        Arc::new(Marks::default())
    }

    pub(crate) fn parked(&self) -> usize {
        self.parked.load(Ordering::SeqCst)
    }

    pub(crate) fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }

    /// How long after `t0` the first task was dropped.
    ///
    /// # Panics
    ///
    /// Panics if no task was dropped: the strategy did not stop its work.
    pub(crate) fn dropped_since(&self, t0: Instant) -> Duration {
        let at = self
            .first_drop
            .at()
            .expect("the work's Drop ran before its stop was confirmed");
        at.saturating_duration_since(t0)
    }
}

/// Owned by the work: its `Drop` is the work's `Drop`, and timestamps it.
#[derive(Debug)]
struct DropStamp(Arc<Marks>);

impl Drop for DropStamp {
    fn drop(&mut self) {
        self.0.first_drop.set();
        self.0.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls `fut`, and the first time it returns `Pending` (its waker is then
/// registered: the work is parked) counts it as parked on `marks`.
async fn parked<F: Future>(marks: &Marks, fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut told = false;
    std::future::poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Pending => {
            if !told {
                told = true;
                marks.parked.fetch_add(1, Ordering::SeqCst);
            }
            Poll::Pending
        }
        ready => ready,
    })
    .await
}

/// Work that parks until it is stopped, in every strategy's form, and
/// counts itself on a shared [`Marks`]. The stamp is taken when the work is
/// made, so work dropped before its first poll is still seen to be dropped.
pub(crate) struct Parked(pub(crate) Arc<Marks>);

impl Play for Parked {
    type Output = ();

    /// Stopped from outside (`select`, `abort`): it parks forever and is dropped.
    fn forced<H: RuntimeHandle>(self, _rt: H) -> impl Future<Output = ()> + Send + 'static {
        let marks = self.0;
        let stamp = DropStamp(Arc::clone(&marks));
        async move {
            let _stamp = stamp;
            parked(&marks, std::future::pending::<()>()).await;
        }
    }

    /// Cooperative (`channel`, `token`, `scope`): it parks on `stop` and,
    /// once it completes, returns `None` ("stopped as asked"). It spawns no
    /// child, so `child` is never called.
    fn until<H, S, K, C>(
        self,
        _rt: H,
        stop: S,
        _child: Option<K>,
    ) -> impl Future<Output = Option<()>> + Send + 'static
    where
        H: RuntimeHandle,
        S: Future<Output = ()> + Send + 'static,
        K: FnOnce() -> C + Send + 'static,
        C: Future<Output = ()> + Send + 'static,
    {
        let marks = self.0;
        let stamp = DropStamp(Arc::clone(&marks));
        async move {
            let _stamp = stamp;
            parked(&marks, stop).await;
            None
        }
    }

    /// Blocking (`thread`): checks its flag in a loop that yields the CPU
    /// between checks, and returns `None` once it is set.
    fn blocking<S: Stop>(self, stop: S) -> Option<()> {
        self.yield_until(|| stop.is_stopped());
        None
    }
}

impl Parked {
    /// Blocking work that checks `is_stopped` in a loop that yields the CPU
    /// between checks: the strategies' blocking work, and the floor's.
    pub(crate) fn yield_until(self, is_stopped: impl Fn() -> bool) {
        let marks = self.0;
        let _stamp = DropStamp(Arc::clone(&marks));
        marks.parked.fetch_add(1, Ordering::SeqCst);
        while !is_stopped() {
            std::thread::yield_now();
        }
    }

    /// Blocking work that spins on `is_stopped` without yielding, holding its
    /// core: a floor's cheapest way to see a flag (the strategies' blocking
    /// work yields between checks, [`Play::blocking`]).
    pub(crate) fn spin_until(self, is_stopped: impl Fn() -> bool) {
        let marks = self.0;
        let _stamp = DropStamp(Arc::clone(&marks));
        marks.parked.fetch_add(1, Ordering::SeqCst);
        while !is_stopped() {
            std::hint::spin_loop();
        }
    }
}

/// Work that is done at once with `7`, in every strategy's form: what
/// `wrap_overhead` wraps.
pub(crate) struct Ready;

impl Play for Ready {
    type Output = u64;

    fn forced<H: RuntimeHandle>(self, _rt: H) -> impl Future<Output = u64> + Send + 'static {
        std::future::ready(7)
    }

    fn until<H, S, K, C>(
        self,
        _rt: H,
        _stop: S,
        _child: Option<K>,
    ) -> impl Future<Output = Option<u64>> + Send + 'static
    where
        H: RuntimeHandle,
        S: Future<Output = ()> + Send + 'static,
        K: FnOnce() -> C + Send + 'static,
        C: Future<Output = ()> + Send + 'static,
    {
        std::future::ready(Some(7))
    }

    fn blocking<S: Stop>(self, _stop: S) -> Option<u64> {
        Some(7)
    }
}

/// Yields to the runtime until `n` tasks of `marks` are parked, then lets
/// the threads involved fall asleep for [`SETTLE`](crate::SETTLE).
pub(crate) async fn until_parked<H: RuntimeHandle>(rt: &H, marks: &Marks, n: usize) {
    while marks.parked() < n {
        rt.yield_now().await;
    }
    crate::spin_for(crate::SETTLE);
}
