//! The conformance suite: every invariant and capability of the contract,
//! written once, run against every strategy on every runtime.
//!
//! # Layout
//!
//! - [`Case`]: the sixteen cases, invariants I1–I8 and the eight capabilities.
//! - [`Subject`]: how a strategy on a runtime meets the suite *and* the
//!   benches: its declared capabilities, and how it runs any [`Play`] work
//!   with a timeout, starts it, or starts and stops a group of it.
//! - [`Play`]: work in the forms the strategies take (a future stopped from
//!   outside, a future that listens to a stop, blocking code checking a
//!   flag); [`Work`] is the suite's, the benches have their own.
//! - [`script`]: work described once, as data, with probes attached.
//! - `cases`: one plain function per case, generic over any subject and runtime.
//! - [`subjects`](mod@subjects): one adapter per strategy crate.
//! - [`visit`] turns a [`StrategyKind`] × [`RuntimeKind`] chosen at run time
//!   into a call generic over its subject and runtime (an exhaustive `match`
//!   made from the registry); [`matrix`] lists every pair for the lab;
//!   [`suite_tests!`] emits one named `#[test]` per case × strategy × runtime.
//!
//! Every case returns a [`Verdict`]: what was declared, what was observed,
//! whether they agree, and what was seen. Cases observe with probes (marks set
//! in `Drop`, poll counters, a counting allocator) and paused time where the
//! runtime has it; where real time is unavoidable they assert with wide
//! margins and report the measured figure in the verdict's detail.
//!
//! # Adding a strategy
//!
//! A line in the registry (`cancel_harness::strategies!`), one adapter file
//! in `src/subjects/` and its `mod` line, and the crate in this crate's
//! `Cargo.toml`. `ARCHITECTURE.md` lists them and a test keeps it true.

mod cases;
mod play;
mod precise;
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

use cancel_contract::{CancelHandle, Capabilities, Capability, Error, Outcome, panic_message};
use cancel_harness::probe::DROP_PANIC_MESSAGE;
use cancel_harness::runtime::{Runtime, RuntimeHandle};
use serde::Serialize;

pub use cancel_harness::{RuntimeKind, StrategyKind};
pub use play::{Play, Stop};
pub use precise::{Precise, TimerSource};
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
    pub const ALL: [Case; 16] = [
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
        Case::Capability(Capability::InterruptsBlocking),
        Case::Capability(Capability::LeavesBlockingRunning),
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
    /// Which timer the timeouts used: `runtime` or `precise`
    /// ([`TimerSource`]).
    pub timer: &'static str,
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
    /// I3's figures as data: the worst lateness observed and the bound it
    /// was held to; `null` for every other case and when nothing was timed.
    pub lateness: Option<Lateness>,
}

/// How late timeouts came back in one I3 ([`Case::BoundedLateness`]) run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lateness {
    /// The worst lateness observed: how long after its deadline the latest
    /// timeout came back, in nanoseconds.
    pub worst_ns: u64,
    /// The bound the invariant held it to, in nanoseconds.
    pub bound_ns: u64,
    /// Which clock timed it: `"virtual"` (a paused runtime clock, which
    /// moves only when every task waits: the figures are the timer's logic,
    /// not the machine's) or `"real"`.
    pub clock: &'static str,
}

