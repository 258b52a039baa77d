//! Invariants I1–I8: every subject must hold each of them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cancel_contract::{CancelHandle, Cancellation, Cap, Error, Outcome};
use cancel_harness::probe::{DROP_PANIC_MESSAGE, live_bytes};
use cancel_harness::runtime::{Clock, Runtime, RuntimeHandle};

use super::{Checks, GRACE, LONG, Observation, PATIENCE, ms, probes, work};
use crate::script::{Script, Step, WORK_PANIC_MESSAGE};
use crate::{Subject, wait_until};

/// I1: output that exists before the stop takes effect is returned.
pub(crate) fn completed_wins<S: Subject<R>, R: Runtime>() -> Observation {
    // Real time: the spin below must really outlast the deadline.
    let rt = runtime!(Clock::Real);
    let h = rt.handle();
    let mut checks = Checks::default();
    rt.block_on(async {
        // The work never yields before it is done, so its output exists
        // before the timer can be noticed: it must not be thrown away.
        let (p, c) = probes();
        let script = Script::new([Step::Spin(ms(30))], 11);
        let r = S::run_with_timeout(&h, ms(5), work(script, &p, &c)).await;
        checks.add(
            r == Ok(Outcome::Completed(11)),
            format!("5 ms timeout on work that spins 30 ms, then returns 11: {r:?}"),
        );

        // A naive `abort(); return Stopped` loses this output.
        let (p, c) = probes();
        let handle = S::start(&h, work(Script::new([], 12), &p, &c));
        let done = wait_until(&h, PATIENCE, || {
            p.completed.is_set() && handle.is_finished()
        })
        .await;
        let r = handle.cancel().await;
        checks.add(
            done && r == Ok(Cancellation::Finished(12)),
            format!("cancel after the work returned 12: {r:?}"),
        );
    });
    checks.all_hold()
}

/// The deadlines I2 and I3 try.
const DEADLINES: [Duration; 3] = [ms(1), ms(7), ms(20)];

/// Runs sleeping work with each of [`DEADLINES`] and returns, per deadline,
/// the outcome and how long the timeout took on the runtime's clock.
fn time_timeouts<S: Subject<R>, R: Runtime>(
    rt: &R,
) -> Vec<(Duration, Result<Outcome<u64>, Error>, Duration)> {
    let h = rt.handle();
    rt.block_on(async {
        let mut runs = Vec::new();
        for d in DEADLINES {
            let (p, c) = probes();
            let start = h.now();
            let r =
                S::run_with_timeout(&h, d, work(Script::new([Step::Sleep(LONG)], 0), &p, &c)).await;
            runs.push((d, r, h.now().duration_since(start)));
        }
        runs
    })
}

/// I2: a timeout is never reported before the deadline.
pub(crate) fn never_early<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Virtual);
    let mut checks = Checks::default();
    for (d, r, took) in time_timeouts::<S, R>(&rt) {
        checks.add(
            r == Ok(Outcome::TimedOut) && took >= d,
            format!("deadline {d:?}: {r:?} after {took:?}"),
        );
    }
    checks.all_hold()
}

/// I3: for work that yields, the timeout comes within deadline + slack.
pub(crate) fn bounded_lateness<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Virtual);
    // Virtual time has no scheduling noise: allow one timer tick. Real time on
    // a small, loaded machine: a wide margin; the figure is in the detail.
    let slack = if rt.is_virtual_time() { ms(2) } else { ms(250) };
    let mut checks = Checks::default();
    let mut worst = Duration::ZERO;
    for (d, r, took) in time_timeouts::<S, R>(&rt) {
        let late = took.saturating_sub(d);
        worst = worst.max(late);
        checks.add(
            r == Ok(Outcome::TimedOut) && late <= slack,
            format!("deadline {d:?}: late by {late:?}"),
        );
    }
    let clock = if rt.is_virtual_time() {
        "virtual"
    } else {
        "real"
    };
    checks.add(
        true,
        format!("worst {worst:?} against a slack of {slack:?} ({clock} time)"),
    );
    let mut observation = checks.all_hold();
    observation.lateness = Some(crate::Lateness {
        worst_ns: u64::try_from(worst.as_nanos()).unwrap_or(u64::MAX),
        bound_ns: u64::try_from(slack.as_nanos()).unwrap_or(u64::MAX),
        clock,
    });
    observation
}

