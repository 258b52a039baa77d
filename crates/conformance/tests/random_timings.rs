//! Random timings: proptest draws the work's length, the deadline and the
//! moment of the cancel, `Duration::ZERO` and `Duration::MAX` included, and
//! invariants I1–I5 must hold for every drawn case on every strategy ×
//! runtime.
//!
//! Each case runs the work twice: once under `run_with_timeout(deadline)`,
//! once with `start`, a wait until `cancel_at` (or until the work has
//! finished, if that is sooner), optionally two `request_stop`s, then
//! `cancel`. What must hold:
//!
//! - I1: an output the work produced (its probe's `completed` mark) is
//!   returned; `TimedOut`/`Stopped` only for work that never produced one.
//! - I2: a timeout is never reported before the deadline.
//! - I3: a timeout comes within deadline + slack (2 ms on virtual time,
//!   250 ms on real time, as in the suite).
//! - I4: when the call returns, the work's state has been dropped, its
//!   async cleanup has finished where the strategy declares one, and it is
//!   never polled again.
//! - I5: stop, stop, cancel; and cancel after the work finished returns
//!   its output.
//! - `Duration::MAX` as a deadline never times out; as the work's length it
//!   never completes; both at once run until the test gives up waiting
//!   (one second of the runtime's clock) and drops the call, which must
//!   still stop the work.
//!
//! On virtual time (tokio current-thread) the outcome is also predicted:
//! work that ends well before the deadline completes, work that would end
//! well after it times out.
//!
//! `PROPTEST_CASES` sets the number of cases per strategy × runtime (16 by
//! default). Failing cases are saved in
//! `tests/proptest-regressions/random_timings.txt` and replayed first by
//! every later run; keep that file in the repository.

mod common;

use std::time::Duration;

use cancel_conformance::{Script, Step, Subject, Work, matrix_tests};
use cancel_contract::{CancelHandle, Cancellation, Cap, Outcome};
use cancel_harness::probe::Probe;
use cancel_harness::runtime::{Clock, Runtime, RuntimeHandle};
use common::{bounded, env_count};
use futures_lite::future;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestError, TestRunner};

/// Where failing cases are kept, beside this file.
const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/proptest-regressions/random_timings.txt"
);
/// Cases per strategy × runtime unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: usize = 16;
/// What every piece of work returns when it completes.
const OUTPUT: u64 = 77;
/// How long a whole property may run before the test calls it hung.
const LIMIT: Duration = Duration::from_secs(120);

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One drawn case.
#[derive(Debug, Clone)]
struct Timing {
    /// How long the work sleeps; `ZERO` without `leading_yield` is work that
    /// is ready at its first poll.
    work: Duration,
    /// Whether the work yields once before its sleep.
    leading_yield: bool,
    /// The deadline of `run_with_timeout`.
    deadline: Duration,
    /// When the started work is cancelled.
    cancel_at: Duration,
    /// Whether `request_stop` is called twice before `cancel` (I5).
    stop_first: bool,
}

/// `ZERO`, `MAX`, or up to 20 ms.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        1 => Just(Duration::ZERO),
        1 => Just(Duration::MAX),
        6 => (0_u64..=20_000).prop_map(Duration::from_micros),
    ]
}

fn timing() -> impl Strategy<Value = Timing> {
    (
        duration(),
        any::<bool>(),
        duration(),
        duration(),
        any::<bool>(),
    )
        .prop_map(
            |(work, leading_yield, deadline, cancel_at, stop_first)| Timing {
                work,
                leading_yield,
                deadline,
                cancel_at,
                stop_first,
            },
        )
}

impl Timing {
    fn script(&self) -> Script {
        let mut steps = Vec::new();
        if self.leading_yield {
            steps.push(Step::Yield);
        }
        if !self.work.is_zero() {
            steps.push(Step::Sleep(self.work));
        }
        Script::new(steps, OUTPUT).with_cleanup(ms(1))
    }

    /// Work with no step at all: ready at its first poll.
    fn ready(&self) -> bool {
        self.work.is_zero() && !self.leading_yield
    }
}

fn config() -> Config {
    Config {
        cases: u32::try_from(env_count("PROPTEST_CASES", DEFAULT_CASES)).unwrap_or(u32::MAX),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        source_file: Some(file!()),
        // Shrinking re-runs real-time cases: keep it short.
        max_shrink_iters: 256,
        ..Config::default()
    }
}

/// What one run of a case saw wrong, in words.
type Failures = Vec<String>;

/// Checks what must hold of `p` once a call reported the work stopped.
fn stopped_properly(p: &Probe, cleanup: bool, what: &str, failures: &mut Failures) {
    if p.completed.is_set() {
        failures.push(format!("I1: {what}, yet the work had produced its output"));
    }
    if !p.dropped.is_set() || p.alive() != 0 {
        failures.push(format!("I4: {what}, yet the work's state was not dropped"));
    }
    if cleanup && p.cleanup_started.is_set() && !p.cleanup_done.is_set() {
        failures.push(format!(
            "I4: {what} before the work's async cleanup finished"
        ));
    }
}

/// How many times the work was polled in the 5 ms after its call returned.
async fn polls_after<H: RuntimeHandle>(h: &H, p: &Probe) -> u64 {
    let at_return = p.polls();
    h.sleep(ms(5)).await;
    p.polls() - at_return
}

