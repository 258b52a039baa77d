//! One signal to a group: tasks started with `start_with` on child scopes of
//! one parent all stop when the parent is cancelled, on every runtime, while
//! a handle's own `request_stop` stops only its task.
#![cfg(not(loom))]

use cancel_contract::Cancellation;
use cancel_scope::CancelScope;

/// Work that waits for its scope and then reports that it stopped.
async fn until_cancelled(scope: CancelScope) -> Option<()> {
    scope.cancelled().await;
    None
}

#[tokio::test(start_paused = true)]
async fn tokio_one_parent_cancel_stops_every_child_task() {
    let parent = CancelScope::new();
    // More tasks than one wake-up chunk, so the woken tasks wake the rest.
    let handles: Vec<_> = (0..300)
        .map(|_| cancel_scope::tokio::start_with(parent.child(), until_cancelled))
        .collect();
    tokio::task::yield_now().await;
    assert!(
        handles.iter().all(|h| !h.is_finished()),
        "nothing stops before the cancel"
    );
    parent.cancel();
    for handle in handles {
        assert_eq!(handle.join().await, Ok(Cancellation::Stopped));
    }
}

#[tokio::test(start_paused = true)]
async fn tokio_a_handle_on_a_child_scope_stops_only_its_task() {
    let parent = CancelScope::new();
    let one = cancel_scope::tokio::start_with(parent.child(), until_cancelled);
    let other = cancel_scope::tokio::start_with(parent.child(), until_cancelled);
    assert_eq!(one.cancel().await, Ok(Cancellation::Stopped));
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    assert!(!other.is_finished(), "the sibling runs on");
    assert!(!parent.is_cancelled());
    assert_eq!(other.cancel().await, Ok(Cancellation::Stopped));
}

#[test]
fn async_std_one_parent_cancel_stops_every_child_task() {
    async_std::task::block_on(async {
        let parent = CancelScope::new();
        let handles: Vec<_> = (0..300)
            .map(|_| cancel_scope::async_std::start_with(parent.child(), until_cancelled))
            .collect();
        parent.cancel();
        for handle in handles {
            assert_eq!(handle.join().await, Ok(Cancellation::Stopped));
        }
    });
}

#[test]
fn smol_one_parent_cancel_stops_every_child_task() {
    let ex = async_executor::Executor::new();
    async_io::block_on(ex.run(async {
        let parent = CancelScope::new();
        let handles: Vec<_> = (0..300)
            .map(|_| cancel_scope::smol::start_with(&ex, parent.child(), until_cancelled))
            .collect();
        parent.cancel();
        for handle in handles {
            assert_eq!(handle.join().await, Ok(Cancellation::Stopped));
        }
    }));
}