/// I4: when run-with-timeout or cancel returns, the work's Drop has run, and
/// its async cleanup too where the subject declares it can.
pub(crate) fn stopped_before_return<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Virtual);
    let h = rt.handle();
    let cleanup = S::CAPABILITIES.async_cleanup == Cap::Yes;
    let script = || Script::new([Step::Sleep(LONG)], 0).with_cleanup(ms(5));
    let mut checks = Checks::default();
    rt.block_on(async {
        let (p, c) = probes();
        let r = S::run_with_timeout(&h, ms(10), work(script(), &p, &c)).await;
        let (dropped, cleaned) = (p.dropped.is_set(), p.cleanup_done.is_set());
        let after = polled_after_return(&h, &p).await;
        checks.add(
            r == Ok(Outcome::TimedOut) && dropped && p.alive() == 0 && (cleaned || !cleanup)
                && after == 0,
            format!("timeout: {r:?}, dropped {dropped}, cleanup done {cleaned}, polled {after} times after"),
        );

        let (p, c) = probes();
        let handle = S::start(&h, work(script(), &p, &c));
        let started = wait_until(&h, PATIENCE, || p.started.is_set()).await;
        let r = handle.cancel().await;
        let (dropped, cleaned) = (p.dropped.is_set(), p.cleanup_done.is_set());
        let after = polled_after_return(&h, &p).await;
        checks.add(
            started
                && r == Ok(Cancellation::Stopped)
                && dropped
                && p.alive() == 0
                && (cleaned || !cleanup)
                && after == 0,
            format!("cancel: {r:?}, dropped {dropped}, cleanup done {cleaned}, polled {after} times after"),
        );
    });
    if cleanup {
        checks.add(true, "async cleanup declared, so it was required");
    }
    checks.all_hold()
}

/// How many times the work was polled in the 50 ms after the stop was
/// reported: "never polled again" (I4) means zero.
async fn polled_after_return<H: RuntimeHandle>(rt: &H, p: &cancel_harness::probe::Probe) -> u64 {
    let at_return = p.polls();
    rt.sleep(ms(50)).await;
    p.polls() - at_return
}

/// I5: repeated stops, a cancel after completion, and dropping the handle
/// after a stop are all harmless.
pub(crate) fn idempotent<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Virtual);
    let h = rt.handle();
    let mut checks = Checks::default();
    rt.block_on(async {
        let (p, c) = probes();
        let handle = S::start(&h, work(Script::new([Step::Sleep(LONG)], 0), &p, &c));
        let started = wait_until(&h, PATIENCE, || p.started.is_set()).await;
        handle.request_stop();
        handle.request_stop();
        let r = handle.cancel().await;
        checks.add(
            started && r == Ok(Cancellation::Stopped),
            format!("stop, stop, cancel: {r:?}"),
        );

        let (p, c) = probes();
        let handle = S::start(&h, work(Script::new([], 5), &p, &c));
        let finished = wait_until(&h, PATIENCE, || handle.is_finished()).await;
        handle.request_stop();
        let r = handle.cancel().await;
        checks.add(
            finished && r == Ok(Cancellation::Finished(5)),
            format!("finish, stop, cancel: {r:?}"),
        );

        let (p, c) = probes();
        let handle = S::start(&h, work(Script::new([Step::Sleep(LONG)], 0), &p, &c));
        let started = wait_until(&h, PATIENCE, || p.started.is_set()).await;
        handle.request_stop();
        drop(handle);
        let stopped = wait_until(&h, PATIENCE, || p.dropped.is_set()).await;
        checks.add(
            started && stopped,
            format!("stop, then drop the handle: work stopped {stopped}"),
        );
    });
    checks.all_hold()
}

