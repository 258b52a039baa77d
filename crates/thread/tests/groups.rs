//! One signal to a group: blocking tasks started with `start_with` on clones
//! of one `StopFlag` all stop when it is set once, on every runtime.

use cancel_contract::Cancellation;
use cancel_thread::StopFlag;

/// Blocking work that checks its flag until it is set.
fn until_stopped(flag: &StopFlag) -> Option<()> {
    while !flag.is_stopped() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_one_flag_stops_every_task() {
    let flag = StopFlag::new();
    let handles: Vec<_> = (0..3)
        .map(|_| cancel_thread::tokio::start_with(flag.clone(), until_stopped))
        .collect();
    flag.stop();
    for handle in handles {
        assert_eq!(handle.join().await, Ok(Cancellation::Stopped));
    }
}

#[test]
fn async_std_one_flag_stops_every_task() {
    async_std::task::block_on(async {
        let flag = StopFlag::new();
        let handles: Vec<_> = (0..3)
            .map(|_| cancel_thread::async_std::start_with(flag.clone(), until_stopped))
            .collect();
        flag.stop();
        for handle in handles {
            assert_eq!(handle.join().await, Ok(Cancellation::Stopped));
        }
    });
}

#[test]
fn smol_one_flag_stops_every_task() {
    async_io::block_on(async {
        let flag = StopFlag::new();
        let handles: Vec<_> = (0..3)
            .map(|_| cancel_thread::smol::start_with(flag.clone(), until_stopped))
            .collect();
        flag.stop();
        for handle in handles {
            assert_eq!(handle.join().await, Ok(Cancellation::Stopped));
        }
    });
}

#[test]
fn std_threads_one_flag_stops_every_thread() {
    let flag = StopFlag::new();
    let handles: Vec<_> = (0..3)
        .map(|_| cancel_thread::std_thread::start_with(flag.clone(), until_stopped))
        .collect();
    flag.stop();
    for handle in handles {
        assert_eq!(handle.join(), Ok(Cancellation::Stopped));
    }
}
