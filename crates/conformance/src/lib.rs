//! The conformance suite: every invariant and capability of the contract,
//! written once, run against every strategy on every runtime.
//!
//! # Layout
//!
//! - [`Case`]: the fifteen cases, invariants I1–I8 and the seven capabilities.
//! - [`Subject`]: how a strategy on a runtime meets the suite: its declared
//!   capabilities, and how it runs a [`Work`] with a timeout or starts it.
//! - [`script`]: work described once, as data, with probes attached; each
//!   subject turns it into its strategy's idiomatic work.
//! - `cases`: one plain function per case, generic over any subject and runtime.
//! - [`subjects`](mod@subjects): one adapter per strategy crate.
//! - [`matrix`] lists every strategy × runtime for the lab; [`suite_tests!`]
//!   emits one named `#[test]` per case × strategy × runtime for `cargo test`.
//!
//! Every case returns a [`Verdict`]: what was declared, what was observed,
//! whether they agree, and what was seen. Cases observe with probes (marks set
//! in `Drop`, poll counters, a counting allocator) and paused time where the
//! runtime has it; where real time is unavoidable they assert with wide
//! margins and report the measured figure in the verdict's detail.
//!
//! # Adding a strategy
//!
//! One adapter file in `src/subjects/`, and one line in [`subjects!`].

mod cases;
pub mod script;

// The README's code samples are compiled and run as doc tests of this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
pub mod subjects;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Once, RwLock, TryLockError};
use std::time::Duration;

use cancel_contract::probe::DROP_PANIC_MESSAGE;
use cancel_contract::runtime::{Runtime, RuntimeHandle, RuntimeKind};
use cancel_contract::{CancelHandle, Capabilities, Capability, Error, Outcome, panic_message};
use serde::Serialize;

pub use script::{Script, Step, Work};

/// One conformance case: an invariant every subject must hold, or a
/// capability whose declared answer must match what is observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Case {
    /// I1: output produced before the stop took effect is returned, never dropped.
    CompletedWins,
    /// I2: a timeout is never reported before the deadline.
    NeverEarly,
    /// I3: for work that yields, the timeout comes within deadline + slack.
    BoundedLateness,
    /// I4: when run-with-timeout or cancel returns, Drop (and async cleanup,
    /// where supported) has run.
    StoppedBeforeReturn,
    /// I5: stop twice, cancel after completion, drop the handle after a stop:
    /// harmless.
    Idempotent,
    /// I6: after 10 000 cycles no task is alive and memory is back.
    NoLeaks,
    /// I7: a panic in the work or its cleanup comes back as an error.
    PanicsSurface,
    /// I8: `Duration::ZERO` and `Duration::MAX` behave as documented.
    EdgeDurations,
    /// A capability, observed.
    Capability(Capability),
}

impl Case {
    /// `true` for cases that measure the whole process (I6's memory count)
    /// and so run alone: [`run_case`] waits until no other case runs. A
    /// runner that schedules these after the others wastes no time waiting.
    pub const fn runs_alone(self) -> bool {
        matches!(self, Case::NoLeaks)
    }

    /// Every case, invariants first, in report order.
    pub const ALL: [Case; 15] = [
        Case::CompletedWins,
        Case::NeverEarly,
        Case::BoundedLateness,
        Case::StoppedBeforeReturn,
        Case::Idempotent,
        Case::NoLeaks,
        Case::PanicsSurface,
        Case::EdgeDurations,
        Case::Capability(Capability::AsyncCleanup),
        Case::Capability(Capability::StopsChildren),
        Case::Capability(Capability::StopsCpuBound),
        Case::Capability(Capability::StopsBlocking),
        Case::Capability(Capability::CancelOnHandleDrop),
        Case::Capability(Capability::NeedsCooperation),
        Case::Capability(Capability::DropRunsOnForce),
    ];

