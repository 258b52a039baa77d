//! The scenarios cancel-lab measures, written once: the criterion benches in
//! `benches/` wire them into groups, and the lab can call the very same
//! functions to sample latencies into histograms, so the two never disagree.
//!
//! # What is measured
//!
//! `benches/README.md` ("Metrics and floors") defines each metric and floor
//! for readers of the figures; here is where each is computed.
//!
//! | metric | function | from → to |
//! |---|---|---|
//! | `cancel_to_stopped` | [`Measure::cancel`] → [`CancelSample::stopped`] | stop issued → the work's `Drop` ran (a [`Mark`](cancel_harness::probe::Mark) set inside that `Drop`) |
//! | `cancel_to_confirmed` | [`Measure::cancel`] → [`CancelSample::confirmed`] | stop issued → `cancel().await` returned |
//! | `timeout_overshoot` | [`Measure::timeout_overshoot`] | deadline → `run_with_timeout` (the runtime's timer) or `run_until` with `cancel_timer::tokio::sleep` (the precise one) returned `TimedOut`, per [`Timer`] |
//! | `wrap_overhead` | [`Measure::wrap_overhead`] | `run_with_timeout` of a ready future minus awaiting it directly |
//! | `fanout/N` | [`Measure::fanout`] | one stop to N tasks → all N stopped and joined |
//! | bytes per task | [`Measure::live_bytes_per_task`] | live heap with N parked tasks, divided by N |
//! | `checkpoint_cost` | [`checkpoint::hot_loop`] | one "am I cancelled?" check in a hot loop |
//! | floors | [`floors`] | per runtime: a bare task's stop and join, a blocking pool's join, each timer source's bare sleep; an atomic store → spinner |
//! | rounds, ratios, noise | [`rounds`] | every figure ÷ its floor round by round; what may be claimed |
//!
//! # How the work waits
//!
//! Every latency is taken with the work **already running and parked**: it
//! has been polled, has returned `Pending` at its strategy's wait point (the
//! pending future a `select` or `abort` drops, `token.cancelled()`, the stop
//! channel), the canceller has seen it say so, and has then waited
//! [`SETTLE`] more so that the threads involved have gone to sleep, as they
//! would have in a program where the stop comes much later. Work of the
//! `thread` strategy cannot park on its flag (a `StopFlag` is an
//! `AtomicBool`: nothing wakes a thread when it is set), so it checks the
//! flag in a loop that yields the CPU between checks: the best case of that
//! strategy, whose matching floor is an atomic store seen by a spinning
//! thread. Real blocking work sees its flag only at its next check.
//!
//! # Example
//!
//! ```
//! use cancel_benches::{Target, measure};
//! use cancel_conformance::{RuntimeKind, StrategyKind};
//!
//! let mut m = measure(Target::new(StrategyKind::Token, RuntimeKind::TokioCurrentThread));
//! let samples = m.cancel(3);
//! assert_eq!(samples.len(), 3);
//! assert!(samples.iter().all(|s| s.stopped <= s.confirmed));
//! ```

pub mod checkpoint;
pub mod floors;
pub mod goals;
pub mod rounds;
mod scenario;
mod work;

use std::time::{Duration, Instant};

use cancel_conformance::{RuntimeKind, StrategyKind, Subject, Visit, facts, visit};
use cancel_harness::runtime::Runtime;

pub use cancel_conformance::TimerSource;
pub use scenario::Measure;

/// A latency the lab samples into histograms (see "What is measured" in the
/// crate docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Stop issued → the work's `Drop` ran.
    CancelToStopped,
    /// Stop issued → the canceller's `cancel().await` returned.
    CancelToConfirmed,
    /// Deadline → the timeout returned `TimedOut`, with this timer.
    TimeoutOvershoot(Timer),
}

impl Metric {
    /// Every sampled metric, in report order: the cancels, then the
    /// timeouts of every [`Timer`].
    pub const ALL: [Metric; 6] = [
        Metric::CancelToStopped,
        Metric::CancelToConfirmed,
        Metric::TimeoutOvershoot(Timer::ALL[0]),
        Metric::TimeoutOvershoot(Timer::ALL[1]),
        Metric::TimeoutOvershoot(Timer::ALL[2]),
        Metric::TimeoutOvershoot(Timer::ALL[3]),
    ];

