//! A `Drop` that panics after the raw `Abortable` has been aborted, in an
//! async-std task and in a smol task.
//!
//! An abort does not drop the work: the `Abortable` completes with
//! `Err(Aborted)` and still owns it. Both runtimes run `async-task` tasks,
//! which drop a finished future inside `abort_on_panic`, so with the raw API
//! a panicking `Drop` aborts the whole process although no task was
//! cancelled. That is watched in a child process (this test binary run again
//! with a filter and an environment variable), so the test run survives it.
//! `cancel_abortable` drops the work itself, from a slot beside the
//! `Abortable`, reports the panic as `Error::CleanupPanicked`, and the
//! process lives.

use std::future::{Future, pending};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_executor::Executor;
use cancel_abortable::{Cancellation, Error};
use futures_util::future::abortable;

/// Printed by the child just before the abort.
const BEFORE: &str = "child: aborting the work";
/// Printed only if the child lived through the end of the aborted task.
const AFTER: &str = "child: the aborted task ended";
/// What the work's `Drop` panics with.
const DROP_PANIC: &str = "the work's Drop panicked";

/// Panics when dropped.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{DROP_PANIC}");
    }
}

/// Work that says it started, parks forever, and panics when dropped.
fn panics_in_drop(started: &Arc<AtomicBool>) -> impl Future<Output = ()> + Send + 'static {
    let started = Arc::clone(started);
    async move {
        let _panics = PanicOnDrop;
        started.store(true, Ordering::SeqCst);
        pending::<()>().await;
    }
}

/// Waits, with a wide margin, until the work has started.
async fn until_started(started: &AtomicBool) {
    for _ in 0..10_000 {
        if started.load(Ordering::SeqCst) {
            return;
        }
        async_io::Timer::after(Duration::from_millis(1)).await;
    }
    panic!("the work did not start in time");
}

/// Asserts that the child reached the abort and was killed by a process
/// abort (SIGABRT) before the aborted task could end.
fn assert_aborted_after_the_abort(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("the child ended with {}; it printed:", output.status);
    // Leave out backtraces: the panic messages are the finding.
    let is_frame = |line: &str| {
        let line = line.trim_start();
        line.starts_with("at ")
            || line == "stack backtrace:"
            || line
                .split_once(':')
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
    };
    for line in stdout.lines().chain(stderr.lines()) {
        if !line.trim().is_empty() && !is_frame(line) {
            println!("  child | {line}");
        }
    }
    assert!(stdout.contains(BEFORE), "the child reached the abort");
    assert!(!stdout.contains(AFTER), "the aborted task never ended");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(output.status.signal(), Some(6), "killed by SIGABRT");
    }
    #[cfg(not(unix))]
    assert!(!output.status.success());
}

#[test]
fn a_raw_abortable_smol_task_with_a_panicking_drop_takes_the_process_down() {
    assert_aborted_after_the_abort(&cancel_harness::child::run("raw_smol_in_a_child"));
}

#[test]
#[ignore = "a helper: a_raw_abortable_smol_task_with_a_panicking_drop_takes_the_process_down runs it in a child process"]
fn raw_smol_in_a_child() {
    if !cancel_harness::child::is_child() {
        return;
    }
    let ex = Executor::new();
    let started = Arc::new(AtomicBool::new(false));
    let (work, abort) = abortable(panics_in_drop(&started));
    let task = ex.spawn(work);
    async_io::block_on(ex.run(async {
        until_started(&started).await;
        println!("{BEFORE}");
        // The Abortable completes with Err(Aborted); async-task then drops it,
        // and the work inside it, within abort_on_panic.
        abort.abort();
        let _ = task.await;
        println!("{AFTER}");
    }));
}

#[test]
fn a_raw_abortable_async_std_task_with_a_panicking_drop_takes_the_process_down() {
    assert_aborted_after_the_abort(&cancel_harness::child::run("raw_async_std_in_a_child"));
}

#[test]
#[ignore = "a helper: a_raw_abortable_async_std_task_with_a_panicking_drop_takes_the_process_down runs it in a child process"]
fn raw_async_std_in_a_child() {
    if !cancel_harness::child::is_child() {
        return;
    }
    let started = Arc::new(AtomicBool::new(false));
    let (work, abort) = abortable(panics_in_drop(&started));
    let task = async_std::task::spawn(work);
    async_std::task::block_on(async {
        until_started(&started).await;
        println!("{BEFORE}");
        // As on smol: the finished Abortable is dropped within abort_on_panic.
        abort.abort();
        let _ = task.await;
        println!("{AFTER}");
    });
}

#[test]
fn cancel_abortable_reports_the_panic_and_the_process_lives() {
    let started = Arc::new(AtomicBool::new(false));
    let ex = Executor::new();
    let handle = cancel_abortable::smol::start(&ex, panics_in_drop(&started));
    let cancelled: Result<Cancellation<()>, Error> = async_io::block_on(ex.run(async {
        until_started(&started).await;
        handle.cancel().await
    }));
    assert_eq!(cancelled, Err(Error::CleanupPanicked(DROP_PANIC.into())));

    let started = Arc::new(AtomicBool::new(false));
    let handle = cancel_abortable::async_std::start(panics_in_drop(&started));
    let cancelled = async_std::task::block_on(async {
        until_started(&started).await;
        handle.cancel().await
    });
    assert_eq!(cancelled, Err(Error::CleanupPanicked(DROP_PANIC.into())));
}
