//! Work held in a pinned `Option` slot: polled with panics caught, and
//! dropped exactly when the strategy decides, with a panicking `Drop` caught.
//!
//! Drop-on-select strategies need both: the work must be dropped *before* the
//! timeout is reported (invariant I4), and a panic in its `Drop` must come
//! back as an error (invariant I7). Holding the work in `pin!(Some(work))`
//! gives both without a heap allocation.
//!
//! ```
//! use std::pin::pin;
//! use cancel_contract::{drop_slot, run_slot};
//!
//! # futures_lite_block_on(async {
//! let mut slot = pin!(Some(async { 1 + 1 }));
//! assert_eq!(run_slot(slot.as_mut()).await, Ok(2));
//! assert!(slot.is_none()); // a finished future is dropped at once
//! assert_eq!(drop_slot(slot.as_mut()), Ok(())); // dropping an empty slot is harmless
//! # });
//! # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut f = std::pin::pin!(f);
//! #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
//! # }
//! ```

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::Poll;

use crate::{Error, panic_message};

/// Runs the work in `slot` to completion, turning a panic into
/// [`Error::WorkPanicked`].
///
/// When the work is ready or has panicked, the slot is emptied at once, so
/// what is left of the work is dropped before this returns. An empty slot
/// never completes.
///
/// # Cancel safety
///
/// Dropping this future leaves the work in the slot, untouched: call
/// [`drop_slot`] to drop it, or poll it again later.
pub async fn run_slot<F: Future>(mut slot: Pin<&mut Option<F>>) -> Result<F::Output, Error> {
    std::future::poll_fn(move |cx| {
        let Some(work) = slot.as_mut().as_pin_mut() else {
            return Poll::Pending;
        };
        // AssertUnwindSafe: after a panic the work is dropped, never polled again.
        let result = match catch_unwind(AssertUnwindSafe(|| work.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(v)) => Ok(v),
            Err(payload) => Err(Error::WorkPanicked(panic_message(&*payload))),
        };
        // The work is done: drop its remains now. They were already torn down
        // by the completion or the unwind, so a second panic is not news.
        let _ = drop_slot(slot.as_mut());
        Poll::Ready(result)
    })
    .await
}

/// Runs `work` to completion with its panics caught: the body of a spawned
/// task whose strategy reports panics as [`Error::WorkPanicked`] on every
/// runtime alike, instead of each runtime's own way.
///
/// # Cancel safety
///
/// Dropping the returned future drops `work`.
pub async fn catch_panics<F: Future>(work: F) -> Result<F::Output, Error> {
    let mut slot = std::pin::pin!(Some(work));
    run_slot(slot.as_mut()).await
}

/// Drops the work in `slot` now, turning a panic in its `Drop` into
/// [`Error::CleanupPanicked`]. The slot is empty afterwards, even after a panic.
pub fn drop_slot<F>(mut slot: Pin<&mut Option<F>>) -> Result<(), Error> {
    // `Pin::set` drops the old value in place; the language guarantees the
    // slot holds `None` afterwards even if that drop unwinds.
    catch_unwind(AssertUnwindSafe(|| slot.set(None)))
        .map_err(|payload| Error::CleanupPanicked(panic_message(&*payload)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Waker};

    const DROP_PANIC_MESSAGE: &str = "panic in Drop";

    /// Owned by the work: says when it was dropped, and may panic then.
    struct Guard {
        dropped: Arc<AtomicBool>,
        panics: bool,
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            self.dropped.store(true, Ordering::SeqCst);
            if self.panics {
                panic!("{DROP_PANIC_MESSAGE}");
            }
        }
    }

    fn guard(panics: bool) -> (Guard, Arc<AtomicBool>) {
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = Guard {
            dropped: Arc::clone(&dropped),
            panics,
        };
        (guard, dropped)
    }

    fn poll_once<F: Future>(f: Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn a_panic_while_polling_is_an_error_and_empties_the_slot() {
        let (guard, dropped) = guard(false);
        let mut slot = pin!(Some(async move {
            let _guard = guard;
            panic!("boom");
        }));
        let polled = poll_once(pin!(run_slot(slot.as_mut())));
        assert_eq!(
            polled,
            Poll::Ready(Err::<(), _>(Error::WorkPanicked("boom".into())))
        );
        assert!(slot.is_none());
        assert!(dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn a_panicking_drop_is_a_cleanup_error_and_empties_the_slot() {
        let (guard, dropped) = guard(true);
        let mut slot = pin!(Some(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }));
        assert!(poll_once(pin!(run_slot(slot.as_mut()))).is_pending());
        assert_eq!(
            drop_slot(slot.as_mut()),
            Err(Error::CleanupPanicked(DROP_PANIC_MESSAGE.into()))
        );
        assert!(slot.is_none());
        assert!(dropped.load(Ordering::SeqCst));
    }
}