    /// The name used by criterion's groups and the lab's report (one for
    /// every timer: the timer is a field of its own).
    pub const fn name(self) -> &'static str {
        match self {
            Metric::CancelToStopped => "cancel_to_stopped",
            Metric::CancelToConfirmed => "cancel_to_confirmed",
            Metric::TimeoutOvershoot(_) => "timeout_overshoot",
        }
    }

    /// The timer of a timeout metric.
    pub const fn timer(self) -> Option<Timer> {
        match self {
            Metric::TimeoutOvershoot(t) => Some(t),
            Metric::CancelToStopped | Metric::CancelToConfirmed => None,
        }
    }
}

/// How far ahead a timeout's deadline is: `timeout_overshoot` is taken at
/// both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Deadline {
    /// [`OVERSHOOT_DEADLINE`], 100 µs: a tenth of tokio's tick, so the
    /// figure shows each timer's granularity.
    Micros100,
    /// 1 ms: one tick of tokio's wheel, a deadline it can hold, rounded up
    /// all the same.
    Millis1,
}

impl Deadline {
    /// Both, nearer first.
    pub const ALL: [Deadline; 2] = [Deadline::Micros100, Deadline::Millis1];

    /// How far ahead.
    pub const fn duration(self) -> Duration {
        match self {
            Deadline::Micros100 => OVERSHOOT_DEADLINE,
            Deadline::Millis1 => Duration::from_millis(1),
        }
    }

    /// For people: `100 µs`, `1 ms`.
    pub const fn label(self) -> &'static str {
        match self {
            Deadline::Micros100 => "100 µs",
            Deadline::Millis1 => "1 ms",
        }
    }

    /// The suffix of ids and floor names: none for 100 µs (the deadline
    /// the ids had before there were two), `/1ms`.
    pub const fn suffix(self) -> &'static str {
        match self {
            Deadline::Micros100 => "",
            Deadline::Millis1 => "/1ms",
        }
    }
}

/// A timeout's timer: where its deadline comes from and how far ahead it
/// is, the timer dimension of `timeout_overshoot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timer {
    /// The runtime's own timer (through the strategy's
    /// `run_with_timeout`), or `cancel-timer`'s (through its `run_until`
    /// with `cancel_timer::tokio::sleep` as the deadline).
    pub source: TimerSource,
    /// How far ahead the deadline is.
    pub deadline: Deadline,
}

impl Timer {
    /// Every timer, in report order: per deadline, the runtime's then the
    /// precise one.
    pub const ALL: [Timer; 4] = [
        Timer::new(TimerSource::Runtime, Deadline::Micros100),
        Timer::new(TimerSource::Precise, Deadline::Micros100),
        Timer::new(TimerSource::Runtime, Deadline::Millis1),
        Timer::new(TimerSource::Precise, Deadline::Millis1),
    ];

    /// `source` to `deadline`.
    pub const fn new(source: TimerSource, deadline: Deadline) -> Timer {
        Timer { source, deadline }
    }

    /// The suffix of ids and floor names: none for the runtime's timer at
    /// 100 µs, `/precise` for cancel-timer's, then the deadline's
    /// (`/precise/1ms`).
    pub fn suffix(self) -> String {
        let source = match self.source {
            TimerSource::Runtime => "",
            TimerSource::Precise => "/precise",
        };
        format!("{source}{}", self.deadline.suffix())
    }
}

/// The fanout sizes for async work.
pub const FANOUT_SIZES: [usize; 6] = [1, 10, 100, 1_000, 10_000, 100_000];

/// The largest fanout measured for the `thread` strategy.
///
/// Each task of `thread` is an OS thread from its runtime's blocking pool,
/// and those pools are capped (tokio: 512 threads by default, the `blocking`
/// crate behind async-std and smol: 500); work beyond the cap queues and
/// never starts while the first threads wait for their stop, so N = 1 000 and
/// up cannot even be set up. On a small machine 100 threads that busy-check
/// their flag already share each core dozens of ways, so 100 is the cap.
pub const THREAD_FANOUT_CAP: usize = 100;

/// How long the canceller waits after the work said it is parked, before it
/// issues the stop: long enough for the threads involved to go to sleep
/// (hundreds of microseconds: every latency is taken from parked work, see
/// "How the work waits" in the crate docs), short enough to keep a sample
/// cheap. The "after park" unpark floor parks its thread this long too.
pub const SETTLE: Duration = Duration::from_micros(200);