/// How many start → cancel cycles I6 runs unless told otherwise
/// ([`set_leak_cycles`](crate::set_leak_cycles)).
pub(crate) const LEAK_CYCLES: usize = 10_000;
/// The cycles I6 runs now.
pub(crate) static LEAK_CYCLES_NOW: AtomicUsize = AtomicUsize::new(LEAK_CYCLES);
/// How many of those cycles also run a zero timeout. Fewer: on tokio even a
/// zero timeout waits for the next 1 ms timer tick, and the point here is
/// the leak, not the wait.
const TIMEOUT_EVERY: usize = 50;
/// Cycles run first, so pools and caches reach their steady size.
const WARM_UP_CYCLES: usize = 500;
/// How much live heap may grow over [`LEAK_CYCLES`] and still count as "back
/// where it was": runtimes keep some caches. A leak of even 32 bytes a cycle
/// is 312 KiB, above this bound.
pub(crate) const MEMORY_SLACK: i64 = 256 * 1024;

/// I6: after many cycles no work and no task is alive and memory is back.
pub(crate) fn no_leaks<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Real);
    let h = rt.handle();
    let (p, c) = probes();
    let cycles = |n: usize| {
        let (h, p, c) = (&h, &p, &c);
        async move {
            let mut unexpected = Vec::new();
            for i in 0..n {
                let handle = S::start(h, work(Script::new([Step::Sleep(LONG)], 0), p, c));
                let r = handle.cancel().await;
                if r.is_err() {
                    unexpected.push(format!("cancel: {r:?}"));
                }
                if i % TIMEOUT_EVERY == 0 {
                    let w = work(Script::new([Step::Sleep(LONG)], 0), p, c);
                    let r = S::run_with_timeout(h, Duration::ZERO, w).await;
                    if r != Ok(Outcome::TimedOut) {
                        unexpected.push(format!("zero timeout: {r:?}"));
                    }
                }
            }
            unexpected
        }
    };
    let mut unexpected = rt.block_on(cycles(WARM_UP_CYCLES));
    let before = live_bytes();
    let leak_cycles = LEAK_CYCLES_NOW.load(Ordering::Relaxed);
    unexpected.extend(rt.block_on(cycles(leak_cycles)));
    let after = live_bytes();
    // A task that has just returned its output can still be on the runtime's
    // books for a moment (tokio's multi-thread workers remove it after waking
    // the joiner): give the count a grace period to settle, then require zero.
    rt.block_on(wait_until(&h, GRACE, || {
        rt.alive_tasks().is_none_or(|n| n == 0)
    }));
    let tasks = rt.alive_tasks();

    let mut checks = Checks::default();
    checks.add(
        unexpected.is_empty(),
        format!(
            "{leak_cycles} start → cancel cycles and {} zero timeouts, {} unexpected results{}",
            leak_cycles / TIMEOUT_EVERY,
            unexpected.len(),
            unexpected
                .first()
                .map(|u| format!(", first: {u}"))
                .unwrap_or_default()
        ),
    );
    checks.add(
        p.alive() == 0,
        format!("works alive afterwards: {}", p.alive()),
    );
    match tasks {
        Some(n) => checks.add(n == 0, format!("runtime tasks alive: {n}")),
        None => checks.add(true, "the runtime does not count its tasks"),
    }
    match (before, after) {
        (Some(before), Some(after)) => checks.add(
            after - before <= MEMORY_SLACK,
            format!(
                "live heap {before} → {after} bytes, grew by {} (bound {MEMORY_SLACK})",
                after - before
            ),
        ),
        _ => {
            return Observation::failed(
                "memory not measured: the counting allocator is not the global allocator",
            );
        }
    }
    checks.all_hold()
}

