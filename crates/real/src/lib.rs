//! Real work under every strategy: a socket read from a slow peer, a wait
//! on a child process, a long SQLite query and a large file write, each
//! run by every strategy on every runtime through the suite's adapter
//! ([`cancel_conformance::Subject`]), cancelled part way, and observed from
//! outside: did the stop reach the resource, and how soon?
//!
//! Each workload implements [`cancel_conformance::Play`] in the three forms
//! the strategies take, written as a user of that form would write it:
//!
//! - `forced` (select, abort, abortable): a plain future, stopped by being
//!   dropped, so what happens to the resource is what its `Drop` does;
//! - `until` (channel, token, scope): a future that listens to the stop and
//!   releases the resource itself when it comes;
//! - `blocking` (thread): blocking code on a thread that registers an
//!   on-stop hook ([`cancel_conformance::Stop::on_stop`]) to make its
//!   blocking call return.
//!
//! [`observe`] runs one workload × strategy × runtime and returns a [`Row`]:
//! what was observed, whether it is what the strategy's form predicts (the
//! verdict), and the latency from the cancel to the resource's release,
//! each sample beside the same interval of the bare mechanism (the floor).

pub mod child;
pub mod file;
pub mod http;
pub mod query;
pub mod shutdown;
pub mod tcp;

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use cancel_conformance::{Subject, Visit, visit};
use cancel_harness::runtime::{Clock, Runtime, RuntimeHandle};
pub use cancel_harness::{RuntimeKind, StrategyKind};

/// How a strategy's work is written, which decides what its stop can do to
/// a resource the work holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A plain future stopped from outside by being dropped (`select`,
    /// `abort`, `abortable`): the resource gets what its `Drop` does, and
    /// nothing that needs an `.await`.
    Forced,
    /// A future that listens to the stop and releases the resource itself
    /// (`channel`, `token`, `scope`), awaiting whatever that takes.
    Cooperative,
    /// Blocking code on a thread (`thread`): it checks a flag between calls
    /// and registers an on-stop hook to make a call that cannot check
    /// return.
    Blocking,
}

impl Form {
    /// The form of `S`'s work on `R`, read from its adapter: work on
    /// blocking threads is blocking, work that checks a signal is
    /// cooperative, the rest is stopped from outside.
    pub fn of<S: Subject<R>, R: Runtime>() -> Form {
        if S::ON_BLOCKING_THREADS {
            Form::Blocking
        } else if S::checkpoint(&S::group()).is_some() {
            Form::Cooperative
        } else {
            Form::Forced
        }
    }

    /// The name in details: `forced`, `cooperative`, `blocking`.
    pub const fn name(self) -> &'static str {
        match self {
            Form::Forced => "forced",
            Form::Cooperative => "cooperative",
            Form::Blocking => "blocking",
        }
    }
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How long any one wait of a workload may take before the row fails
/// instead of hanging: a connection the peer never sees closed, a child
/// that never goes, a query that never returns.
pub const WAIT_LIMIT: Duration = Duration::from_secs(10);

/// The real workloads, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Workload {
    /// Framed reads on a loopback TCP connection from a peer that sends
    /// slowly; released when the peer sees the connection closed.
    Tcp,
    /// A wait on a child process that would run for seconds; released when
    /// the child is killed and reaped.
    Child,
    /// A long SQLite query (a recursive CTE); released when the query has
    /// returned.
    Query,
    /// A large file written in chunks through the runtime's file API;
    /// observed for what is left on disk.
    File,
    /// A hyper handler waiting for work it started, its client hanging up;
    /// released when the work stops with the dropped handler.
    Http,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 5] = [
        Workload::Tcp,
        Workload::Child,
        Workload::Query,
        Workload::File,
        Workload::Http,
    ];

    /// The name in reports and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Workload::Tcp => "tcp",
            Workload::Child => "child",
            Workload::Query => "query",
            Workload::File => "file",
            Workload::Http => "http",
        }
    }

    /// The workload with this name.
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What one workload did under one strategy on one runtime.
#[derive(Debug, Clone)]
pub struct Row {
    /// The workload.
    pub workload: Workload,
    /// The strategy that ran it.
    pub strategy: StrategyKind,
    /// The runtime it ran on.
    pub runtime: RuntimeKind,
    /// `None` when the workload ran here; the reason when it does not apply
    /// (the row reads `n/a`).
    pub not_applicable: Option<String>,
    /// What happened to the resource after the cancel, in a few words
    /// ("peer saw EOF", "child reaped", "query interrupted", "returned; the
    /// query ran on 48 ms").
    pub outcome: String,
    /// Whether the cancel released the resource (connection closed, child
    /// gone, query ended) before the strategy's stop returned or within a
    /// bound after it.
    pub released: bool,
    /// The verdict: what was observed is what the strategy's form predicts.
    pub pass: bool,
    /// What was observed, in words and figures.
    pub detail: String,
    /// Cancel → resource released, one entry per sample (empty when the
    /// workload has no release to time).
    pub latency: Vec<Duration>,
    /// The floor's name (`tcp_close`, `child_kill`, `query_interrupt`), or
    /// `None` when the workload has no latency.
    pub floor: Option<&'static str>,
    /// The floor's interval sampled beside each latency sample: the bare
    /// mechanism with no strategy around it.
    pub floor_samples: Vec<Duration>,
}

