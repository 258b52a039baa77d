//! The suite can fail: a deliberately naive strategy, the kind several
//! articles recommend, is run through it and must be caught.
//!
//! `Naive` runs work in a tokio task and stops it with `abort()`, returning
//! as soon as it has *asked*: it never waits for the task to stop, and it
//! never looks for an output that was already there. It also declares
//! capabilities it does not have. `Hasty` reports every timeout at once,
//! without waiting for the deadline or even polling the work.

use std::time::Duration;

use cancel_conformance::{Case, Play, Precise, StrategyKind, Subject, run_case};
use cancel_contract::{CancelHandle, Cancellation, Cap, Capabilities, Capability, Error, Outcome};
use cancel_harness::runtime::{Runtime, TokioCurrentThread};
use tokio::task::JoinHandle;

struct Naive;

struct NaiveHandle<T>(JoinHandle<T>);

impl<T: Send + 'static> CancelHandle for NaiveHandle<T> {
    type Output = T;

    fn request_stop(&self) {
        self.0.abort();
    }

    fn is_finished(&self) -> bool {
        self.0.is_finished()
    }

    async fn cancel(self) -> Result<Cancellation<T>, Error> {
        // The bug: `abort()` only asks; the output of a finished task is lost
        // and a running task may not have been dropped yet.
        self.0.abort();
        Ok(Cancellation::Stopped)
    }

    async fn join(self) -> Result<Cancellation<T>, Error> {
        match self.0.await {
            Ok(v) => Ok(Cancellation::Finished(v)),
            Err(e) if e.is_panic() => Err(Error::WorkPanicked(cancel_contract::panic_message(
                &*e.into_panic(),
            ))),
            Err(_) => Ok(Cancellation::Stopped),
        }
    }
}

/// The group items of a stand-in with no group signal.
macro_rules! no_group {
    () => {
        const GROUP_SIGNAL: bool = false;
        type Group = ();
        fn group() {}
        fn start_in<W: Play>(
            rt: &<TokioCurrentThread as Runtime>::Handle,
            _group: &(),
            work: W,
        ) -> NaiveHandle<W::Output> {
            Self::start(rt, work)
        }
        fn stop_group<T: Send + 'static>(_group: &(), handles: &[NaiveHandle<T>]) {
            handles.iter().for_each(CancelHandle::request_stop);
        }
        fn checkpoint(_group: &()) -> Option<bool> {
            None
        }
    };
}

impl Subject<TokioCurrentThread> for Naive {
    // A stand-in: the registry does not list it.
    const KIND: StrategyKind = StrategyKind::Abort;
    const NAME: &'static str = "naive";
    // Claims an async cleanup it cannot do.
    const CAPABILITIES: Capabilities = Capabilities {
        async_cleanup: Cap::Yes,
        stops_children: Cap::No,
        stops_cpu_bound: Cap::No,
        interrupts_blocking: Cap::No,
        leaves_blocking_running: Cap::Yes,
        cancel_on_handle_drop: Cap::No,
        needs_cooperation: Cap::No,
        drop_runs_on_force: Cap::Yes,
    };
    type Handle<T: Send + 'static> = NaiveHandle<T>;
    no_group!();

    async fn run_with_timeout<W: Play>(
        rt: &<TokioCurrentThread as Runtime>::Handle,
        timeout: Duration,
        work: W,
    ) -> Result<Outcome<W::Output>, Error> {
        let task = tokio::spawn(work.forced(rt.clone()));
        tokio::time::sleep(timeout).await;
        // The bug again: report before the task has stopped.
        task.abort();
        Ok(Outcome::TimedOut)
    }

    async fn run_until<W: Play, U: Future<Output = ()> + Send + 'static>(
        rt: &<TokioCurrentThread as Runtime>::Handle,
        until: U,
        work: W,
    ) -> Result<Outcome<W::Output>, Error> {
        let task = tokio::spawn(work.forced(rt.clone()));
        until.await;
        // The same bug with any deadline.
        task.abort();
        Ok(Outcome::TimedOut)
    }

    fn start<W: Play>(
        rt: &<TokioCurrentThread as Runtime>::Handle,
        work: W,
    ) -> NaiveHandle<W::Output> {
        NaiveHandle(tokio::spawn(work.forced(rt.clone())))
    }
}