/// I7: a panic in the work or in its cleanup comes back as an error.
pub(crate) fn panics_surface<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Virtual);
    let h = rt.handle();
    let forced = S::CAPABILITIES.drop_runs_on_force == Cap::Yes;
    let mut checks = Checks::default();
    rt.block_on(async {
        let (p, c) = probes();
        let r = S::run_with_timeout(&h, LONG, work(Script::new([Step::Panic], 0), &p, &c)).await;
        checks.add(
            work_panicked(&r),
            format!("work panics under a timeout: {r:?}"),
        );

        let (p, c) = probes();
        let handle = S::start(&h, work(Script::new([Step::Panic], 0), &p, &c));
        let r = handle.join().await;
        checks.add(work_panicked(&r), format!("started work panics: {r:?}"));

        let (p, c) = probes();
        let script = Script::new([Step::Sleep(LONG)], 0).panicking_on_drop();
        let r = S::run_with_timeout(&h, ms(5), work(script, &p, &c)).await;
        checks.add(
            cleanup_panicked(&r, forced),
            format!("Drop panics on timeout: {r:?}"),
        );

        let (p, c) = probes();
        let script = Script::new([Step::Sleep(LONG)], 0).panicking_on_drop();
        let handle = S::start(&h, work(script, &p, &c));
        let started = wait_until(&h, PATIENCE, || p.started.is_set()).await;
        let r = handle.cancel().await;
        checks.add(
            started && cleanup_panicked(&r, forced),
            format!("Drop panics on cancel: {r:?}"),
        );
    });
    checks.all_hold()
}

fn work_panicked<T>(r: &Result<T, Error>) -> bool {
    matches!(r, Err(Error::WorkPanicked(m)) if m == WORK_PANIC_MESSAGE)
}

/// A panicking Drop during a stop. Where the stop is forced (the work is
/// dropped from outside) it must be a cleanup panic; work that hears the stop
/// ends on its own and drops its state as it returns, so there it is a panic
/// of the work itself.
fn cleanup_panicked<T>(r: &Result<T, Error>, forced: bool) -> bool {
    match r {
        Err(Error::CleanupPanicked(m)) => m == DROP_PANIC_MESSAGE,
        Err(Error::WorkPanicked(m)) => !forced && m == DROP_PANIC_MESSAGE,
        _ => false,
    }
}

/// I8: `Duration::ZERO` polls the work once (ready work completes, other
/// work times out at once); `Duration::MAX` never times out. Neither panics.
pub(crate) fn edge_durations<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Virtual);
    let h = rt.handle();
    let mut checks = Checks::default();
    rt.block_on(async {
        let (p, c) = probes();
        let r = S::run_with_timeout(&h, Duration::ZERO, work(Script::new([], 3), &p, &c)).await;
        checks.add(
            r == Ok(Outcome::Completed(3)),
            format!("ZERO, ready work: {r:?}"),
        );

        let (p, c) = probes();
        let start = h.now();
        let script = Script::new([Step::Sleep(LONG)], 0);
        let r = S::run_with_timeout(&h, Duration::ZERO, work(script, &p, &c)).await;
        let took = h.now().duration_since(start);
        // At once: within one timer tick on virtual time, a wide margin on real time.
        let bound = if rt.is_virtual_time() { ms(2) } else { ms(250) };
        checks.add(
            r == Ok(Outcome::TimedOut) && p.dropped.is_set() && took <= bound,
            format!("ZERO, sleeping work: {r:?} after {took:?} (bound {bound:?})"),
        );

        let (p, c) = probes();
        let script = Script::new([Step::Yield, Step::Sleep(ms(5)), Step::Yield], 4);
        let r = S::run_with_timeout(&h, Duration::MAX, work(script, &p, &c)).await;
        checks.add(
            r == Ok(Outcome::Completed(4)),
            format!("MAX, work of 5 ms: {r:?}"),
        );
    });
    checks.all_hold()
}
