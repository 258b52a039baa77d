//! The structured way to stop the tasks a piece of work spawns: hand each a
//! child token and track them with tokio-util's `TaskTracker`, so cancelling
//! the work stops every child and `cancel` returns only after all have ended.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cancel_contract::Cancellation;
use tokio_util::task::TaskTracker;

#[tokio::test(start_paused = true)]
async fn child_tokens_and_a_tracker_stop_and_await_every_child() {
    let ended = Arc::new(AtomicUsize::new(0));
    let children_ended = Arc::clone(&ended);
    let handle = cancel_token::tokio::start(move |token| async move {
        let tracker = TaskTracker::new();
        for _ in 0..3 {
            // A child token is cancelled with its parent, never the reverse.
            let child = token.child_token();
            let ended = Arc::clone(&children_ended);
            tracker.spawn(async move {
                child.cancelled().await;
                ended.fetch_add(1, Ordering::SeqCst);
            });
        }
        tracker.close();
        token.cancelled().await;
        // Wait for the children before returning: they are part of the work.
        tracker.wait().await;
        None::<()>
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(
        ended.load(Ordering::SeqCst),
        0,
        "nothing stops before the cancel"
    );
    assert_eq!(handle.cancel().await, Ok(Cancellation::Stopped));
    assert_eq!(
        ended.load(Ordering::SeqCst),
        3,
        "every child ended before cancel returned"
    );
}

#[tokio::test(start_paused = true)]
async fn a_child_spawned_without_a_token_outlives_the_cancel() {
    let ended = Arc::new(AtomicUsize::new(0));
    let child_ended = Arc::clone(&ended);
    let handle = cancel_token::tokio::start(move |token| async move {
        // The mistake: a detached task that was handed nothing.
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(60)).await;
            child_ended.fetch_add(1, Ordering::SeqCst);
        });
        token.cancelled().await;
        None::<()>
    });
    tokio::task::yield_now().await;
    assert_eq!(handle.cancel().await, Ok(Cancellation::Stopped));
    assert_eq!(
        ended.load(Ordering::SeqCst),
        0,
        "the child is still sleeping"
    );
    tokio::time::sleep(Duration::from_secs(61)).await;
    assert_eq!(
        ended.load(Ordering::SeqCst),
        1,
        "and finishes on its own, long after"
    );
}