    /// The report name: `I1_completed_wins` … or the capability's name.
    pub const fn name(self) -> &'static str {
        match self {
            Case::CompletedWins => "I1_completed_wins",
            Case::NeverEarly => "I2_never_early",
            Case::BoundedLateness => "I3_bounded_lateness",
            Case::StoppedBeforeReturn => "I4_stopped_before_return",
            Case::Idempotent => "I5_idempotent",
            Case::NoLeaks => "I6_no_leaks",
            Case::PanicsSurface => "I7_panics_surface",
            Case::EdgeDurations => "I8_edge_durations",
            Case::Capability(c) => c.name(),
        }
    }

    /// The case with this report name.
    pub fn from_name(name: &str) -> Option<Case> {
        Case::ALL.into_iter().find(|c| c.name() == name)
    }

    /// `true` for invariants, `false` for capabilities.
    pub const fn is_invariant(self) -> bool {
        !matches!(self, Case::Capability(_))
    }
}

/// What one case found for one strategy on one runtime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The strategy's name.
    pub strategy: &'static str,
    /// The runtime's report name.
    pub runtime: &'static str,
    /// The case's report name.
    pub case: &'static str,
    /// What was declared: `true` for invariants, the capability's answer, or
    /// `null` when the question does not apply.
    pub declared: Option<bool>,
    /// What the run showed, or `null` when nothing could be observed.
    pub observed: Option<bool>,
    /// Whether the observation matches the declaration.
    pub pass: bool,
    /// What was seen, in words and figures.
    pub detail: String,
}

/// A strategy on one runtime, as the suite drives it.
///
/// Implemented once per strategy crate and runtime in [`subjects`](mod@subjects); the
/// implementation only translates: it calls the strategy crate's own
/// functions with the work built from a [`Work`].
pub trait Subject<R: Runtime>: 'static {
    /// The strategy's name in reports.
    const STRATEGY: &'static str;

    /// Why this strategy cannot exist on this runtime, if it cannot.
    const UNSUPPORTED: Option<&'static str> = None;

    /// What the strategy declares on this runtime.
    const CAPABILITIES: Capabilities;

    /// Whether this subject's cases may run on a virtual (paused) clock where
    /// the runtime offers one. Work on blocking threads cannot: tokio stops
    /// auto-advancing its paused clock while a `spawn_blocking` task runs,
    /// so a timeout around blocking work would never fire.
    const VIRTUAL_TIME: bool = true;

    /// Whether the work runs as blocking code on a thread of its own rather
    /// than as a task: runtimes treat the two differently when they shut
    /// down (the reliability tests' `shutdown.rs` holds each to its docs).
    const ON_BLOCKING_THREADS: bool = false;

    /// The handle `start` returns.
    type Handle: CancelHandle<Output = u64>;

    /// Runs `work` with a timeout, the strategy's way.
    fn run_with_timeout(
        rt: &R::Handle,
        timeout: Duration,
        work: Work,
    ) -> impl Future<Output = Result<Outcome<u64>, Error>>;

    /// Starts `work` in the background, the strategy's way. Called from
    /// inside [`Runtime::block_on`].
    fn start(rt: &R::Handle, work: Work) -> Self::Handle;
}

/// How long one case may run before it is reported as hung.
pub const CASE_LIMIT: Duration = Duration::from_secs(120);

/// Cases that measure the whole process (memory) run alone; all others share.
static EXCLUSIVE: RwLock<()> = RwLock::new(());