/// A strategy on one runtime: the one adapter the suite, the benches and the
/// lab all drive it through.
///
/// Implemented once per strategy crate and runtime in [`subjects`](mod@subjects); the
/// implementation only translates: it hands the work the stop its strategy
/// has and calls the strategy crate's own function. Every method is generic
/// over the work, so the benches' work is compiled straight into the
/// strategy's call and the timed interval holds nothing else.
pub trait Subject<R: Runtime>: 'static {
    /// Which strategy this is.
    const KIND: StrategyKind;

    /// The name in verdicts: the registry's, unless a stand-in strategy of
    /// a test (one the registry does not list) says otherwise.
    const NAME: &'static str = Self::KIND.name();

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
    /// down (the reliability tests' `shutdown.rs` holds each to its docs),
    /// each task costs a thread (the benches cap its fanout), and the stop
    /// reaches it through a flag it checks, not a wake-up (its floor).
    const ON_BLOCKING_THREADS: bool = false;

    /// Whether [`Group`](Subject::Group) is one signal that stops every task
    /// of a group at once (a parent token, a shared channel or flag), or,
    /// for strategies that have none, a loop of one stop per handle.
    const GROUP_SIGNAL: bool;

    /// Which timer [`run_with_timeout`](Subject::run_with_timeout)'s
    /// deadline comes from: the runtime's, unless the subject is a
    /// [`Precise`] one.
    const TIMER: TimerSource = TimerSource::Runtime;

    /// The handle `start` returns for work with output `T`.
    type Handle<T: Send + 'static>: CancelHandle<Output = T>;

    /// What stops a group of tasks: see [`GROUP_SIGNAL`](Subject::GROUP_SIGNAL).
    type Group: Send + Sync + 'static;

    /// Runs `work` with a timeout, the strategy's way.
    fn run_with_timeout<W: Play>(
        rt: &R::Handle,
        timeout: Duration,
        work: W,
    ) -> impl Future<Output = Result<Outcome<W::Output>, Error>> + Send;

    /// Runs `work` until it completes or `until` does, the strategy's way:
    /// [`run_with_timeout`](Subject::run_with_timeout) with any future as
    /// its deadline (the strategy crate's `run_until`). [`Precise`] runs
    /// every case through it with `cancel_timer::tokio::sleep` as the deadline.
    fn run_until<W: Play, U: Future<Output = ()> + Send + 'static>(
        rt: &R::Handle,
        until: U,
        work: W,
    ) -> impl Future<Output = Result<Outcome<W::Output>, Error>> + Send;

    /// Starts `work` in the background, the strategy's way. Called from
    /// inside [`Runtime::block_on`].
    fn start<W: Play>(rt: &R::Handle, work: W) -> Self::Handle<W::Output>;

    /// A fresh group signal.
    fn group() -> Self::Group;

    /// Starts `work` like [`start`](Subject::start), stopped with `group`.
    fn start_in<W: Play>(rt: &R::Handle, group: &Self::Group, work: W) -> Self::Handle<W::Output>;

    /// Stops every task of `group`: its one signal, or one `request_stop`
    /// per handle where the strategy has no signal that reaches a group.
    fn stop_group<T: Send + 'static>(group: &Self::Group, handles: &[Self::Handle<T>]);

    /// The "am I stopped?" check cooperative work makes, read from `group`'s
    /// signal (a token's `is_cancelled`, a flag, a channel's state), or
    /// `None` for strategies whose work checks nothing (it is stopped from
    /// outside). The benches time it in a hot loop (`checkpoint_cost`).
    fn checkpoint(group: &Self::Group) -> Option<bool>;
}

/// What a strategy on a runtime is, as the lab and the benches need to know
/// it without its types: its adapter's constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// The declared capabilities.
    pub capabilities: Capabilities,
    /// [`Subject::ON_BLOCKING_THREADS`].
    pub on_blocking_threads: bool,
    /// [`Subject::GROUP_SIGNAL`].
    pub group_signal: bool,
    /// Whether its work checks a signal ([`Subject::checkpoint`] is `Some`).
    pub checks: bool,
}

