//! `cancel-scope` against tokio-util's `CancellationToken`, measured in one
//! process, figure by figure, as ratios `scope ÷ token`: the goals the scope
//! was built to meet. The `goals` bench prints the table; `bytes_per_task`
//! prints the bytes per child token (it alone may count allocations).
//!
//! Each comparison builds both sides the same way and alternates them, run
//! by run, in [`ROUNDS`] interleaved rounds: each round gives each figure a
//! ratio, and a goal is claimed met (or not met) only when every round's
//! ratio falls on the same side of it; otherwise it is "within noise"
//! ([`Comparison::with_limit`]).

use std::time::Duration;

use cancel_conformance::{RuntimeKind, StrategyKind};
use cancel_harness::probe::live_bytes;
use cancel_scope::CancelScope;
use cancel_token::CancellationToken;

use crate::checkpoint::{Check, hot_loop};
use crate::rounds::{Comparison, ROUNDS, Spread};
use crate::{Measure, Target, measure};

/// How much to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effort {
    /// Interleaved rounds: every figure of both tokens is measured once a
    /// round, and the rounds' ratios are the interval a goal is judged by.
    pub rounds: usize,
    /// Checks per timed loop of `checkpoint_cost`.
    pub checks: u64,
    /// Timed loops per check and round (the median is kept).
    pub loops: usize,
    /// Tasks in the fanout.
    pub fanout: usize,
    /// Fanouts per side and round (the median is kept).
    pub fanouts: usize,
    /// Stops per side and round for the latency percentiles.
    pub stops: u64,
}

impl Effort {
    /// What `cargo bench` measures: the goals' own sizes.
    pub const BENCH: Effort = Effort {
        rounds: ROUNDS,
        checks: 10_000_000,
        loops: 3,
        fanout: 100_000,
        fanouts: 2,
        stops: 400,
    };

    /// What `cargo test --benches` runs: enough to check that it works.
    pub const TEST: Effort = Effort {
        rounds: ROUNDS,
        checks: 10_000,
        loops: 1,
        fanout: 1_000,
        fanouts: 1,
        stops: 4,
    };
}

/// One figure of both tokens, round by round.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What is compared.
    pub figure: String,
    /// The runtime, where the figure depends on one.
    pub runtime: Option<RuntimeKind>,
    /// tokio-util's figure in each round, in nanoseconds.
    pub token: Vec<f64>,
    /// cancel-scope's figure in each round, in nanoseconds.
    pub scope: Vec<f64>,
    /// The goal: `scope ÷ token` at most this.
    pub goal: f64,
    /// The same figure with no token at all (the `abort` strategy) in each
    /// round, where that shows what the runtime itself costs, in nanoseconds.
    pub no_token: Option<Vec<f64>>,
}

impl Row {
    fn new(figure: String, runtime: Option<RuntimeKind>, goal: f64, no_token: bool) -> Row {
        Row {
            figure,
            runtime,
            token: Vec::new(),
            scope: Vec::new(),
            goal,
            no_token: no_token.then(Vec::new),
        }
    }

    /// `scope ÷ token` round by round, with its median, least and greatest.
    pub fn ratio(&self) -> Option<Spread> {
        Spread::of(
            self.token
                .iter()
                .zip(&self.scope)
                .map(|(t, s)| s / t.max(f64::MIN_POSITIVE)),
        )
    }

