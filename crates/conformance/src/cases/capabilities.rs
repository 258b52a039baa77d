//! The eight capabilities, observed. Each function answers its question by
//! running work; `run_case` compares the answer with the declaration.

use std::sync::Arc;
use std::time::Duration;

use cancel_contract::{CancelHandle, Cancellation, Capability, Error, Outcome};
use cancel_harness::probe::Probe;
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
        Capability::InterruptsBlocking => interrupts_blocking::<S, R>,
        Capability::LeavesBlockingRunning => leaves_blocking_running::<S, R>,
        Capability::CancelOnHandleDrop => cancel_on_handle_drop::<S, R>,
        Capability::NeedsCooperation => needs_cooperation::<S, R>,
        Capability::DropRunsOnForce => drop_runs_on_force::<S, R>,
    }
}

/// The cleanup the scripted work runs after it is told to stop, in the form
/// the subject's work takes.
fn cleanup_form<S: Subject<R>, R: Runtime>() -> &'static str {
    if S::ON_BLOCKING_THREADS {
        "a blocking 5 ms sleep on the work's own thread"
    } else {
        "an awaited 5 ms sleep"
    }
}

/// Does the work get to run a cleanup of its own after it is told to stop,
/// finished before `cancel` returns? Observed: the cleanup (a 5 ms sleep,
/// awaited by async work, blocking on the thread of blocking work) has
/// finished when `cancel` returns.
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
        let form = cleanup_form::<S, R>();
        let seen = match (began, done) {
            (_, true) => format!("the work had run its cleanup after the stop ({form}) to its end"),
            (true, false) => format!("the work had begun its cleanup ({form}) but not finished it"),
            (false, false) => format!(
                "the work had never begun its cleanup ({form}): it was dropped where it stood \
                 (Drop had run: {})",
                p.dropped.is_set()
            ),
        };
        Observation::new(
            r.is_ok() && done,
            format!("cancel: {r:?}; when it returned, {seen}"),
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

/// The timeout the blocking cases put around a blocking call.
const BLOCK_TIMEOUT: Duration = ms(10);

/// Runs a deaf blocking call of natural length `length` under a
/// [`BLOCK_TIMEOUT`] and returns the outcome and how long after the
/// deadline it came back.
async fn time_blocking<S: Subject<R>, R: Runtime>(
    h: &R::Handle,
    p: &Arc<Probe>,
    length: Duration,
) -> (Result<Outcome<u64>, Error>, Duration) {
    let c = Probe::new();
    let script = Script::new([Step::Block(length)], 0);
    let start = h.now();
    let r = S::run_with_timeout(h, BLOCK_TIMEOUT, work(script, p, &c)).await;
    let late = h.now().duration_since(start).saturating_sub(BLOCK_TIMEOUT);
    (r, late)
}

/// How long the blocking call ran, from its first to its last instant.
fn block_ran(p: &Probe) -> Option<Duration> {
    Some(p.block_done.at()?.duration_since(p.block_started.at()?))
}

/// Does a blocking call end early once the timeout fired? Observed: a call
/// deaf to every signal, 200 ms long, is left to end on its own (the case
/// never releases it); it was interrupted if it ran less than its natural
/// length. The return lateness is reported.
fn interrupts_blocking<S: Subject<R>, R: Runtime>() -> Observation {
    // Real time: a blocked thread does not see virtual time.
    let rt = runtime!(Clock::Real);
    let h = rt.handle();
    let length = ms(200);
    rt.block_on(async {
        let p = Probe::new();
        let (r, late) = time_blocking::<S, R>(&h, &p, length).await;
        if r != Ok(Outcome::TimedOut) {
            p.release();
            return Observation::failed(format!(
                "{BLOCK_TIMEOUT:?} timeout around a blocking call: expected a timeout, got {r:?}"
            ));
        }
        let ended = wait_until(&h, PATIENCE, || p.block_done.is_set()).await;
        let Some(ran) = block_ran(&p).filter(|_| ended) else {
            // End it, so it does not outlive the case.
            p.release();
            return Observation::failed(format!(
                "{BLOCK_TIMEOUT:?} timeout: {r:?}, {late:?} after the deadline; the blocking \
                 call never ended within {PATIENCE:?}"
            ));
        };
        let interrupted = ran < length;
        Observation::new(
            interrupted,
            format!(
                "{BLOCK_TIMEOUT:?} timeout: {r:?}, {late:?} after the deadline (return lateness); \
                 the blocking call ran {ran:?} of its natural {length:?}: {}",
                if interrupted {
                    "it ended early"
                } else {
                    "not interrupted, it ran to its natural end"
                }
            ),
        )
    })
}

/// Once the timeout returned, is the blocking call still running? Observed:
/// a deaf blocking call of 1 s has not ended when `run_with_timeout` returns
/// `TimedOut`, and does run on after the return. The case then releases it,
/// so it lasts at most 1 s and a slow look cannot mistake a call that
/// outlived the return for one that ended. The return lateness is reported.
fn leaves_blocking_running<S: Subject<R>, R: Runtime>() -> Observation {
    // Real time: a blocked thread does not see virtual time.
    let rt = runtime!(Clock::Real);
    let h = rt.handle();
    let length = ms(1000);
    rt.block_on(async {
        let p = Probe::new();
        let (r, late) = time_blocking::<S, R>(&h, &p, length).await;
        let (began, over) = (p.block_started.is_set(), p.block_done.is_set());
        // End the call either way, so it does not outlive the case.
        p.release();
        let ended = wait_until(&h, PATIENCE, || p.block_done.is_set()).await;
        if r != Ok(Outcome::TimedOut) {
            return Observation::failed(format!(
                "{BLOCK_TIMEOUT:?} timeout around a blocking call: expected a timeout, got {r:?}"
            ));
        }
        let at_return = match (over, began) {
            (true, _) => format!(
                "the blocking call had ended before the return (it ran {:?} of its natural {length:?})",
                block_ran(&p).unwrap_or_default()
            ),
            (false, true) if ended => {
                "the blocking call was still running at the return and ran on until the case \
                 released it"
                    .to_owned()
            }
            (false, false) if ended => "the blocking call had not begun at the return (queued on \
                 the blocking pool) and ran after it"
                .to_owned(),
            (false, _) => format!(
                "the blocking call had not ended at the return, and never ended within \
                 {PATIENCE:?} of its release{}",
                if began { "" } else { " (it never began)" }
            ),
        };
        Observation::new(
            !over && ended,
            format!(
                "{BLOCK_TIMEOUT:?} timeout: {r:?}, {late:?} after the deadline (return lateness); \
                 {at_return}"
            ),
        )
    })
}

/// Does dropping the handle stop the work? Observed: the work is dropped
/// within a grace period after its handle is. Whether the drop asked or
/// forced is seen from the work's cleanup: work that was asked to stop runs
/// it, work that was forced is dropped where it stood.
fn cancel_on_handle_drop<S: Subject<R>, R: Runtime>() -> Observation {
    let rt = runtime!(Clock::Virtual);
    let h = rt.handle();
    rt.block_on(async {
        let (p, c) = probes();
        let script = Script::new([Step::Sleep(LONG)], 0).with_cleanup(ms(5));
        let handle = S::start(&h, work(script, &p, &c));
        if !wait_until(&h, PATIENCE, || p.started.is_set()).await {
            return Observation::failed("the work never started");
        }
        drop(handle);
        let stopped = wait_until(&h, GRACE, || p.dropped.is_set()).await;
        let how = match (stopped, p.cleanup_done.is_set()) {
            (true, true) => format!(
                "dropping the handle asked the work to stop: it heard the stop, ran its \
                 cleanup ({}) and ended",
                cleanup_form::<S, R>()
            ),
            (true, false) => "dropping the handle forced the work: it was dropped where it \
                 stood, without its cleanup"
                .to_owned(),
            (false, _) => "dropping the handle left the work running".to_owned(),
        };
        Observation::new(
            stopped,
            format!("{how}; work stopped within {GRACE:?} of the drop: {stopped}"),
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
