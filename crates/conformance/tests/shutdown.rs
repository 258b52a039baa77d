//! Shutdown with work in flight: each runtime is dropped while work of every
//! strategy is mid-cancel, and what happens to that work is observed and
//! held to what the runtime documents.
//!
//! Before the drop, on each strategy × runtime: [`GROUP`] pieces of work
//! that sleep for an hour have been asked to stop and, where the strategy
//! has async cleanup, are inside a [`CLEANUP`]-long cleanup; [`GROUP`] more
//! are running, 1 s from their end, never asked. Then the runtime value is
//! dropped. What each runtime documents, and this test requires:
//!
//! | runtime | async work (tasks) | work on blocking threads (`thread`) |
//! |---|---|---|
//! | tokio, both schedulers | dropped at its next `.await` before the drop returns: `Drop` runs, cleanup is cut short, nothing completes | the drop waits for it (up to the adapter's 10 s `shutdown_timeout`): cleanup finishes, running work completes |
//! | smol | the executor's drop drops every task: as tokio | the blocking pool is global and lives on: it ends on its own |
//! | async-std | the runtime is global and lives on: stopped work finishes its cleanup, running work completes | as async-std's tasks |
//!
//! Everywhere: the drop returns within [`DROP_LIMIT`]; each handle's
//! `cancel`, awaited afterwards outside any runtime, returns within the
//! test's limit with `Stopped`, `Finished` for work that did complete, or
//! `Error::Lost` for work the runtime dropped — never a hang or a panic; and
//! in the end no work is alive.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cancel_conformance::{Script, Step, Subject, Work, matrix_tests};
use cancel_contract::{CancelHandle, Cancellation, Cap, Error};
use cancel_harness::probe::Probe;
use cancel_harness::runtime::{Clock, Runtime, RuntimeHandle, RuntimeKind};
use common::bounded;

/// Pieces of work in each group.
const GROUP: usize = 6;
/// The async cleanup of work asked to stop: long enough to be cut short.
const CLEANUP: Duration = Duration::from_secs(1);
/// How long running work still has to go when the runtime is dropped.
const RUNNING: Duration = Duration::from_secs(1);
/// What running work returns.
const OUTPUT: u64 = 7;
/// The drop must return within this: the tokio adapters give blocking
/// closures 10 s, the others do not wait.
const DROP_LIMIT: Duration = Duration::from_secs(12);
/// How long work that lives on may take to end after the drop.
const AFTERWARDS: Duration = Duration::from_secs(5);
/// The whole test.
const LIMIT: Duration = Duration::from_secs(60);

/// What becomes of work in flight when the runtime value is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtDrop {
    /// Dropped before the drop returns, wherever it stands.
    Dropped,
    /// Waited for: it ends its own way before the drop returns.
    Awaited,
    /// Not touched: it ends its own way afterwards.
    LivesOn,
}

/// The documented fate of `S`'s work on `R` (see the table above).
fn at_drop<S: Subject<R>, R: Runtime>() -> AtDrop {
    match (R::KIND, S::ON_BLOCKING_THREADS) {
        (RuntimeKind::TokioCurrentThread | RuntimeKind::TokioMultiThread, false) => AtDrop::Dropped,
        (RuntimeKind::TokioCurrentThread | RuntimeKind::TokioMultiThread, true) => AtDrop::Awaited,
        (RuntimeKind::Smol, false) => AtDrop::Dropped,
        (RuntimeKind::Smol, true) | (RuntimeKind::AsyncStd, _) => AtDrop::LivesOn,
    }
}