    /// Whether the goal is met: [`Comparison::Below`] (met) only when every
    /// round's ratio is at most the goal, [`Comparison::Above`] (not met)
    /// only when every round's is above it, else within noise.
    pub fn verdict(&self) -> Comparison {
        self.ratio().map_or(Comparison::WithinNoise, |r| {
            Comparison::with_limit(&r, self.goal)
        })
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
    let per_loop: Vec<Duration> = (0..effort.loops.max(1))
        .map(|_| hot_loop(check, effort.checks))
        .collect();
    // Checks per loop are far below 2^52: the conversion is exact.
    ns(median(per_loop)) / effort.checks as f64
}

/// The two checkpoint rows, empty: one check uncontended, and with a
/// second thread checking the same token.
fn checkpoint_rows() -> Vec<Row> {
    vec![
        Row::new("checkpoint_cost, one thread".into(), None, 0.1, false),
        Row::new(
            "checkpoint_cost, two threads on one token".into(),
            None,
            1.0 / 50.0,
            false,
        ),
    ]
}

/// One round of the checkpoint rows.
fn checkpoint_round(rows: &mut [Row], effort: Effort) {
    // The check is the same code on every runtime; the first runtime's ids.
    let on = |strategy| Check::Of(Target::new(strategy, RuntimeKind::ALL[0]));
    let pairs = [
        (on(StrategyKind::Token), on(StrategyKind::Scope)),
        (Check::TokenTwoThreads, Check::ScopeTwoThreads),
    ];
    for (row, (token, scope)) in rows.iter_mut().zip(pairs) {
        row.token.push(per_check(token, effort));
        row.scope.push(per_check(scope, effort));
    }
}

/// Both tokens on one runtime, and `abort` for the runtime's own share,
/// built once for every round.
struct OnRuntime {
    runtime: RuntimeKind,
    token: Box<dyn Measure>,
    scope: Box<dyn Measure>,
    abort: Box<dyn Measure>,
}

impl OnRuntime {
    fn new(runtime: RuntimeKind) -> OnRuntime {
        OnRuntime {
            runtime,
            token: measure(Target::new(StrategyKind::Token, runtime)),
            scope: measure(Target::new(StrategyKind::Scope, runtime)),
            abort: measure(Target::new(StrategyKind::Abort, runtime)),
        }
    }

    /// The runtime's rows, empty: the fanout (all stopped and joined, and
    /// the `cancel()` call alone), then cancel → the waiting task ran at p50
    /// and p99.
    fn rows(&self, effort: Effort) -> Vec<Row> {
        let n = effort.fanout;
        let rt = Some(self.runtime);
        vec![
            Row::new(format!("fanout/{n}: all stopped and joined"), rt, 0.5, true),
            Row::new(format!("fanout/{n}: the cancel() call"), rt, 0.25, false),
            Row::new("cancel_to_stopped p50".into(), rt, 1.0, false),
            Row::new("cancel_to_stopped p99".into(), rt, 1.0, false),
        ]
    }

