//! The work every scenario starts: it says when it is parked at its wait
//! point, and timestamps its own `Drop`.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use cancel_harness::probe::Mark;
use cancel_harness::runtime::RuntimeHandle;
use cancel_thread::StopFlag;

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

/// Work stopped from outside (`select`, `abort`): it parks forever and is
/// dropped. The stamp is taken now, so work dropped before its first poll
/// is still seen to be dropped.
pub(crate) fn forced(marks: Arc<Marks>) -> impl Future<Output = ()> + Send + 'static {
    let stamp = DropStamp(Arc::clone(&marks));
    async move {
        let _stamp = stamp;
        parked(&marks, std::future::pending::<()>()).await;
    }
}

/// Cooperative work (`channel`, `token`): it parks on `stop` and, once it
/// completes, returns `None` ("stopped as asked"), dropping its state.
pub(crate) fn cooperative<S>(
    marks: Arc<Marks>,
    stop: S,
) -> impl Future<Output = Option<()>> + Send + 'static
where
    S: Future + Send + 'static,
{
    let stamp = DropStamp(Arc::clone(&marks));
    async move {
        let _stamp = stamp;
        parked(&marks, stop).await;
        None
    }
}

/// Blocking work (`thread`): checks its flag in a loop that yields the CPU
/// between checks, and returns `None` once it is set.
pub(crate) fn blocking(marks: Arc<Marks>) -> impl FnOnce(&StopFlag) -> Option<()> + Send + 'static {
    let stamp = DropStamp(Arc::clone(&marks));
    move |flag: &StopFlag| {
        let _stamp = stamp;
        marks.parked.fetch_add(1, Ordering::SeqCst);
        while !flag.is_stopped() {
            std::thread::yield_now();
        }
        None
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
