//! A `Drop` that panics while an async-std task is being cancelled.
//!
//! async-std runs its tasks as `async-task` tasks too (through
//! `async-global-executor`), so `JoinHandle::cancel` drops the future inside
//! `abort_on_panic`. The raw API is watched in a child process (this test
//! binary run again with a filter and an environment variable), so the test
//! run survives what happens. Then `cancel_abort::async_std` runs the same
//! work, reports the panic as `Error::CleanupPanicked`, and the process lives.

mod child;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use cancel_contract::{Error, Outcome};
use cancel_harness::probe::{DROP_PANIC_MESSAGE, Probe};

/// Work that parks forever and whose owned state panics when dropped.
fn panics_in_drop(probe: &Arc<Probe>) -> impl Future<Output = ()> + Send + 'static {
    let guard = probe.guard().panicking();
    let probe = Arc::clone(probe);
    async move {
        let _guard = guard;
        probe.started.set();
        std::future::pending::<()>().await;
    }
}

/// Waits until the work has been polled.
async fn started(probe: &Probe) {
    while !probe.started.is_set() {
        async_std::task::yield_now().await;
    }
}

#[test]
fn a_raw_cancel_with_a_panicking_drop_takes_the_process_down() {
    let output = child::run("raw_cancel_in_a_child");
    child::show("raw async-std JoinHandle::cancel, Drop panics", &output);
    child::assert_aborted_in_the_cancel(&output);
}

#[test]
#[ignore = "a helper: a_raw_cancel_with_a_panicking_drop_takes_the_process_down runs it in a child process"]
fn raw_cancel_in_a_child() {
    if !child::is_child() {
        return;
    }
    async_std::task::block_on(async {
        let probe = Probe::new();
        let task = async_std::task::spawn(panics_in_drop(&probe));
        started(&probe).await;
        println!("{}", child::BEFORE);
        task.cancel().await;
        println!("{}", child::AFTER);
    });
}

#[test]
fn cancel_abort_reports_the_panic_and_the_process_lives() {
    async_std::task::block_on(async {
        let probe = Probe::new();
        let handle = cancel_abort::async_std::start(panics_in_drop(&probe));
        started(&probe).await;
        let cancelled = handle.cancel().await;
        assert_eq!(
            cancelled,
            Err(Error::CleanupPanicked(DROP_PANIC_MESSAGE.into()))
        );
        assert!(probe.dropped.is_set());

        let probe = Probe::new();
        let timed: Result<Outcome<()>, Error> = cancel_abort::async_std::run_with_timeout(
            Duration::from_millis(5),
            panics_in_drop(&probe),
        )
        .await;
        assert_eq!(
            timed,
            Err(Error::CleanupPanicked(DROP_PANIC_MESSAGE.into()))
        );
    });
}
