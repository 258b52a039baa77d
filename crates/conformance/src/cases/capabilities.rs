//! The seven capabilities, observed. Each function answers its question by
//! running work; `run_case` compares the answer with the declaration.

use cancel_contract::{CancelHandle, Cancellation, Capability, Outcome};
use cancel_harness::runtime::{Clock, Runtime, RuntimeHandle};

use super::{GRACE, LONG, Observation, PATIENCE, ms, probes, work};
use crate::script::{Script, Step};
use crate::{Subject, wait_until};

/// The observing function for one capability.
pub(crate) fn capability_fn<S: Subject<R>, R: Runtime>(c: Capability) -> fn() -> Observation {
    match c {
        Capability::AsyncCleanup => async_cleanup::<S, R>,
        Capability::StopsChildren => stops_children::<S, R>,
        Capability::StopsCpuBound => stops_cpu_bound::<S, R>,
        Capability::StopsBlocking => stops_blocking::<S, R>,
        Capability::CancelOnHandleDrop => cancel_on_handle_drop::<S, R>,
        Capability::NeedsCooperation => needs_cooperation::<S, R>,
        Capability::DropRunsOnForce => drop_runs_on_force::<S, R>,
    }
}

/// Can the work still `.await` a cleanup after it is told to stop? Observed:
/// the cleanup (a 5 ms sleep) has finished when `cancel` returns.
fn async_cleanup<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Virtual);
    let h = rt.handle();
    rt.block_on(async {
        let (p, c) = probes();
        let script = Script::new([Step::Sleep(LONG)], 0).with_cleanup(ms(5));
        let handle = S::start(&h, work(script, &p, &c));
        if !wait_until(&h, PATIENCE, || p.started.is_set()).await {
            return Observation::failed("the work never started");
        }
        let r = handle.cancel().await;
        let (began, done) = (p.cleanup_started.is_set(), p.cleanup_done.is_set());
        Observation::new(
            r.is_ok() && done,
            format!("cancel: {r:?}; cleanup began {began}, finished {done} before cancel returned"),
        )
    })
}

/// Do tasks the work spawned stop too? Observed: a detached child spawned by
/// the work is dropped within a grace period after `cancel` returns.
fn stops_children<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Virtual);
    let h = rt.handle();
    rt.block_on(async {
        let (p, c) = probes();
        let script = Script::new([Step::SpawnChild, Step::Sleep(LONG)], 0);
        let handle = S::start(&h, work(script, &p, &c));
        if !wait_until(&h, PATIENCE, || c.started.is_set()).await {
            return Observation::failed("the child never started");
        }
        let r = handle.cancel().await;
        let stopped = wait_until(&h, GRACE, || c.dropped.is_set()).await;
        // Let a child that lives on end now, so it does not outlive the case.
        c.release();
        let ended = wait_until(&h, PATIENCE, || c.dropped.is_set()).await;
        Observation::new(
            stopped,
            format!(
                "cancel: {r:?}; child stopped within {GRACE:?}: {stopped}{}",
                if stopped {
                    ""
                } else if ended {
                    " (it ended only when released)"
                } else {
                    " (still alive)"
                }
            ),
        )
    })
}

/// Is work that never yields stopped at the deadline? Observed: the timeout
/// came back before a 60 ms busy loop ended. The overshoot is reported.
fn stops_cpu_bound<S: Subject<R>, R: Runtime>() -> Observation {
    // Real time: the busy loop burns real time, which paused time ignores.
    let rt = runtime!(Clock::Real);
    let h = rt.handle();
    let deadline = ms(5);
    rt.block_on(async {
        let (p, c) = probes();
        let script = Script::new([Step::Spin(ms(60)), Step::Sleep(LONG)], 0);
        let start = h.now();
        let r = S::run_with_timeout(&h, deadline, work(script, &p, &c)).await;
        let took = h.now().duration_since(start);
        let spin_done = p.spin_done.is_set();
        if r != Ok(Outcome::TimedOut) {
            return Observation::failed(format!("expected a timeout, got {r:?}"));
        }
        Observation::new(
            !spin_done,
            format!(
                "timeout of {deadline:?} on a 60 ms busy loop came back after {took:?} \
                 (overshoot {:?}); the loop had {}ended",
                took.saturating_sub(deadline),
                if spin_done { "" } else { "not " }
            ),
        )
    })
}

