//! Handing the stop on: work started with `cancel_channel::tokio::start` gets
//! a `watch` receiver, and clones of it stop every task the work spawns.

use std::time::Duration;

use cancel_channel::tokio::{start, stopped};
use cancel_contract::Cancellation;

#[tokio::test(start_paused = true)]
async fn clones_of_the_receiver_stop_every_child_before_cancel_returns() {
    let (ended_tx, mut ended_rx) = tokio::sync::mpsc::unbounded_channel();
    let handle = start(move |mut stop| async move {
        let mut children = Vec::new();
        for i in 0..3 {
            let mut stop = stop.clone();
            let ended = ended_tx.clone();
            children.push(tokio::spawn(async move {
                stopped(&mut stop).await;
                let _ = ended.send(i);
            }));
        }
        stopped(&mut stop).await;
        // The children are part of the work: wait for them before returning.
        for child in children {
            let _ = child.await;
        }
        None::<()>
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(
        ended_rx.try_recv().is_err(),
        "nothing stops before the message"
    );
    assert_eq!(handle.cancel().await, Ok(Cancellation::Stopped));
    let mut ended: Vec<i32> = std::iter::from_fn(|| ended_rx.try_recv().ok()).collect();
    ended.sort_unstable();
    assert_eq!(ended, [0, 1, 2], "every child ended before cancel returned");
}
