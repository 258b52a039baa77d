//! Never early, on every runtime: the same sleeps and timeouts awaited on
//! tokio (both schedulers), async-std and smol complete, each no sooner than
//! its deadline, and a timeout reports `Elapsed` only once it has passed.
//!
//! Real time: the assertions are lower bounds and an ordering, never an
//! upper bound on lateness (that is the lab's figure), and every wait is
//! bounded by the runtime's own timer.

use std::future::Future;
use std::time::{Duration, Instant};

use cancel_timer::{Elapsed, sleep, sleep_until, timeout};
use common::{bounded, runtime};

mod common;

/// Deadlines from 0 to 1 ms, in steps that do not line up with a tick.
fn deadlines() -> impl Iterator<Item = Duration> {
    (0..60).map(|i| Duration::from_micros(17 * i))
}

async fn never_early() {
    for d in deadlines() {
        let start = Instant::now();
        sleep(d).await;
        let took = start.elapsed();
        assert!(took >= d, "sleep({d:?}) came back after {took:?}");

        let start = Instant::now();
        let at = start + d;
        sleep_until(at).await;
        assert!(Instant::now() >= at, "sleep_until came back early");

        let start = Instant::now();
        let result = timeout(d, std::future::pending::<()>()).await;
        let took = start.elapsed();
        assert_eq!(result, Err(Elapsed));
        assert!(took >= d, "timeout({d:?}) elapsed after {took:?}");
    }
    // Ready work wins over a deadline that has passed.
    assert_eq!(timeout(Duration::ZERO, async { 7 }).await, Ok(7));
}

fn on_tokio(multi: bool, fut: impl Future<Output = ()> + Send + 'static) {
    runtime(multi).block_on(fut);
}

#[test]
fn never_early_on_tokio_current_thread() {
    bounded("tokio current-thread", || on_tokio(false, never_early()));
}

#[test]
fn never_early_on_tokio_multi_thread() {
    bounded("tokio multi-thread", || {
        on_tokio(true, async {
            // Inside a spawned task, so a worker thread polls it.
            tokio::spawn(never_early()).await.expect("no panic");
        });
    });
}

#[test]
fn never_early_on_async_std() {
    bounded("async-std", || {
        async_std::task::block_on(async_std::task::spawn(never_early()));
    });
}

#[test]
fn never_early_on_smol() {
    bounded("smol", || {
        let ex = async_executor::Executor::new();
        async_io::block_on(ex.run(ex.spawn(never_early())));
    });
}

#[test]
fn a_paused_tokio_clock_does_not_move_a_real_deadline() {
    bounded("tokio paused", || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a runtime");
        rt.block_on(async {
            let start = Instant::now();
            // tokio's paused clock jumps the hour at once, while ours waits
            // its 5 ms of real time: the tokio sleep wins.
            let ours = timeout(
                Duration::from_millis(5),
                tokio::time::sleep(Duration::from_secs(3600)),
            );
            assert_eq!(ours.await, Ok(()));
            // And ours, alone, takes its real 5 ms whatever tokio's clock says.
            sleep(Duration::from_millis(5)).await;
            assert!(start.elapsed() >= Duration::from_millis(5));
        });
    });
}

#[test]
fn concurrent_deadlines_fire_in_order_and_none_early() {
    bounded("tokio multi-thread, 1 000 at once", || {
        on_tokio(true, async {
            let start = Instant::now();
            let tasks: Vec<_> = (0..1_000_u32)
                .map(|i| {
                    let at = start + Duration::from_micros(u64::from(i % 100) * 200 + 1_000);
                    tokio::spawn(async move {
                        sleep_until(at).await;
                        (at, Instant::now())
                    })
                })
                .collect();
            for task in tasks {
                let (at, woke) = task.await.expect("no panic");
                assert!(woke >= at, "woke {:?} early", at.duration_since(woke));
            }
        });
    });
}
