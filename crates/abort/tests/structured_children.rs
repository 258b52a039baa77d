//! Stopping a task's children with it, on tokio.
//!
//! A child started with `tokio::spawn` is detached from its parent: aborting
//! the parent leaves it running, which is why `stops_children` is "no". The
//! structured way is for the parent to *own* its children: a `JoinSet` aborts
//! every task in it when it is dropped, and so does tokio-util's
//! `AbortOnDropHandle` for one task. Aborting the parent drops what it owns,
//! and with it, its children.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use cancel_contract::Cancellation;
use cancel_harness::probe::Probe;
use tokio::task::JoinSet;
use tokio_util::task::AbortOnDropHandle;

/// A child that holds its probe's guard until it is stopped.
fn child(probe: &Arc<Probe>) -> impl Future<Output = ()> + Send + 'static {
    let guard = probe.guard();
    let probe = Arc::clone(probe);
    async move {
        let _guard = guard;
        probe.started.set();
        std::future::pending::<()>().await;
    }
}

/// `true` if `cond` holds within a second of (paused, auto-advancing) time.
async fn within_a_second(cond: impl Fn() -> bool) -> bool {
    let waited = tokio::time::timeout(Duration::from_secs(1), async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    waited.await.is_ok()
}

/// Starts `parent`, waits until its child runs, aborts the parent, and says
/// whether the child was stopped too.
async fn abort_parent_and_watch_child(
    parent: impl Future<Output = ()> + Send + 'static,
    child: &Probe,
) -> bool {
    let parent = cancel_abort::tokio::start(parent);
    assert!(within_a_second(|| child.started.is_set()).await);
    assert_eq!(parent.cancel().await, Ok(Cancellation::Stopped));
    within_a_second(|| child.dropped.is_set()).await
}

#[tokio::test(start_paused = true)]
async fn a_spawned_child_outlives_its_aborted_parent() {
    let probe = Probe::new();
    let c = child(&probe);
    let parent = async move {
        // Detached: the parent does not own it.
        drop(tokio::spawn(c));
        std::future::pending::<()>().await
    };
    assert!(!abort_parent_and_watch_child(parent, &probe).await);
}

#[tokio::test(start_paused = true)]
async fn a_join_set_stops_its_children_with_their_parent() {
    let probe = Probe::new();
    let c = child(&probe);
    let parent = async move {
        let mut children = JoinSet::new();
        children.spawn(c);
        // Dropping the set when the parent is aborted aborts every child.
        std::future::pending::<()>().await
    };
    assert!(abort_parent_and_watch_child(parent, &probe).await);
}

#[tokio::test(start_paused = true)]
async fn an_abort_on_drop_handle_stops_its_child_with_the_parent() {
    let probe = Probe::new();
    let c = child(&probe);
    let parent = async move {
        // Dropping this handle when the parent is aborted aborts the child.
        let _child = AbortOnDropHandle::new(tokio::spawn(c));
        std::future::pending::<()>().await
    };
    assert!(abort_parent_and_watch_child(parent, &probe).await);
}