impl Row {
    /// A row for `workload` run by `S` on `R`, with nothing observed yet:
    /// not released, not passed, no samples.
    pub fn ran<S: Subject<R>, R: Runtime>(workload: Workload) -> Row {
        Row {
            workload,
            strategy: S::KIND,
            runtime: R::KIND,
            not_applicable: None,
            outcome: String::new(),
            released: false,
            pass: false,
            detail: String::new(),
            latency: Vec::new(),
            floor: None,
            floor_samples: Vec::new(),
        }
    }

    /// A row that could not be observed: it fails, saying why.
    pub fn failed<S: Subject<R>, R: Runtime>(workload: Workload, why: impl Into<String>) -> Row {
        let why = why.into();
        Row {
            outcome: "not observed".to_owned(),
            detail: why,
            ..Row::ran::<S, R>(workload)
        }
    }

    /// A row for a workload that does not apply to this strategy × runtime.
    pub fn not_applicable<S: Subject<R>, R: Runtime>(workload: Workload, why: &str) -> Row {
        Row {
            workload,
            strategy: S::KIND,
            runtime: R::KIND,
            not_applicable: Some(why.to_owned()),
            outcome: "n/a".to_owned(),
            released: false,
            pass: true,
            detail: why.to_owned(),
            latency: Vec::new(),
            floor: None,
            floor_samples: Vec::new(),
        }
    }
}

/// Runs `workload` under `strategy` on `runtime`, `samples` cancels (at
/// least one), and returns what was observed.
pub fn observe(
    workload: Workload,
    strategy: StrategyKind,
    runtime: RuntimeKind,
    samples: usize,
) -> Row {
    struct Observe(Workload, usize);
    impl Visit for Observe {
        type Output = Row;
        fn visit<S: Subject<R>, R: Runtime>(self) -> Row {
            let Observe(workload, samples) = self;
            let samples = samples.max(1);
            match workload {
                Workload::Tcp => tcp::observe::<S, R>(samples),
                Workload::Child => child::observe::<S, R>(samples),
                Workload::Query => query::observe::<S, R>(samples),
                Workload::File => file::observe::<S, R>(samples),
                Workload::Http => http::observe::<S, R>(samples),
            }
        }
    }
    visit(strategy, runtime, Observe(workload, samples))
}

/// A fresh runtime `R` on real time: real resources run on the machine's
/// clock, never on a paused one.
pub(crate) fn runtime<R: Runtime>() -> Result<R, String> {
    R::build(Clock::Real).map_err(|e| format!("could not build the {} runtime: {e}", R::KIND))
}

/// Takes `samples` figures, each beside a floor: the floor before the
/// figure on even turns and after it on odd ones, so neither always runs
/// on a machine the other just warmed. Stops at the first error.
pub(crate) fn beside<T>(
    samples: usize,
    mut figure: impl FnMut() -> Result<T, String>,
    mut floor: impl FnMut() -> Result<Duration, String>,
) -> Result<(Vec<T>, Vec<Duration>), String> {
    let mut figures = Vec::with_capacity(samples);
    let mut floors = Vec::with_capacity(samples);
    for turn in 0..samples {
        if turn % 2 == 0 {
            floors.push(floor()?);
            figures.push(figure()?);
        } else {
            figures.push(figure()?);
            floors.push(floor()?);
        }
    }
    Ok((figures, floors))
}

/// Yields to the runtime until `done` says so, for at most [`WAIT_LIMIT`]:
/// `false` when the limit passed first.
pub(crate) async fn yield_until<H: RuntimeHandle>(rt: &H, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > WAIT_LIMIT {
            return false;
        }
        rt.yield_now().await;
    }
    true
}

/// Awaits `fut` for at most [`WAIT_LIMIT`] on the runtime's own timer.
pub(crate) async fn bounded<H: RuntimeHandle, F: Future + Send>(
    rt: &H,
    what: &str,
    fut: F,
) -> Result<F::Output, String> {
    rt.timeout(WAIT_LIMIT, fut)
        .await
        .ok_or_else(|| format!("{what} took longer than {WAIT_LIMIT:?}"))
}