/// Is blocking work stopped? Observed: when the timeout is reported, a
/// blocking call (on the blocking pool, or the work's own thread) is no
/// longer running. The call lasts until the case releases it, at most 1 s,
/// so a slow look cannot mistake a call that outlived the stop for one that
/// ended.
fn stops_blocking<S: Subject<R>, R: Runtime>() -> Observation {
    // Real time: a blocked thread does not see virtual time.
    let rt = runtime!(Clock::Real);
    let h = rt.handle();
    rt.block_on(async {
        let (p, c) = probes();
        let script = Script::new([Step::Block(ms(1000))], 0);
        let start = h.now();
        let r = S::run_with_timeout(&h, ms(10), work(script, &p, &c)).await;
        let returned = h.now().duration_since(start);
        let running = !p.block_done.is_set();
        // End the call either way, so it does not outlive the case.
        p.release();
        let ended = wait_until(&h, PATIENCE, || p.block_done.is_set()).await;
        Observation::new(
            r.is_ok() && !running,
            format!(
                "10 ms timeout: {r:?} after {returned:?}; the blocking call was {}{}",
                if running { "still running" } else { "over" },
                if ended { "" } else { ", and never ended" }
            ),
        )
    })
}

/// Does dropping the handle stop the work? Observed: the work is dropped
/// within a grace period after its handle is.
fn cancel_on_handle_drop<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Virtual);
    let h = rt.handle();
    rt.block_on(async {
        let (p, c) = probes();
        let handle = S::start(&h, work(Script::new([Step::Sleep(LONG)], 0), &p, &c));
        if !wait_until(&h, PATIENCE, || p.started.is_set()).await {
            return Observation::failed("the work never started");
        }
        drop(handle);
        let stopped = wait_until(&h, GRACE, || p.dropped.is_set()).await;
        Observation::new(
            stopped,
            format!("work stopped within {GRACE:?} of dropping its handle: {stopped}"),
        )
    })
}

/// Must the work check a signal? Observed: work deaf to every stop signal
/// (it sleeps 200 ms, then returns) is cancelled; if it still returns its
/// output, the stop needed its cooperation.
fn needs_cooperation<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Virtual);
    let h = rt.handle();
    rt.block_on(async {
        let (p, c) = probes();
        let script = Script::new([Step::Sleep(ms(200))], 9).uncooperative();
        let handle = S::start(&h, work(script, &p, &c));
        if !wait_until(&h, PATIENCE, || p.started.is_set()).await {
            return Observation::failed("the work never started");
        }
        match handle.cancel().await {
            Ok(Cancellation::Stopped) => Observation::new(false, "deaf work was stopped"),
            Ok(Cancellation::Finished(v)) => {
                Observation::new(true, format!("deaf work ran to its end and returned {v}"))
            }
            Err(e) => Observation::failed(format!("cancel failed: {e}")),
        }
    })
}

/// When forced to stop, does the work's Drop run? Observed: the work's guard
/// was dropped when `cancel` returned `Stopped` for work deaf to signals.
fn drop_runs_on_force<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Virtual);
    let h = rt.handle();
    rt.block_on(async {
        let (p, c) = probes();
        let script = Script::new([Step::Sleep(LONG)], 0).uncooperative();
        let handle = S::start(&h, work(script, &p, &c));
        if !wait_until(&h, PATIENCE, || p.started.is_set()).await {
            return Observation::failed("the work never started");
        }
        let r = handle.cancel().await;
        let dropped = p.dropped.is_set();
        Observation::new(
            r == Ok(Cancellation::Stopped) && dropped,
            format!("cancel: {r:?}; Drop had run: {dropped}"),
        )
    })
}