/// Runs one case for subject `S` on runtime `R`, never hanging and never
/// panicking: a hang past [`CASE_LIMIT`] or a panic in the case itself is a
/// failed verdict.
pub fn run_case<S: Subject<R>, R: Runtime>(case: Case) -> Verdict {
    quiet_scripted_panics();
    let mut verdict = Verdict {
        strategy: S::STRATEGY,
        runtime: R::KIND.name(),
        case: case.name(),
        declared: None,
        observed: None,
        pass: true,
        detail: String::new(),
    };
    if let Some(reason) = S::UNSUPPORTED {
        verdict.detail = format!("unsupported: {reason}");
        return verdict;
    }
    let (declared, run): (_, fn() -> cases::Observation) = match case {
        Case::CompletedWins => (Some(true), cases::completed_wins::<S, R>),
        Case::NeverEarly => (Some(true), cases::never_early::<S, R>),
        Case::BoundedLateness => (Some(true), cases::bounded_lateness::<S, R>),
        Case::StoppedBeforeReturn => (Some(true), cases::stopped_before_return::<S, R>),
        Case::Idempotent => (Some(true), cases::idempotent::<S, R>),
        Case::NoLeaks => (Some(true), cases::no_leaks::<S, R>),
        Case::PanicsSurface => (Some(true), cases::panics_surface::<S, R>),
        Case::EdgeDurations => (Some(true), cases::edge_durations::<S, R>),
        Case::Capability(c) => {
            let declared = S::CAPABILITIES.get(c);
            if let cancel_contract::Cap::Unsupported(reason) = declared {
                verdict.detail = format!("not applicable: {reason}");
                return verdict;
            }
            (declared.as_bool(), cases::capability_fn::<S, R>(c))
        }
    };
    verdict.declared = declared;
    let exclusive = case.runs_alone();
    let observation = with_watchdog(move || {
        // Poll for the lock instead of blocking on it: a case that hung holds
        // its share forever, and a blocked writer would then stall every
        // later reader too. A poisoned lock only means a case panicked.
        let deadline = std::time::Instant::now() + CASE_LIMIT;
        loop {
            if exclusive {
                match EXCLUSIVE.try_write() {
                    Ok(_alone) => return run(),
                    Err(TryLockError::Poisoned(e)) => {
                        let _alone = e.into_inner();
                        return run();
                    }
                    Err(TryLockError::WouldBlock) => {}
                }
            } else {
                match EXCLUSIVE.try_read() {
                    Ok(_shared) => return run(),
                    Err(TryLockError::Poisoned(e)) => {
                        let _shared = e.into_inner();
                        return run();
                    }
                    Err(TryLockError::WouldBlock) => {}
                }
            }
            if std::time::Instant::now() >= deadline {
                return cases::Observation::failed(
                    "could not start: an earlier case still holds the suite (it hung)",
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    verdict.observed = observation.observed;
    verdict.pass = observation.observed.is_some() && observation.observed == declared;
    verdict.detail = observation.detail;
    verdict
}

/// Runs `f` on its own thread and gives up after [`CASE_LIMIT`].
fn with_watchdog(f: impl FnOnce() -> cases::Observation + Send + 'static) -> cases::Observation {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("conformance-case".into())
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(f));
            // The receiver is gone only if the watchdog already gave up.
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return cases::Observation::failed(format!("could not start the case thread: {e}"));
    }
    match rx.recv_timeout(CASE_LIMIT) {
        Ok(Ok(observation)) => observation,
        Ok(Err(payload)) => {
            cases::Observation::failed(format!("the case panicked: {}", panic_message(&*payload)))
        }
        // The case thread is left behind; the verdict says it hung.
        Err(_) => cases::Observation::failed(format!("hung: no result after {CASE_LIMIT:?}")),
    }
}

/// Keeps the panics the scripts raise on purpose out of the output, while
/// every other panic is printed as usual.
fn quiet_scripted_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if !matches!(message, Some(m) if m == script::WORK_PANIC_MESSAGE || m == DROP_PANIC_MESSAGE)
            {
                previous(info);
            }
        }));
    });
}

/// One strategy on one runtime, as the lab iterates them.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The strategy's name.
    pub strategy: &'static str,
    /// The runtime.
    pub runtime: RuntimeKind,
    /// Runs one case.
    pub run: fn(Case) -> Verdict,
}