/// The [`Facts`] of `strategy` on `runtime`.
pub fn facts(strategy: StrategyKind, runtime: RuntimeKind) -> Facts {
    struct Get;
    impl Visit for Get {
        type Output = Facts;
        fn visit<S: Subject<R>, R: Runtime>(self) -> Facts {
            Facts {
                capabilities: S::CAPABILITIES,
                on_blocking_threads: S::ON_BLOCKING_THREADS,
                group_signal: S::GROUP_SIGNAL,
                checks: S::checkpoint(&S::group()).is_some(),
            }
        }
    }
    visit(strategy, runtime, Get)
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
        strategy: S::NAME,
        runtime: R::KIND.name(),
        timer: S::TIMER.name(),
        case: case.name(),
        declared: None,
        observed: None,
        pass: true,
        detail: String::new(),
        lateness: None,
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
    verdict.lateness = observation.lateness;
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
    /// The strategy.
    pub strategy: StrategyKind,
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

/// Something to do with one strategy on one runtime, chosen at run time:
/// [`visit`] calls [`visit`](Visit::visit) with the matching subject and
/// runtime types.
pub trait Visit {
    /// What the visit returns.
    type Output;

    /// Does the work for subject `S` on runtime `R`.
    fn visit<S: Subject<R>, R: Runtime>(self) -> Self::Output;
}

/// Calls `visitor` with the subject of `strategy` and the runtime
/// `runtime`. The `match` is made from the registry and is exhaustive: a
/// strategy or runtime without its adapter does not compile.
pub fn visit<V: Visit>(strategy: StrategyKind, runtime: RuntimeKind, visitor: V) -> V::Output {
    cancel_harness::strategies!(visit_strategy, visitor strategy runtime)
}

macro_rules! visit_strategy {
    ($v:ident $s:ident $r:ident; $($variant:ident $name:ident $doc:literal),* $(,)?) => {
        match $s {
            $(StrategyKind::$variant => cancel_harness::runtimes!(visit_runtime, $v $r $variant),)*
        }
    };
}
use visit_strategy;

macro_rules! visit_runtime {
    ($v:ident $r:ident $strategy:ident; $($variant:ident $module:ident),* $(,)?) => {
        match $r {
            $(RuntimeKind::$variant => {
                $v.visit::<subjects::$strategy, cancel_harness::runtime::$variant>()
            })*
        }
    };
}
use visit_runtime;

/// Every strategy × runtime, in report order: strategies as
/// [`StrategyKind::ALL`] lists them, each on every runtime.
pub fn matrix() -> Vec<Entry> {
    struct RunFn;
    impl Visit for RunFn {
        type Output = fn(Case) -> Verdict;
        fn visit<S: Subject<R>, R: Runtime>(self) -> Self::Output {
            run_case::<S, R>
        }
    }
    StrategyKind::ALL
        .iter()
        .flat_map(|&strategy| {
            RuntimeKind::ALL.into_iter().map(move |runtime| Entry {
                strategy,
                runtime,
                run: visit(strategy, runtime, RunFn),
            })
        })
        .collect()
}

#[doc(hidden)]
pub mod __private {
    pub use cancel_harness;
}

/// Emits one `#[test]` per case × strategy × runtime, named
/// `<strategy>::<runtime>::<case>`, each failing with the verdict's detail.
/// Strategies and runtimes come from the registry.
///
/// ```
/// // In a test crate: one `#[test]` per case × strategy × runtime.
/// cancel_conformance::suite_tests!();
/// # fn main() {
/// #     assert_eq!(select::tokio_current_thread::EMITTED, cancel_conformance::Case::ALL.len());
/// # }
/// ```
#[macro_export]
macro_rules! suite_tests {
    () => {
        $crate::__private::cancel_harness::strategies!([$crate::__suite_strategies]);
    };
}

/// [`suite_tests!`] with the precise timer: one `#[test]` per case ×
/// strategy × runtime for [`Precise`]`<subject>`, named
/// `<strategy>::<runtime>::<case>` (put it in a module or a test crate of
/// its own).
#[macro_export]
macro_rules! precise_suite_tests {
    () => {
        $crate::__private::cancel_harness::strategies!([$crate::__precise_suite_strategies]);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __precise_suite_strategies {
    ($($variant:ident $name:ident $doc:literal),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($name), "` with the precise timer: ", $doc, ".")]
            pub mod $name {
                $crate::__private::cancel_harness::runtimes!([$crate::__precise_suite_runtimes], $variant);
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __precise_suite_runtimes {
    ($strategy:ident; $($variant:ident $module:ident),* $(,)?) => {
        $(
            #[doc = concat!("On ", stringify!($module), ".")]
            pub mod $module {
                $crate::__suite_runtime_cases!($crate::Precise<$crate::subjects::$strategy>, $variant);
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_strategies {
    ($($variant:ident $name:ident $doc:literal),* $(,)?) => {
        $(
            #[doc = concat!("The conformance tests of `", stringify!($name), "`: ", $doc, ".")]
            pub mod $name {
                $crate::__private::cancel_harness::runtimes!([$crate::__suite_runtimes], $variant);
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_runtimes {
    ($strategy:ident; $($variant:ident $module:ident),* $(,)?) => {
        $(
            #[doc = concat!("On ", stringify!($module), ".")]
            pub mod $module {
                $crate::__suite_runtime_cases!($crate::subjects::$strategy, $variant);
            }
        )*
    };
}

/// Every case, for one subject on one runtime.
#[doc(hidden)]
#[macro_export]
macro_rules! __suite_runtime_cases {
    ($subject:ty, $variant:ident) => {
        $crate::__suite_cases!(
            $subject,
            $variant,
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
            interrupts_blocking,
            leaves_blocking_running,
            cancel_on_handle_drop,
            needs_cooperation,
            drop_runs_on_force,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite_cases {
    ($subject:ty, $runtime:ident, $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::check::<$subject, $crate::__private::cancel_harness::runtime::$runtime>(
                    stringify!($case),
                );
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
/// for long modes). Strategies and runtimes come from the registry, so a new
/// strategy is tested without touching the test files:
///
/// ```
/// use cancel_conformance::{Subject, StrategyKind};
/// use cancel_harness::runtime::Runtime;
///
/// fn named<S: Subject<R>, R: Runtime>() {
///     assert!(StrategyKind::ALL.contains(&S::KIND));
/// }
///
/// // `select::tokio_current_thread`, `select::smol`, … each call `named`.
/// cancel_conformance::matrix_tests!(named, #[ignore]);
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! matrix_tests {
    ($check:ident $(, #[$attr:meta])* $(,)?) => {
        $crate::__private::cancel_harness::strategies!(
            [$crate::__matrix_strategies], $check [$(#[$attr])*]
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __matrix_strategies {
    ($check:ident $attrs:tt; $($variant:ident $name:ident $doc:literal),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($check), "` for `", stringify!($name), "` on every runtime.")]
            mod $name {
                $crate::__private::cancel_harness::runtimes!(
                    [$crate::__matrix_runtimes], $check $variant $attrs
                );
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __matrix_runtimes {
    ($check:ident $strategy:ident $attrs:tt; $($variant:ident $module:ident),* $(,)?) => {
        $(
            $crate::__matrix_test!($attrs $check $strategy $variant $module);
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __matrix_test {
    ([$($attr:tt)*] $check:ident $strategy:ident $variant:ident $module:ident) => {
        #[test]
        $($attr)*
        fn $module() {
            super::$check::<
                $crate::subjects::$strategy,
                $crate::__private::cancel_harness::runtime::$variant,
            >();
        }
    };
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
