//! The work as async-std and smol tasks run it.
//!
//! Both runtimes build their tasks on `async-task`, which has two traits a
//! forced stop must work around:
//!
//! - it drops a cancelled task's future inside `abort_on_panic`: a panicking
//!   `Drop` aborts the whole process (`tests/smol_drop_panic.rs` and
//!   `tests/async_std_drop_panic.rs` watch it happen in a child process);
//! - it drops the output of a task that completes while a cancel is pending,
//!   and `cancel` then returns `None`, as if the work had been stopped.
//!
//! So the task runs [`Guarded`] work: it catches the panics of the work's
//! polls and of its `Drop`, and keeps how the work ended (its output, a
//! panic, or "stopped") beside the task, where [`Watch`] reads it once the
//! work is gone.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use async_channel::{Receiver, Sender};
use cancel_contract::{Cancellation, Error, Outcome, drop_slot, run_slot};

/// How the work ended, once it has.
type Ended<T> = Arc<Mutex<Option<Result<Cancellation<T>, Error>>>>;

/// The work, wrapped for a task: its panics are caught and how it ended is
/// kept in a slot the task does not own.
pub(crate) struct Guarded<F: Future> {
    // Boxed, so it can be dropped on its own, inside `catch_unwind`.
    work: Option<Pin<Box<F>>>,
    ended: Ended<F::Output>,
    // Dropped at the first poll: the channel closing says "polled once".
    started: Option<Sender<()>>,
    // Dropped after the work: the channel closing says "gone".
    _gone: Sender<()>,
}

/// What the spawner keeps: it learns when the work started and ended, and how.
#[derive(Debug)]
pub(crate) struct Watch<T> {
    ended: Ended<T>,
    started: Receiver<()>,
    gone: Receiver<()>,
}

/// Wraps `work` for a task, and returns what watches it.
pub(crate) fn guard<F: Future>(work: F) -> (Guarded<F>, Watch<F::Output>) {
    let ended = Arc::new(Mutex::new(None));
    // Nothing is ever sent on these channels: closing them is the message.
    let (started_tx, started) = async_channel::bounded(1);
    let (gone_tx, gone) = async_channel::bounded(1);
    let guarded = Guarded {
        work: Some(Box::pin(work)),
        ended: Arc::clone(&ended),
        started: Some(started_tx),
        _gone: gone_tx,
    };
    (
        guarded,
        Watch {
            ended,
            started,
            gone,
        },
    )
}

impl<F: Future> Guarded<F> {
    fn end(&self, how: Result<Cancellation<F::Output>, Error>) {
        // A poisoned lock only means a thread panicked while holding it; the slot is still valid.
        *self.ended.lock().unwrap_or_else(PoisonError::into_inner) = Some(how);
    }
}

impl<F: Future> Future for Guarded<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // `Guarded` is `Unpin`: the work is pinned in its own box.
        let this = self.get_mut();
        drop(this.started.take());
        // `run_slot` keeps nothing between polls, so a fresh one each poll is
        // the same future. It catches a panic of the poll (I7) and empties
        // the slot when the work is done.
        let polled = pin!(run_slot(Pin::new(&mut this.work))).poll(cx);
        match polled {
            Poll::Pending => Poll::Pending,
            Poll::Ready(result) => {
                // Kept here, the output survives a cancel that arrived while
                // this poll ran, which makes `async-task` drop the task's own output (I1).
                this.end(result.map(Cancellation::Finished));
                Poll::Ready(())
            }
        }
    }
}

impl<F: Future> Drop for Guarded<F> {
    fn drop(&mut self) {
        if self.work.is_some() {
            // Dropped before the work ended: the task was cancelled. Drop the
            // work here, inside `catch_unwind`, so a panicking Drop is reported
            // (I7) instead of reaching `async-task`'s `abort_on_panic`.
            let stopped = drop_slot(Pin::new(&mut self.work)).map(|()| Cancellation::Stopped);
            self.end(stopped);
        }
    }
}

impl<T> Watch<T> {
    /// Waits until the work has been polled once, or is gone unpolled.
    pub(crate) async fn started(&self) {
        // An error means "closed": that is the message.
        let _ = self.started.recv().await;
    }

    /// Waits until the work is gone: finished, or dropped by a cancel.
    pub(crate) async fn gone(&self) {
        // An error means "closed": that is the message.
        let _ = self.gone.recv().await;
    }

    /// `true` once the work is gone.
    pub(crate) fn is_gone(&self) -> bool {
        self.gone.is_closed()
    }

    /// How the work ended. Call it once the work is gone.
    pub(crate) fn ended(&self) -> Result<Cancellation<T>, Error> {
        self.ended
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| Err(Error::Lost("the task ended without a result".into())))
    }

    /// How the work ended, as the result of a timed run.
    pub(crate) fn timed(&self) -> Result<Outcome<T>, Error> {
        self.ended().map(Outcome::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cancel_harness::probe::{DROP_PANIC_MESSAGE, Probe};
    use std::task::Waker;

    fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_finished_work_leaves_its_output() {
        let (guarded, watch) = guard(async { 7 });
        let mut guarded = pin!(guarded);
        assert!(!watch.is_gone());
        assert_eq!(poll_once(guarded.as_mut()), Poll::Ready(()));
        assert_eq!(watch.ended(), Ok(Cancellation::Finished(7)));
    }

    #[test]
    fn a_work_dropped_unfinished_was_stopped_and_is_gone() {
        let probe = Probe::new();
        let guard_of_work = probe.guard();
        let (guarded, watch) = guard(async move {
            let _guard = guard_of_work;
            std::future::pending::<()>().await;
        });
        let mut guarded = Box::pin(guarded);
        assert!(poll_once(guarded.as_mut()).is_pending());
        drop(guarded);
        assert!(probe.dropped.is_set());
        assert!(watch.is_gone());
        assert_eq!(watch.ended(), Ok(Cancellation::Stopped));
    }

    #[test]
    fn a_panicking_drop_is_caught_even_before_the_first_poll() {
        let probe = Probe::new();
        let guard_of_work = probe.guard().panicking();
        let (guarded, watch) = guard(async move {
            let _guard = guard_of_work;
        });
        drop(guarded);
        assert_eq!(
            watch.ended(),
            Err(Error::CleanupPanicked(DROP_PANIC_MESSAGE.into()))
        );
    }

    fn boom() -> u8 {
        panic!("boom")
    }

    #[test]
    fn a_panicking_poll_is_a_work_panic() {
        let (guarded, watch) = guard(async { boom() });
        let mut guarded = pin!(guarded);
        assert_eq!(poll_once(guarded.as_mut()), Poll::Ready(()));
        assert_eq!(watch.ended(), Err(Error::WorkPanicked("boom".into())));
    }
}
