//! A `Drop` that panics while a smol task is being cancelled.
//!
//! smol's tasks are `async-task` tasks, which drop a cancelled future inside
//! `abort_on_panic`: with the raw API, the panic aborts the whole process.
//! That is watched here in a child process (this test binary run again with
//! a filter and an environment variable), so the test run survives it. Then
//! `cancel_abort::smol` runs the same work, reports the panic as
//! `Error::CleanupPanicked`, and the process lives.

mod child;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_executor::Executor;
use cancel_contract::{Error, Outcome};
use cancel_harness::probe::{DROP_PANIC_MESSAGE, Probe};
use futures_lite::future::{block_on, yield_now};

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

#[test]
fn a_raw_cancel_with_a_panicking_drop_takes_the_process_down() {
    let output = child::run("raw_cancel_in_a_child");
    child::show("raw smol Task::cancel, Drop panics", &output);
    child::assert_aborted_in_the_cancel(&output);
}

#[test]
#[ignore = "a helper: a_raw_cancel_with_a_panicking_drop_takes_the_process_down runs it in a child process"]
fn raw_cancel_in_a_child() {
    if !child::is_child() {
        return;
    }
    let ex = Executor::new();
    let probe = Probe::new();
    let task = ex.spawn(panics_in_drop(&probe));
    block_on(ex.run(async {
        while !probe.started.is_set() {
            yield_now().await;
        }
        println!("{}", child::BEFORE);
        task.cancel().await;
        println!("{}", child::AFTER);
    }));
}

#[test]
fn cancel_abort_reports_the_panic_and_the_process_lives() {
    let ex = Executor::new();
    block_on(ex.run(async {
        let probe = Probe::new();
        let handle = cancel_abort::smol::start(&ex, panics_in_drop(&probe));
        while !probe.started.is_set() {
            yield_now().await;
        }
        let cancelled = handle.cancel().await;
        assert_eq!(
            cancelled,
            Err(Error::CleanupPanicked(DROP_PANIC_MESSAGE.into()))
        );
        assert!(probe.dropped.is_set());

        let probe = Probe::new();
        let timed: Result<Outcome<()>, Error> = cancel_abort::smol::run_with_timeout(
            &ex,
            Duration::from_millis(5),
            panics_in_drop(&probe),
        )
        .await;
        assert_eq!(
            timed,
            Err(Error::CleanupPanicked(DROP_PANIC_MESSAGE.into()))
        );
    }));
}