/// Waits on the calling thread until `cond` holds, for at most `limit`.
fn wait_for(limit: Duration, cond: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

fn shutdown<S: Subject<R>, R: Runtime>() {
    let what = format!("{} on {}", S::NAME, R::KIND);
    let fate = at_drop::<S, R>();
    let cleanup = S::CAPABILITIES.async_cleanup == Cap::Yes;
    let report = bounded(&what.clone(), LIMIT, move || {
        let mut failures = Vec::new();
        let rt: R = R::build(Clock::Real).expect("the runtime builds");
        let h = rt.handle();
        let child = Probe::new();
        let (stopping, running) = rt.block_on(async {
            let start = |script: Script| {
                let p = Probe::new();
                let handle = S::start(&h, Work::new(script, &p, &child));
                (p, handle)
            };
            let stopping: Vec<_> = (0..GROUP)
                .map(|_| {
                    start(
                        Script::new([Step::Sleep(Duration::from_secs(3600))], 0)
                            .with_cleanup(CLEANUP),
                    )
                })
                .collect();
            let running: Vec<_> = (0..GROUP)
                .map(|_| start(Script::new([Step::Sleep(RUNNING)], OUTPUT)))
                .collect();
            let all_started = || {
                stopping
                    .iter()
                    .chain(&running)
                    .all(|(p, _)| p.started.is_set())
            };
            let t0 = h.now();
            while !all_started() && h.now().duration_since(t0) < Duration::from_secs(10) {
                h.sleep(Duration::from_millis(1)).await;
            }
            for (_, handle) in &stopping {
                handle.request_stop();
            }
            // Mid-cancel: work with async cleanup is inside it.
            let t0 = h.now();
            while cleanup
                && !stopping.iter().all(|(p, _)| p.cleanup_started.is_set())
                && h.now().duration_since(t0) < Duration::from_secs(10)
            {
                h.sleep(Duration::from_millis(1)).await;
            }
            (stopping, running)
        });
        if cleanup && !stopping.iter().all(|(p, _)| p.cleanup_started.is_set()) {
            failures.push("the stopped work never began its cleanup".to_owned());
        }

        let dropped_at = Instant::now();
        // The point of the test: the runtime goes away with all this in flight.
        drop(rt);
        let drop_took = dropped_at.elapsed();
        let count = |group: &[(Arc<Probe>, S::Handle<u64>)], f: &dyn Fn(&Probe) -> bool| {
            group.iter().filter(|(p, _)| f(p)).count()
        };
        let alive = |p: &Probe| p.alive() != 0;
        let cleaned = |p: &Probe| p.cleanup_done.is_set();
        let completed = |p: &Probe| p.completed.is_set();
        let seen = format!(
            "drop took {drop_took:?}; right after it: stopping {} alive, {} cleaned up; running {} alive, {} completed",
            count(&stopping, &alive),
            count(&stopping, &cleaned),
            count(&running, &alive),
            count(&running, &completed),
        );
        if drop_took > DROP_LIMIT {
            failures.push(format!("the drop took {drop_took:?}"));
        }
        match fate {
            AtDrop::Dropped => {
                if count(&stopping, &alive) + count(&running, &alive) != 0 {
                    failures.push("work outlived the runtime's drop".to_owned());
                }
                if count(&stopping, &cleaned) != 0 {
                    failures.push(
                        "an async cleanup finished after the runtime was dropped mid-way"
                            .to_owned(),
                    );
                }
                if count(&running, &completed) != 0 {
                    failures
                        .push("running work completed although its runtime was dropped".to_owned());
                }
            }
            AtDrop::Awaited => {
                if count(&stopping, &alive) + count(&running, &alive) != 0 {
                    failures.push("the drop returned before its blocking work ended".to_owned());
                }
                if cleanup && count(&stopping, &cleaned) != GROUP {
                    failures.push("the drop did not wait for the cleanups".to_owned());
                }
                if count(&running, &completed) != GROUP {
                    failures.push("the drop did not wait for running work to complete".to_owned());
                }
            }
            AtDrop::LivesOn => {
                let ended = wait_for(AFTERWARDS, || {
                    stopping.iter().all(|(p, _)| !alive(p))
                        && running.iter().all(|(p, _)| completed(p))
                });
                if !ended {
                    failures.push("work that lives on never ended its own way".to_owned());
                }
                if cleanup && count(&stopping, &cleaned) != GROUP {
                    failures.push("work that lives on did not finish its cleanup".to_owned());
                }
            }
        }

        // Cancel everything afterwards, outside any runtime.
        let mut results = Vec::new();
        for (group, (p, handle)) in stopping
            .into_iter()
            .map(|w| ("stopping", w))
            .chain(running.into_iter().map(|w| ("running", w)))
        {
            let r = futures_lite::future::block_on(handle.cancel());
            let fine = match &r {
                Ok(Cancellation::Stopped) | Err(Error::Lost(_)) => !p.completed.is_set(),
                Ok(Cancellation::Finished(v)) => *v == OUTPUT && p.completed.is_set(),
                Err(_) => false,
            };
            if !fine {
                failures.push(format!(
                    "{group} work: cancel after the drop returned {r:?}"
                ));
            }
            results.push(r);
        }
        if !wait_for(AFTERWARDS, || child.alive() == 0) {
            failures.push("a child outlived everything".to_owned());
        }
        let lost = results
            .iter()
            .filter(|r| matches!(r, Err(Error::Lost(_))))
            .count();
        let finished = results
            .iter()
            .filter(|r| matches!(r, Ok(Cancellation::Finished(_))))
            .count();
        (
            failures,
            format!("{seen}; cancels afterwards: {lost} lost, {finished} finished"),
        )
    });
    let (failures, seen) = report;
    // Shown with `--nocapture`.
    println!("{what} ({fate:?}): {seen}");
    assert!(
        failures.is_empty(),
        "{what} ({fate:?}): {}; {seen}",
        failures.join("; ")
    );
}

matrix_tests!(shutdown);

/// Work spawned through a runtime handle after its runtime was dropped is
/// not leaked: it is dropped, or (async-std's global runtime lives on) run
/// to its end.
fn spawn_after_drop<R: Runtime>() {
    let rt = R::build(Clock::Real).expect("the runtime builds");
    let h = rt.handle();
    drop(rt);
    let p = Probe::new();
    let guard = p.guard();
    h.spawn_detached(async move {
        let _guard = guard;
    });
    assert!(
        wait_for(AFTERWARDS, || p.alive() == 0),
        "{}: work spawned after the drop is still alive",
        R::KIND
    );
}

#[test]
fn spawn_after_drop_leaks_nothing() {
    use cancel_harness::runtime::{AsyncStd, Smol, TokioCurrentThread, TokioMultiThread};
    bounded("spawn after drop", LIMIT, || {
        spawn_after_drop::<TokioCurrentThread>();
        spawn_after_drop::<TokioMultiThread>();
        spawn_after_drop::<AsyncStd>();
        spawn_after_drop::<Smol>();
    });
}
