//! A scope's deadline cancels it on every runtime, because it needs none:
//! the same `with_timeout` awaited on tokio (both schedulers), async-std and
//! smol fires, never before its deadline, with `DeadlineExceeded`.
//!
//! Real time (the timer thread knows no runtime's clock), with a short
//! deadline and a generous bound on how long the test may wait.
#![cfg(not(loom))]

use std::time::{Duration, Instant};

use cancel_scope::CancelScope;

const DEADLINE: Duration = Duration::from_millis(20);
const LIMIT: Duration = Duration::from_secs(10);

/// Awaits a fresh scope's deadline; returns how long it took.
async fn wait_for_deadline() -> Duration {
    let start = Instant::now();
    let scope = CancelScope::new().with_timeout(DEADLINE);
    scope.cancelled().await;
    assert!(scope.cause().is_some_and(|c| c.is_deadline_exceeded()));
    start.elapsed()
}

fn check(took: Duration) {
    assert!(took >= DEADLINE, "never early: {took:?}");
    assert!(took < LIMIT, "fired: {took:?}");
}

#[test]
fn on_tokio_current_thread() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    check(rt.block_on(async {
        tokio::time::timeout(LIMIT, wait_for_deadline())
            .await
            .expect("within the limit")
    }));
}

#[test]
fn on_tokio_multi_thread() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a runtime");
    check(rt.block_on(async {
        tokio::time::timeout(LIMIT, wait_for_deadline())
            .await
            .expect("within the limit")
    }));
}

#[test]
fn on_async_std() {
    check(async_std::task::block_on(async {
        async_std::future::timeout(LIMIT, wait_for_deadline())
            .await
            .expect("within the limit")
    }));
}

#[test]
fn on_smol() {
    use futures_lite::FutureExt as _;
    let ex = async_executor::Executor::new();
    let limit = async {
        async_io::Timer::after(LIMIT).await;
        panic!("the deadline did not fire within {LIMIT:?}");
    };
    check(async_io::block_on(ex.run(wait_for_deadline().or(limit))));
}

#[test]
fn on_a_paused_tokio_clock_the_deadline_is_still_real_time() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    // Paused time does not move a scope's deadline: it fires in real time.
    check(rt.block_on(wait_for_deadline()));
}
