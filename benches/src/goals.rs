//! `cancel-scope` against tokio-util's `CancellationToken`, measured in one
//! process, figure by figure, as ratios `scope ÷ token`: the goals the scope
//! was built to meet. The `goals` bench prints the table; `bytes_per_task`
//! prints the bytes per child token (it alone may count allocations).
//!
//! Each comparison builds both sides the same way and alternates them, run
//! by run, so drift of a shared machine falls on both.

use std::time::Duration;

use cancel_conformance::{RuntimeKind, StrategyKind};
use cancel_harness::probe::live_bytes;
use cancel_scope::CancelScope;
use cancel_token::CancellationToken;

use crate::checkpoint::{Check, hot_loop};
use crate::{Measure, Target, measure};

/// How much to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effort {
    /// Checks per timed loop of `checkpoint_cost`.
    pub checks: u64,
    /// Timed loops per check (the median is kept).
    pub loops: usize,
    /// Tasks in the fanout.
    pub fanout: usize,
    /// Fanouts per side (the median is kept).
    pub fanouts: usize,
    /// Stops per side for the latency percentiles.
    pub stops: u64,
}

impl Effort {
    /// What `cargo bench` measures: the goals' own sizes.
    pub const BENCH: Effort = Effort {
        checks: 10_000_000,
        loops: 11,
        fanout: 100_000,
        fanouts: 7,
        stops: 2_000,
    };

    /// What `cargo test --benches` runs: enough to check that it works.
    pub const TEST: Effort = Effort {
        checks: 10_000,
        loops: 3,
        fanout: 1_000,
        fanouts: 1,
        stops: 20,
    };
}

/// One figure of both tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What is compared.
    pub figure: String,
    /// The runtime, where the figure depends on one.
    pub runtime: Option<RuntimeKind>,
    /// tokio-util's figure, in nanoseconds.
    pub token: f64,
    /// cancel-scope's figure, in nanoseconds.
    pub scope: f64,
    /// The goal: `scope ÷ token` at most this.
    pub goal: f64,
    /// The same figure with no token at all (the `abort` strategy), where
    /// that shows what the runtime itself costs, in nanoseconds.
    pub no_token: Option<f64>,
}

impl Row {
    /// `scope ÷ token`.
    pub fn ratio(&self) -> f64 {
        self.scope / self.token.max(f64::MIN_POSITIVE)
    }