fn verdict(case: Case) -> cancel_conformance::Verdict {
    run_case::<Naive, TokioCurrentThread>(case)
}

#[test]
fn a_lost_output_fails_completed_wins() {
    let v = verdict(Case::CompletedWins);
    assert!(!v.pass, "{v:?}");
    assert!(v.detail.contains("FAILED"), "{}", v.detail);
}

#[test]
fn reporting_before_the_drop_fails_stopped_before_return() {
    let v = verdict(Case::StoppedBeforeReturn);
    assert!(!v.pass, "{v:?}");
    assert_eq!(v.observed, Some(false));
}

#[test]
fn a_false_capability_claim_fails() {
    let v = verdict(Case::Capability(Capability::AsyncCleanup));
    assert_eq!(
        (v.declared, v.observed, v.pass),
        (Some(true), Some(false), false),
        "{v:?}"
    );
}

#[test]
fn a_true_capability_claim_passes() {
    // Dropping a tokio JoinHandle detaches the task, as declared.
    let v = verdict(Case::Capability(Capability::CancelOnHandleDrop));
    assert_eq!(
        (v.declared, v.observed, v.pass),
        (Some(false), Some(false), true),
        "{v:?}"
    );
}

/// Reports a timeout at once; otherwise it is `Naive`.
struct Hasty;

impl Subject<TokioCurrentThread> for Hasty {
    // A stand-in: the registry does not list it.
    const KIND: StrategyKind = StrategyKind::Abort;
    const NAME: &'static str = "hasty";
    const CAPABILITIES: Capabilities = <Naive as Subject<TokioCurrentThread>>::CAPABILITIES;
    type Handle<T: Send + 'static> = NaiveHandle<T>;
    no_group!();

    async fn run_with_timeout<W: Play>(
        _rt: &<TokioCurrentThread as Runtime>::Handle,
        _timeout: Duration,
        work: W,
    ) -> Result<Outcome<W::Output>, Error> {
        // The bug: no deadline is waited for, and the work is never polled.
        drop(work);
        Ok(Outcome::TimedOut)
    }

    async fn run_until<W: Play, U: Future<Output = ()> + Send + 'static>(
        _rt: &<TokioCurrentThread as Runtime>::Handle,
        _until: U,
        work: W,
    ) -> Result<Outcome<W::Output>, Error> {
        // The same bug with any deadline.
        drop(work);
        Ok(Outcome::TimedOut)
    }

    fn start<W: Play>(
        rt: &<TokioCurrentThread as Runtime>::Handle,
        work: W,
    ) -> NaiveHandle<W::Output> {
        <Naive as Subject<TokioCurrentThread>>::start(rt, work)
    }
}

#[test]
fn an_early_timeout_fails_never_early() {
    let v = run_case::<Hasty, TokioCurrentThread>(Case::NeverEarly);
    assert_eq!((v.observed, v.pass), (Some(false), false), "{v:?}");
}

#[test]
fn a_zero_timeout_that_never_polls_fails_edge_durations() {
    // Ready work under `Duration::ZERO` must still complete.
    let v = run_case::<Hasty, TokioCurrentThread>(Case::EdgeDurations);
    assert_eq!((v.observed, v.pass), (Some(false), false), "{v:?}");
    assert!(
        v.detail.contains("FAILED: ZERO, ready work"),
        "{}",
        v.detail
    );
}

#[test]
fn an_early_timeout_fails_never_early_with_the_precise_timer_too() {
    let v = run_case::<Precise<Hasty>, TokioCurrentThread>(Case::NeverEarly);
    assert_eq!(
        (v.observed, v.pass, v.timer),
        (Some(false), false, "precise"),
        "{v:?}"
    );
}