/// Sets how many start → cancel cycles I6 (`no_leaks`) runs from now on
/// (10 000 unless set; at least 1). Fewer cycles run faster but catch only
/// larger leaks: the memory bound stays 256 KiB, so 1 000 cycles catch a
/// leak of 256 bytes a cycle, 10 000 cycles one of 26 bytes. The verdict's
/// detail says how many ran.
pub fn set_leak_cycles(cycles: usize) {
    cases::set_leak_cycles(cycles);
}

/// The strategies, in report order.
pub fn strategies() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = matrix().iter().map(|e| e.strategy).collect();
    names.dedup();
    names
}

/// Every strategy × runtime the suite knows, in report order.
pub fn matrix() -> Vec<Entry> {
    macro_rules! entries {
        ($($strategy:ident: $subject:ty),* $(,)?) => {
            vec![$(
                entry::<$subject, cancel_contract::runtime::TokioCurrentThread>(),
                entry::<$subject, cancel_contract::runtime::TokioMultiThread>(),
                entry::<$subject, cancel_contract::runtime::AsyncStd>(),
                entry::<$subject, cancel_contract::runtime::Smol>(),
            )*]
        };
    }
    subjects!(entries)
}

fn entry<S: Subject<R>, R: Runtime>() -> Entry {
    Entry {
        strategy: S::STRATEGY,
        runtime: R::KIND,
        run: run_case::<S, R>,
    }
}

/// Calls `$callback!` with the list of strategies: `name: AdapterType, …`,
/// after any further arguments given and a `;` (`subjects!(matrix_tests, f)`
/// calls `matrix_tests! { f; select: …, … }`).
///
/// This is the one place where the strategies are listed.
#[macro_export]
macro_rules! subjects {
    ($callback:ident $(, $($args:tt)+)?) => {
        $callback! {
            $($($args)+ ;)?
            select: $crate::subjects::Select,
            channel: $crate::subjects::Channel,
            token: $crate::subjects::Token,
            abort: $crate::subjects::Abort,
            thread: $crate::subjects::Thread,
            scope: $crate::subjects::Scope,
        }
    };
}

/// Emits one `#[test]` per case × strategy × runtime, named
/// `<strategy>::<runtime>::<case>`, each failing with the verdict's detail.
///
/// ```
/// use cancel_conformance::{subjects, suite_tests};
///
/// // In a test crate: one `#[test]` per case × strategy × runtime.
/// subjects!(suite_tests);
/// # fn main() {
/// #     assert_eq!(select::tokio_current_thread::EMITTED, cancel_conformance::Case::ALL.len());
/// # }
/// ```
#[macro_export]
macro_rules! suite_tests {
    ($($strategy:ident: $subject:ty),* $(,)?) => {
        $(
            #[doc = concat!("The conformance tests of `", stringify!($strategy), "`.")]
            pub mod $strategy {
                $crate::suite_tests!(@runtime $subject, tokio_current_thread, TokioCurrentThread);
                $crate::suite_tests!(@runtime $subject, tokio_multi_thread, TokioMultiThread);
                $crate::suite_tests!(@runtime $subject, async_std, AsyncStd);
                $crate::suite_tests!(@runtime $subject, smol, Smol);
            }
        )*
    };
    (@runtime $subject:ty, $module:ident, $runtime:ident) => {
        #[doc = concat!("On ", stringify!($module), ".")]
        pub mod $module {
            $crate::suite_tests!(@cases $subject, $runtime,
                i1_completed_wins,
                i2_never_early,
                i3_bounded_lateness,
                i4_stopped_before_return,
                i5_idempotent,
                i6_no_leaks,
                i7_panics_surface,
                i8_edge_durations,
                async_cleanup,
                stops_children,
                stops_cpu_bound,
                stops_blocking,
                cancel_on_handle_drop,
                needs_cooperation,
                drop_runs_on_force,
            );
        }
    };
    (@cases $subject:ty, $runtime:ident, $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::check::<$subject, $crate::__runtime::$runtime>(stringify!($case));
            }
        )*
        /// How many cases this module emitted, so a test can compare with [`Case::ALL`].
        #[allow(dead_code)]
        pub const EMITTED: usize = [$(stringify!($case)),*].len();
    };
}