    /// One round of [`rows`](OnRuntime::rows): medians of the round's
    /// fanouts (the same fanouts give both fanout rows), percentiles of the
    /// round's stops, both sides alternated.
    fn round(&mut self, rows: &mut [Row], effort: Effort) {
        let (mut t_all, mut t_call, mut s_all, mut s_call) = (vec![], vec![], vec![], vec![]);
        let mut a_all = vec![];
        for _ in 0..effort.fanouts.max(1) {
            let t = self.token.fanout_times(effort.fanout);
            let s = self.scope.fanout_times(effort.fanout);
            a_all.push(self.abort.fanout_times(effort.fanout).all_stopped);
            t_all.push(t.all_stopped);
            t_call.push(t.stop_call);
            s_all.push(s.all_stopped);
            s_call.push(s.stop_call);
        }
        let (mut t, mut s) = (Vec::new(), Vec::new());
        // Alternate in batches, so both sides see the same machine.
        let batch = effort.stops.div_ceil(4).max(1);
        let mut left = effort.stops.max(1);
        while left > 0 {
            let k = batch.min(left);
            t.extend(stopped(self.token.as_mut(), k));
            s.extend(stopped(self.scope.as_mut(), k));
            left -= k;
        }
        t.sort_unstable();
        s.sort_unstable();
        let figures = [
            (
                ns(median(t_all)),
                ns(median(s_all)),
                Some(ns(median(a_all))),
            ),
            (ns(median(t_call)), ns(median(s_call)), None),
            (ns(percentile(&t, 0.5)), ns(percentile(&s, 0.5)), None),
            (ns(percentile(&t, 0.99)), ns(percentile(&s, 0.99)), None),
        ];
        for (row, (token, scope, no_token)) in rows.iter_mut().zip(figures) {
            row.token.push(token);
            row.scope.push(scope);
            if let (Some(v), Some(a)) = (row.no_token.as_mut(), no_token) {
                v.push(a);
            }
        }
    }
}

fn stopped(m: &mut dyn Measure, samples: u64) -> impl Iterator<Item = Duration> {
    m.cancel(samples).into_iter().map(|s| s.stopped)
}

/// Every timed row: checkpoints, then per runtime the fanout and latency
/// rows, each measured once a round in `effort.rounds` interleaved rounds.
pub fn rows(effort: Effort) -> Vec<Row> {
    let mut checkpoints = checkpoint_rows();
    let mut runtimes: Vec<(OnRuntime, Vec<Row>)> = RuntimeKind::ALL
        .into_iter()
        .map(|rt| {
            let on = OnRuntime::new(rt);
            let rows = on.rows(effort);
            (on, rows)
        })
        .collect();
    for _ in 0..effort.rounds.max(1) {
        checkpoint_round(&mut checkpoints, effort);
        for (on, rows) in &mut runtimes {
            on.round(rows, effort);
        }
    }
    checkpoints
        .into_iter()
        .chain(runtimes.into_iter().flat_map(|(_, rows)| rows))
        .collect()
}

/// The rows as a Markdown table: each side's median over the rounds, the
/// ratio's median with its least and greatest, and the goal judged from
/// that interval.
pub fn table(rows: &[Row]) -> String {
    let rounds = rows.first().map_or(0, |r| r.token.len());
    let mut out = format!(
        "| figure | runtime | tokio-util | cancel-scope | scope ÷ token, median ({rounds} rounds: least–greatest) | goal | met | no token (`abort`) |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let mid = |v: &[f64]| Spread::of(v.iter().copied()).map_or(0.0, |s| s.median);
    for r in rows {
        let ratio = r.ratio().map_or_else(
            || "—".to_owned(),
            |s| format!("{:.3} ({:.3}–{:.3})", s.median, s.min, s.max),
        );
        let met = match r.verdict() {
            Comparison::Below => "yes",
            Comparison::Above => "**no**",
            Comparison::WithinNoise => "within noise",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {ratio} | ≤ {} | {met} | {} |\n",
            r.figure,
            r.runtime.map_or("any", RuntimeKind::name),
            show(mid(&r.token)),
            show(mid(&r.scope)),
            goal_text(r.goal),
            r.no_token
                .as_deref()
                .map_or_else(String::new, |v| show(mid(v))),
        ));
    }
    out.push_str(
        "\nA goal is met when every round's ratio is at most the goal, not met when every round's is above it, and within noise when the rounds fall on both sides.\n",
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(token: &[f64], scope: &[f64], goal: f64) -> Row {
        Row {
            figure: "made up".into(),
            runtime: None,
            token: token.to_vec(),
            scope: scope.to_vec(),
            goal,
            no_token: None,
        }
    }

    #[test]
    fn a_goal_is_judged_from_every_rounds_ratio() {
        // 0.5 to 0.9 of the token: at most 1, met.
        let met = row(&[10.0, 10.0, 10.0], &[5.0, 9.0, 7.0], 1.0);
        assert_eq!(met.verdict(), Comparison::Below);
        // 0.941 in one round and 1.014 in another: nothing may be claimed.
        let noise = row(&[100.0, 100.0, 100.0], &[94.1, 101.4, 99.0], 1.0);
        assert_eq!(noise.verdict(), Comparison::WithinNoise);
        let ratio = noise.ratio().expect("ratios");
        assert!((ratio.median - 0.99).abs() < 1e-9, "{ratio:?}");
        // Above the goal in every round: not met.
        let not = row(&[10.0, 10.0], &[6.0, 7.0], 0.5);
        assert_eq!(not.verdict(), Comparison::Above);
    }

    #[test]
    fn the_table_says_within_noise_rather_than_yes_or_no() {
        let t = table(&[row(&[100.0, 100.0], &[94.1, 101.4], 1.0)]);
        assert!(t.contains("| within noise |"), "{t}");
        assert!(t.contains("0.978 (0.941–1.014)"), "{t}");
    }
}