/// Waits, on the runtime's clock, until `p`'s work has been dropped; `false`
/// if it has not within 10 s.
async fn dropped_within<H: RuntimeHandle>(h: &H, p: &Probe) -> bool {
    let start = h.now();
    while p.alive() != 0 {
        if h.now().duration_since(start) > Duration::from_secs(10) {
            return false;
        }
        h.sleep(ms(1)).await;
    }
    true
}

/// One case on subject `S` and runtime `rt`: `Err` lists what failed.
fn check_case<S: Subject<R>, R: Runtime>(rt: &R, t: &Timing) -> Result<(), String> {
    let h = rt.handle();
    let virtual_time = rt.is_virtual_time();
    let slack = if virtual_time { ms(2) } else { ms(250) };
    let horizon = Duration::from_secs(1);
    let cleanup = S::CAPABILITIES.async_cleanup == Cap::Yes;
    let finite_work = t.work < horizon;
    let mut failures = Failures::new();
    rt.block_on(async {
        // run_with_timeout(deadline).
        let p = Probe::new();
        let work = Work::new(t.script(), &p, &Probe::new());
        let start = h.now();
        let run = S::run_with_timeout(&h, t.deadline, work);
        let raced = future::or(async { Some(run.await) }, async {
            h.sleep(horizon).await;
            None
        })
        .await;
        let took = h.now().duration_since(start);
        match raced {
            // Nothing can end work that never ends under a deadline that
            // never comes; the call was dropped, which must stop the work.
            None if !finite_work && t.deadline >= horizon => {
                if !dropped_within(&h, &p).await {
                    failures.push("the dropped call never stopped the work".into());
                }
            }
            None => failures.push(format!("no result after {horizon:?}")),
            Some(Err(e)) => failures.push(format!("run_with_timeout failed: {e}")),
            Some(Ok(Outcome::Completed(v))) => {
                if v != OUTPUT || !p.completed.is_set() {
                    failures.push(format!(
                        "completed with {v} but the work did not produce it"
                    ));
                }
                if !finite_work || took < t.work {
                    failures.push(format!("completed after {took:?}, before the work could"));
                }
                if virtual_time && t.deadline.saturating_add(slack) < t.work {
                    failures.push(format!("completed long after the deadline ({took:?})"));
                }
            }
            Some(Ok(Outcome::TimedOut)) => {
                stopped_properly(&p, cleanup, "timed out", &mut failures);
                if took < t.deadline {
                    failures.push(format!("I2: timed out after {took:?}, before the deadline"));
                }
                if took > t.deadline.saturating_add(slack) {
                    failures.push(format!(
                        "I3: timed out after {took:?}, beyond deadline + {slack:?}"
                    ));
                }
                if t.deadline == Duration::MAX {
                    failures.push("a `Duration::MAX` deadline timed out".into());
                }
                if t.ready() {
                    failures.push("I8: work ready at its first poll timed out".into());
                }
                if virtual_time && finite_work && t.work.saturating_add(slack) < t.deadline {
                    failures
                        .push("timed out although the work ends well before the deadline".into());
                }
                let after = polls_after(&h, &p).await;
                if after != 0 {
                    failures.push(format!("I4: polled {after} times after the timeout"));
                }
            }
        }

        // start, wait until `cancel_at` or until the work has finished, cancel.
        let p = Probe::new();
        let handle = S::start(&h, Work::new(t.script(), &p, &Probe::new()));
        let wait = t.cancel_at.min(horizon);
        let seen_finished = future::or(
            async {
                h.sleep(wait).await;
                false
            },
            async {
                while !handle.is_finished() {
                    h.sleep(ms(1)).await;
                }
                true
            },
        )
        .await;
        if t.stop_first {
            handle.request_stop();
            handle.request_stop();
        }
        match handle.cancel().await {
            Err(e) => failures.push(format!("cancel failed: {e}")),
            Ok(Cancellation::Finished(v)) => {
                if v != OUTPUT || !p.completed.is_set() {
                    failures.push(format!("finished with {v} but the work did not produce it"));
                }
                if virtual_time && finite_work && t.cancel_at.saturating_add(slack) < t.work {
                    failures.push("finished although cancelled long before its end".into());
                }
            }
            Ok(Cancellation::Stopped) => {
                stopped_properly(&p, cleanup, "cancel stopped", &mut failures);
                if seen_finished {
                    failures.push("I5: cancel after the work finished lost its output".into());
                }
                let after = polls_after(&h, &p).await;
                if after != 0 {
                    failures.push(format!("I4: polled {after} times after the cancel"));
                }
            }
        }
    });
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// The property for subject `S` on runtime `R`: every drawn case holds.
fn random_timings<S: Subject<R>, R: Runtime>() {
    let what = format!("random timings of {} on {}", S::NAME, R::KIND);
    let outcome = bounded(&what.clone(), LIMIT, move || {
        let rt: R = common::runtime::<S, R>(Clock::Virtual);
        let mut runner = TestRunner::new(config());
        runner
            .run(&timing(), |t| {
                check_case::<S, R>(&rt, &t).map_err(TestCaseError::fail)
            })
            .map_err(|e| match e {
                TestError::Fail(why, case) => format!("{why}; minimal failing case: {case:?}"),
                TestError::Abort(why) => format!("aborted: {why}"),
            })
    });
    if let Err(e) = outcome {
        panic!("{what}: {e}");
    }
}

matrix_tests!(random_timings);