/// Emits, for every strategy, a module with one `#[test]` per runtime that
/// calls `$check::<Subject, Runtime>()`, a generic function of the test
/// crate. Attributes after the function's name go on every test (`#[ignore]`
/// for long modes). Used through [`subjects!`], so a new strategy is tested
/// without touching the test files:
///
/// ```
/// use cancel_conformance::{Subject, matrix_tests, subjects};
/// use cancel_contract::runtime::Runtime;
///
/// fn named<S: Subject<R>, R: Runtime>() {
///     assert!(!S::STRATEGY.is_empty());
/// }
///
/// // `select::tokio_current_thread`, `select::smol`, … each call `named`.
/// subjects!(matrix_tests, named, #[ignore]);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! matrix_tests {
    // One strategy at a time, so the attributes can be repeated in each.
    (@each $check:ident, [$($attr:tt)*]; $strategy:ident: $subject:ty $(, $($rest:tt)*)?) => {
        #[doc = concat!("`", stringify!($check), "` for `", stringify!($strategy), "` on every runtime.")]
        mod $strategy {
            $crate::matrix_tests!(@runtime $check, $subject, tokio_current_thread, TokioCurrentThread, [$($attr)*]);
            $crate::matrix_tests!(@runtime $check, $subject, tokio_multi_thread, TokioMultiThread, [$($attr)*]);
            $crate::matrix_tests!(@runtime $check, $subject, async_std, AsyncStd, [$($attr)*]);
            $crate::matrix_tests!(@runtime $check, $subject, smol, Smol, [$($attr)*]);
        }
        $crate::matrix_tests!(@each $check, [$($attr)*]; $($($rest)*)?);
    };
    (@each $check:ident, [$($attr:tt)*];) => {};
    (@runtime $check:ident, $subject:ty, $module:ident, $runtime:ident, [$($attr:tt)*]) => {
        #[test]
        $($attr)*
        fn $module() {
            super::$check::<$subject, $crate::__runtime::$runtime>();
        }
    };
    ($check:ident $(, #[$attr:meta])* ; $($list:tt)*) => {
        $crate::matrix_tests!(@each $check, [$(#[$attr])*]; $($list)*);
    };
}

#[doc(hidden)]
pub mod __runtime {
    pub use cancel_contract::runtime::{AsyncStd, Smol, TokioCurrentThread, TokioMultiThread};
}

/// Runs the case whose test name is `test_name` (a report name in lower
/// case) and panics with the verdict unless it passes. Used by
/// [`suite_tests!`].
pub fn check<S: Subject<R>, R: Runtime>(test_name: &str) {
    let Some(case) = Case::ALL
        .into_iter()
        .find(|c| c.name().eq_ignore_ascii_case(test_name))
    else {
        panic!("no conformance case is named {test_name}");
    };
    let verdict = run_case::<S, R>(case);
    assert!(
        verdict.pass,
        "{} on {} failed {}: declared {:?}, observed {:?}: {}",
        verdict.strategy,
        verdict.runtime,
        verdict.case,
        verdict.declared,
        verdict.observed,
        verdict.detail
    );
}

/// Waits until `cond` holds, sleeping on the runtime's clock, for at most
/// `limit`; returns whether it held.
pub(crate) async fn wait_until<H: RuntimeHandle>(
    rt: &H,
    limit: Duration,
    mut cond: impl FnMut() -> bool,
) -> bool {
    let start = rt.now();
    loop {
        if cond() {
            return true;
        }
        if rt.now().duration_since(start) >= limit {
            return false;
        }
        rt.sleep(Duration::from_millis(1)).await;
    }
}
