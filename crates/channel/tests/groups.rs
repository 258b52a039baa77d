//! One signal to a group: tasks started with `start_with` on one shared
//! channel all stop when it says stop once, on every runtime; dropping one
//! handle of the group stops nobody else.

use std::time::Duration;

use cancel_channel::tokio::stopped;
use cancel_contract::Cancellation;

#[tokio::test(start_paused = true)]
async fn tokio_one_stop_stops_every_task_and_a_dropped_handle_stops_none() {
    let stop = cancel_channel::tokio::StopChannel::new();
    let work = |mut rx| async move {
        stopped(&mut rx).await;
        None::<()>
    };
    let dropped = cancel_channel::tokio::start_with(stop.clone(), work);
    let handles: Vec<_> = (0..3)
        .map(|_| cancel_channel::tokio::start_with(stop.clone(), work))
        .collect();
    drop(dropped);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(
        handles.iter().all(|h| !h.is_finished()),
        "the group runs on"
    );
    stop.stop();
    assert!(
        handles.iter().all(|h| h.signal().is_stopped()),
        "every handle holds the one channel"
    );
    for handle in handles {
        assert_eq!(handle.join().await, Ok(Cancellation::Stopped));
    }
}

#[test]
fn async_std_one_stop_stops_every_task() {
    async_std::task::block_on(async {
        let stop = cancel_channel::async_std::StopChannel::new();
        let handles: Vec<_> = (0..3)
            .map(|_| {
                cancel_channel::async_std::start_with(stop.clone(), |rx| async move {
                    let _ = rx.recv().await;
                    None::<()>
                })
            })
            .collect();
        stop.stop();
        for handle in handles {
            assert_eq!(handle.join().await, Ok(Cancellation::Stopped));
        }
    });
}

#[test]
fn smol_one_stop_stops_every_task_and_a_dropped_handle_stops_none() {
    let ex = async_executor::Executor::new();
    futures_lite::future::block_on(ex.run(async {
        let stop = cancel_channel::smol::StopChannel::new();
        let work = |rx: async_channel::Receiver<()>| async move {
            let _ = rx.recv().await;
            None::<()>
        };
        let dropped = cancel_channel::smol::start_with(&ex, stop.clone(), work);
        let handles: Vec<_> = (0..3)
            .map(|_| cancel_channel::smol::start_with(&ex, stop.clone(), work))
            .collect();
        drop(dropped);
        async_io::Timer::after(Duration::from_millis(10)).await;
        assert!(
            !stop.is_stopped(),
            "dropping one handle left the channel open"
        );
        assert!(
            handles.iter().all(|h| !h.is_finished()),
            "the group runs on"
        );
        stop.stop();
        for handle in handles {
            assert_eq!(handle.join().await, Ok(Cancellation::Stopped));
        }
    }));
}