    /// Whether the ratio meets the goal.
    pub fn met(&self) -> bool {
        self.ratio() <= self.goal
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    // Nearest rank: the smallest sample with at least p of them at or below.
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied().unwrap_or_default()
}

fn ns(d: Duration) -> f64 {
    d.as_secs_f64() * 1e9
}

/// One check's cost in nanoseconds, the median of `effort.loops` timed loops.
fn per_check(check: Check, effort: Effort) -> f64 {
    let per_loop: Vec<Duration> = (0..effort.loops)
        .map(|_| hot_loop(check, effort.checks))
        .collect();
    // Checks per loop are far below 2^52: the conversion is exact.
    ns(median(per_loop)) / effort.checks as f64
}

/// The checkpoint rows: one check uncontended, and with a second thread
/// checking the same token.
pub fn checkpoint_rows(effort: Effort) -> Vec<Row> {
    // Alternate the sides, as everywhere.
    // The check is the same code on every runtime; the first runtime's ids.
    let on = |strategy| Check::Of(Target::new(strategy, RuntimeKind::ALL[0]));
    let token = per_check(on(StrategyKind::Token), effort);
    let scope = per_check(on(StrategyKind::Scope), effort);
    let token2 = per_check(Check::TokenTwoThreads, effort);
    let scope2 = per_check(Check::ScopeTwoThreads, effort);
    vec![
        Row {
            figure: "checkpoint_cost, one thread".into(),
            runtime: None,
            token,
            scope,
            goal: 0.1,
            no_token: None,
        },
        Row {
            figure: "checkpoint_cost, two threads on one token".into(),
            runtime: None,
            token: token2,
            scope: scope2,
            goal: 1.0 / 50.0,
            no_token: None,
        },
    ]
}

/// The fanout rows on `runtime`: all N stopped and joined, and the time the
/// parent's `cancel()` call blocked its caller, from the same fanouts.
pub fn fanout_rows(runtime: RuntimeKind, effort: Effort) -> Vec<Row> {
    let mut token = measure(Target::new(StrategyKind::Token, runtime));
    let mut scope = measure(Target::new(StrategyKind::Scope, runtime));
    // The runtime's own share: the same fanout stopped by `abort`, no token.
    let mut abort = measure(Target::new(StrategyKind::Abort, runtime));
    let (mut t_all, mut t_call, mut s_all, mut s_call) = (vec![], vec![], vec![], vec![]);
    let mut a_all = vec![];
    for _ in 0..effort.fanouts {
        let t = token.fanout_times(effort.fanout);
        let s = scope.fanout_times(effort.fanout);
        a_all.push(abort.fanout_times(effort.fanout).all_stopped);
        t_all.push(t.all_stopped);
        t_call.push(t.stop_call);
        s_all.push(s.all_stopped);
        s_call.push(s.stop_call);
    }
    let n = effort.fanout;
    vec![
        Row {
            figure: format!("fanout/{n}: all stopped and joined"),
            runtime: Some(runtime),
            token: ns(median(t_all)),
            scope: ns(median(s_all)),
            goal: 0.5,
            no_token: Some(ns(median(a_all))),
        },
        Row {
            figure: format!("fanout/{n}: the cancel() call"),
            runtime: Some(runtime),
            token: ns(median(t_call)),
            scope: ns(median(s_call)),
            goal: 0.25,
            no_token: None,
        },
    ]
}

/// The latency rows on `runtime`: cancel → the waiting task ran (its
/// `Drop`), p50 and p99 of `effort.stops` stops each.
pub fn latency_rows(runtime: RuntimeKind, effort: Effort) -> Vec<Row> {
    let mut token = measure(Target::new(StrategyKind::Token, runtime));
    let mut scope = measure(Target::new(StrategyKind::Scope, runtime));
    let (mut t, mut s) = (Vec::new(), Vec::new());
    // Alternate in batches, so both sides see the same machine.
    let batch = effort.stops.div_ceil(10).max(1);
    let mut left = effort.stops;
    while left > 0 {
        let k = batch.min(left);
        t.extend(stopped(token.as_mut(), k));
        s.extend(stopped(scope.as_mut(), k));
        left -= k;
    }
    t.sort_unstable();
    s.sort_unstable();
    [("p50", 0.5), ("p99", 0.99)]
        .into_iter()
        .map(|(name, p)| Row {
            figure: format!("cancel_to_stopped {name}"),
            runtime: Some(runtime),
            token: ns(percentile(&t, p)),
            scope: ns(percentile(&s, p)),
            goal: 1.0,
            no_token: None,
        })
        .collect()
}

fn stopped(m: &mut dyn Measure, samples: u64) -> impl Iterator<Item = Duration> {
    m.cancel(samples).into_iter().map(|s| s.stopped)
}

/// Every timed row: checkpoints, then per runtime the fanout and latency rows.
pub fn rows(effort: Effort) -> Vec<Row> {
    let mut rows = checkpoint_rows(effort);
    for runtime in RuntimeKind::ALL {
        rows.extend(fanout_rows(runtime, effort));
        rows.extend(latency_rows(runtime, effort));
    }
    rows
}

/// The rows as a Markdown table.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| figure | runtime | tokio-util | cancel-scope | scope ÷ token | goal | met | no token (`abort`) |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.3} | ≤ {} | {} | {} |\n",
            r.figure,
            r.runtime.map_or("any", RuntimeKind::name),
            show(r.token),
            show(r.scope),
            r.ratio(),
            goal_text(r.goal),
            if r.met() { "yes" } else { "**no**" },
            r.no_token.map_or_else(String::new, show),
        ));
    }
    out
}

/// Nanoseconds with a unit and three significant figures or so.
fn show(ns: f64) -> String {
    match ns {
        n if n < 10.0 => format!("{n:.2} ns"),
        n if n < 1e3 => format!("{n:.1} ns"),
        n if n < 1e6 => format!("{:.1} µs", n / 1e3),
        n => format!("{:.2} ms", n / 1e6),
    }
}

fn goal_text(goal: f64) -> String {
    if goal >= 1.0 {
        format!("{goal}")
    } else {
        format!("1/{}", (1.0 / goal).round())
    }
}

/// Which token a child-bytes figure is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// tokio-util's `CancellationToken::child_token`.
    TokioUtil,
    /// cancel-scope's `CancelScope::child`.
    Scope,
}

/// Heap bytes one child token costs: `n` children of one parent are made
/// and held, and the live heap they added is divided by `n`. The `Vec`
/// holding the handles is allocated before counting (both handles are one
/// pointer), so the figure is the child's own allocation plus its share of
/// the parent's list. `None` unless
/// [`CountingAlloc`](cancel_harness::probe::CountingAlloc) is the global
/// allocator.
pub fn child_token_bytes(token: Token, n: usize) -> Option<f64> {
    let per_child = |before: i64, after: i64| (after - before) as f64 / n.max(1) as f64;
    match token {
        Token::TokioUtil => {
            let parent = CancellationToken::new();
            let mut held = Vec::with_capacity(n);
            let before = live_bytes()?;
            held.extend((0..n).map(|_| parent.child_token()));
            let after = live_bytes()?;
            Some(per_child(before, after))
        }
        Token::Scope => {
            let parent = CancelScope::new();
            let mut held = Vec::with_capacity(n);
            let before = live_bytes()?;
            held.extend((0..n).map(|_| parent.child()));
            let after = live_bytes()?;
            Some(per_child(before, after))
        }
    }
}