/// The nearer deadline of `timeout_overshoot` ([`Deadline::Micros100`]):
/// 100 µs, a tenth of tokio's timer tick, so the figure shows each timer's
/// granularity (tokio rounds up to the next millisecond; async-io's timers
/// and cancel-timer's wake at the deadline) and a sample stays short.
pub const OVERSHOOT_DEADLINE: Duration = Duration::from_micros(100);

/// The deadline `wrap_overhead` passes: far beyond the ready work.
pub const WRAP_DEADLINE: Duration = Duration::from_secs(3600);

/// The fanout sizes measured for `target`: all of [`FANOUT_SIZES`], up to
/// [`THREAD_FANOUT_CAP`] for work on blocking threads.
pub fn fanout_sizes(target: Target) -> Vec<usize> {
    let on_threads = facts(target.strategy, target.runtime).on_blocking_threads;
    FANOUT_SIZES
        .into_iter()
        .filter(|&n| !on_threads || n <= THREAD_FANOUT_CAP)
        .collect()
}

/// One strategy on one runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The strategy.
    pub strategy: StrategyKind,
    /// The runtime.
    pub runtime: RuntimeKind,
}

impl Target {
    /// `strategy` on `runtime`.
    pub const fn new(strategy: StrategyKind, runtime: RuntimeKind) -> Target {
        Target { strategy, runtime }
    }

    /// The benchmark id: `<strategy>/<runtime>`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.strategy, self.runtime)
    }

    /// The benchmark id of its timeouts with `timer`: `<strategy>/<runtime>`
    /// with [`Timer::suffix`] (`select/smol/precise`).
    pub fn timer_id(&self, timer: Timer) -> String {
        format!("{}{}", self.id(), timer.suffix())
    }
}

/// Every strategy × runtime, strategies in report order, then runtimes.
pub fn targets() -> Vec<Target> {
    StrategyKind::ALL
        .iter()
        .flat_map(|&s| RuntimeKind::ALL.into_iter().map(move |r| Target::new(s, r)))
        .collect()
}

/// Builds the runtime of `target` (once: reuse the result for every sample)
/// with its strategy ready to measure, through the strategy's one adapter
/// (`cancel_conformance::subjects`).
///
/// # Panics
///
/// Panics if the runtime cannot be built: a benchmark cannot go on without it.
pub fn measure(target: Target) -> Box<dyn Measure> {
    struct Build;
    impl Visit for Build {
        type Output = Box<dyn Measure>;
        fn visit<S: Subject<R>, R: Runtime>(self) -> Box<dyn Measure> {
            Box::new(scenario::On::<S, R>::build())
        }
    }
    visit(target.strategy, target.runtime, Build)
}

/// One stop of one parked task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelSample {
    /// Stop issued → the work's `Drop` ran (timestamped inside that `Drop`).
    pub stopped: Duration,
    /// Stop issued → the canceller's `cancel().await` returned.
    pub confirmed: Duration,
}

/// One fanout, timed twice from the same stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanoutTimes {
    /// How long the stop call itself blocked the canceller (one parent
    /// `cancel()` for the tokens; N `request_stop`s where there is no group
    /// signal).
    pub stop_call: Duration,
    /// Stop issued → the last of the N tasks joined.
    pub all_stopped: Duration,
}

/// The two halves of one `wrap_overhead` batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrapTimes {
    /// `iters` runs of `run_with_timeout` around a ready future.
    pub wrapped: Duration,
    /// `iters` awaits of the same ready future, unwrapped.
    pub direct: Duration,
}

impl WrapTimes {
    /// What the wrapping cost, at least a nanosecond (noise can make the
    /// difference of two batches negative; criterion needs a positive time).
    pub fn overhead(&self) -> Duration {
        self.wrapped
            .saturating_sub(self.direct)
            .max(Duration::from_nanos(1))
    }
}

/// Busy-waits for `d`, keeping the calling thread on its core.
pub fn spin_for(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// The sum of `samples`, what criterion's `iter_custom` wants back.
pub fn total(samples: impl IntoIterator<Item = Duration>) -> Duration {
    samples.into_iter().sum()
}
