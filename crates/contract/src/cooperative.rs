//! The shared core of cooperative strategies (stop messages, tokens, flags):
//! the work is *asked* to stop and then waited for, and it says how it ended.
//!
//! Cooperative work returns `Option<T>`: `Some(output)` when it finished and
//! `None` when it stopped because it was asked to, the shape of tokio-util's
//! `CancellationToken::run_until_cancelled`.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use crate::{Cancellation, Error, Outcome, run_slot};

/// Runs cooperative `work` until `deadline` completes (with any output: a
/// runtime's sleep or timer as it is); then calls `stop` and keeps running
/// the work until it ends, however long it takes.
///
/// `Some(v)` is [`Outcome::Completed`] even after the deadline (the output
/// exists, so it wins: invariant I1); `None` after the stop is
/// [`Outcome::TimedOut`]. A panic in the work is [`Error::WorkPanicked`].
///
/// ```
/// use std::future::ready;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
/// use cancel_contract::{Outcome, cooperative::run_cooperative};
///
/// // The deadline has passed, but the output is there: it wins.
/// let run = pin!(run_cooperative(ready(Some(7)), ready(()), || {}));
/// let polled = run.poll(&mut Context::from_waker(Waker::noop()));
/// assert_eq!(polled, Poll::Ready(Ok(Outcome::Completed(7))));
/// ```
///
/// # Cancel safety
///
/// Dropping the returned future drops the work where it stands, without
/// asking it to stop first: call `stop` yourself if the work shares a signal
/// with other tasks.
pub async fn run_cooperative<F, T, D>(
    work: F,
    deadline: D,
    stop: impl FnOnce(),
) -> Result<Outcome<T>, Error>
where
    F: Future<Output = Option<T>>,
    D: Future,
{
    let mut slot = pin!(Some(work));
    let mut run = pin!(run_slot(slot.as_mut()));
    let mut deadline = pin!(deadline);
    // Poll the work before the deadline, so output ready at the deadline wins (I1).
    let early = std::future::poll_fn(|cx| match run.as_mut().poll(cx) {
        Poll::Ready(result) => Poll::Ready(Some(result)),
        Poll::Pending => deadline.as_mut().poll(cx).map(|_| None),
    })
    .await;
    let (result, asked) = match early {
        Some(result) => (result, false),
        None => {
            stop();
            // The work was only asked: wait until it has actually stopped (I4).
            (run.await, true)
        }
    };
    settle(result, asked).map(Outcome::from)
}

/// Turns how cooperative work ended into the contract's cancel result.
///
/// `asked` says whether the work had been asked to stop. Work that returns
/// `None` without being asked has neither an output nor a reason to stop:
/// that is reported as [`Error::Lost`].
pub fn settle<T>(ended: Result<Option<T>, Error>, asked: bool) -> Result<Cancellation<T>, Error> {
    match ended? {
        Some(v) => Ok(Cancellation::Finished(v)),
        None if asked => Ok(Cancellation::Stopped),
        None => Err(Error::Lost(
            "the work returned no output though it was not asked to stop".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::future::{pending, ready};
    use std::task::{Context, Waker};

    fn poll_once<F: Future>(f: F) -> Poll<F::Output> {
        pin!(f).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn output_before_the_deadline_completes_without_a_stop() {
        let stopped = Cell::new(false);
        let r = poll_once(run_cooperative(ready(Some(1)), pending::<()>(), || {
            stopped.set(true)
        }));
        assert_eq!(r, Poll::Ready(Ok(Outcome::Completed(1))));
        assert!(!stopped.get());
    }

    #[test]
    fn a_passed_deadline_asks_and_waits() {
        let stopped = Cell::new(false);
        let work = std::future::poll_fn(|_| {
            if stopped.get() {
                Poll::Ready(None::<u8>)
            } else {
                Poll::Pending
            }
        });
        let r = poll_once(run_cooperative(work, ready(()), || stopped.set(true)));
        assert_eq!(r, Poll::Ready(Ok(Outcome::TimedOut)));
        assert!(stopped.get());
    }

    #[test]
    fn settle_reports_an_unasked_none_as_lost() {
        assert_eq!(settle(Ok(Some(2)), true), Ok(Cancellation::Finished(2)));
        assert_eq!(settle::<u8>(Ok(None), true), Ok(Cancellation::Stopped));
        assert!(matches!(settle::<u8>(Ok(None), false), Err(Error::Lost(_))));
    }
}
