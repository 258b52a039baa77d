//! The latency half of the lab: samples the benches' scenarios (the same
//! functions `cargo bench` times, from `cancel-benches`) and their floors
//! (`cancel_benches::floors`) into HDR histograms, in interleaved rounds.
//!
//! Every round samples every figure and every floor before the next round
//! starts. Within a round, runtime by runtime, each target takes its
//! samples in chunks of [`CHUNK`], one target after the other, and each of
//! its samples is taken beside one sample of its floor's mechanisms on the
//! same runtime, in the same `block_on` (`Measure::cancel_beside`), so a
//! figure and its floor see the same threads in the same state. Each
//! figure's ratio is then taken round by round (`cancel_benches::rounds`).

use std::collections::HashMap;
use std::time::Duration;

use cancel_benches::floors::{Floor, Mechanism, Probe, ProbeSample, Reading, Sampler};
use cancel_benches::rounds::{self, Spread};
use cancel_benches::{
    Deadline, Measure, Metric, Target, Timer, TimerSource, fanout_sizes, measure,
};
use cancel_conformance::{RuntimeKind, facts};
use hdrhistogram::Histogram;
use indicatif::ProgressBar;

/// How much the lab measures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Samples per cancel figure (`cancel_to_stopped` and
    /// `cancel_to_confirmed`, from the same stops), over all rounds.
    pub(crate) samples: u64,
    /// Samples per `timeout_overshoot` figure with the precise timer at
    /// 100 µs, over all rounds; the others take fewer
    /// ([`Plan::timeouts`]).
    pub(crate) timeout_samples: u64,
    /// Interleaved rounds.
    pub(crate) rounds: usize,
    /// The largest fanout size measured.
    pub(crate) max_fanout: usize,
    /// Runs of each fanout size below [`LARGE_FANOUT`], over all rounds.
    pub(crate) fanout_runs: usize,
}

impl Plan {
    /// Samples of `timeout_overshoot` with `timer`, over all rounds (one a
    /// round at least): [`Plan::timeout_samples`] with the precise timer at
    /// 100 µs, whose p99 is a figure of interest and which costs a tenth of
    /// a millisecond a sample; two fifths of that with the runtime's timer
    /// at 100 µs (on tokio each sample takes a millisecond and its rounds'
    /// p50s stay within a few percent); a fifth at 1 ms, where every sample
    /// takes a millisecond or two.
    pub(crate) fn timeouts(&self, timer: Timer) -> u64 {
        let base = self.timeout_samples;
        let n = match (timer.source, timer.deadline) {
            (TimerSource::Precise, Deadline::Micros100) => base,
            (TimerSource::Runtime, Deadline::Micros100) => (base * 2).div_ceil(5),
            (_, Deadline::Millis1) => base.div_ceil(5),
        };
        n.max(self.rounds as u64)
    }
}

/// Samples of one figure or floor taken back to back, before the next
/// figure's or floor's chunk.
pub(crate) const CHUNK: u64 = 20;

/// From this size up a fanout runs once per round: each run stops
/// thousands of tasks, which makes one run a median of its own.
pub(crate) const LARGE_FANOUT: usize = 10_000;

/// Percentiles of one histogram, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Percentiles {
    pub(crate) samples: u64,
    pub(crate) p50_ns: u64,
    pub(crate) p90_ns: u64,
    pub(crate) p99_ns: u64,
    pub(crate) max_ns: u64,
}

impl Percentiles {
    /// Records `samples` into an HDR histogram (1 ns to 1 h, three
    /// significant digits) and reads its percentiles.
    pub(crate) fn of<'a>(samples: impl IntoIterator<Item = &'a Duration>) -> Percentiles {
        // Bounds and precision are constants that `new_with_bounds` accepts.
        let mut hist = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)
            .expect("valid histogram bounds");
        for d in samples {
            let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1);
            // Values past the upper bound are clamped to it, not dropped.
            hist.saturating_record(ns);
        }
        if hist.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            samples: hist.len(),
            p50_ns: hist.value_at_quantile(0.50),
            p90_ns: hist.value_at_quantile(0.90),
            p99_ns: hist.value_at_quantile(0.99),
            max_ns: hist.max(),
        }
    }
}

/// The samples of one figure or floor, round by round.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Rounds(pub(crate) Vec<Vec<Duration>>);

impl Rounds {
    fn new(rounds: usize) -> Rounds {
        Rounds(vec![Vec::new(); rounds])
    }

    fn extend(&mut self, round: usize, samples: impl IntoIterator<Item = Duration>) {
        if let Some(r) = self.0.get_mut(round) {
            r.extend(samples);
        }
    }

    /// Percentiles of every sample of every round.
    pub(crate) fn pooled(&self) -> Percentiles {
        Percentiles::of(self.0.iter().flatten())
    }

    /// Each round's percentiles.
    pub(crate) fn by_round(&self) -> Vec<Percentiles> {
        self.0.iter().map(Percentiles::of).collect()
    }
}

/// One round of a figure read against its floor.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RoundRatio {
    pub(crate) samples: u64,
    pub(crate) p50_ns: u64,
    pub(crate) p99_ns: u64,
    pub(crate) floor_p50_ns: u64,
    /// `p50_ns ÷ floor_p50_ns`; `None` when the floor read 0.
    pub(crate) ratio: Option<f64>,
}

/// A figure: its percentiles over all rounds, and its ratio to its floor
/// round by round.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figure {
    pub(crate) stats: Percentiles,
    pub(crate) rounds: Vec<RoundRatio>,
    /// The median, least and greatest of the rounds' ratios.
    pub(crate) ratio: Option<Spread>,
    /// The median ratio is below `rounds::VIOLATION_BELOW`.
    pub(crate) violation: bool,
}

impl Figure {
    /// `samples` read against a floor whose rounds' p50s are `floor_p50s`.
    pub(crate) fn read(samples: &Rounds, floor_p50s: &[u64]) -> Figure {
        let rounds: Vec<RoundRatio> = samples
            .0
            .iter()
            .zip(floor_p50s)
            .map(|(r, &floor_p50_ns)| {
                let stats = Percentiles::of(r);
                RoundRatio {
                    samples: stats.samples,
                    p50_ns: stats.p50_ns,
                    p99_ns: stats.p99_ns,
                    floor_p50_ns,
                    ratio: rounds::ratios(&[stats.p50_ns], &[floor_p50_ns])
                        .first()
                        .copied(),
                }
            })
            .collect();
        let ratio = Spread::of(rounds.iter().filter_map(|r| r.ratio));
        Figure {
            stats: samples.pooled(),
            violation: ratio.as_ref().is_some_and(rounds::is_violation),
            rounds,
            ratio,
        }
    }
}

/// One strategy × runtime × metric.
#[derive(Debug, Clone)]
pub(crate) struct LatencyRow {
    pub(crate) target: Target,
    pub(crate) metric: Metric,
    /// The floor this figure is read against ([`Floor::of`]).
    pub(crate) floor: Floor,
    pub(crate) figure: Figure,
}

/// One round of a floor: its p50, the least of its probes', and that
/// probe's p99 in the round.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FloorRound {
    pub(crate) p50_ns: u64,
    pub(crate) p99_ns: u64,
    /// The probe that gave it.
    pub(crate) probe: String,
}

/// One floor: the least of its probes, round by round.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FloorRow {
    pub(crate) name: String,
    pub(crate) situation: String,
    /// Some figure is read against it (otherwise a reference row).
    pub(crate) paired: bool,
    /// The percentiles of the probe with the least p50 over all rounds.
    pub(crate) stats: Percentiles,
    /// Every probe with its p50 over all rounds.
    pub(crate) probes: Vec<(String, u64)>,
    pub(crate) rounds: Vec<FloorRound>,
    /// The greatest round p50 ÷ the least.
    pub(crate) spread: f64,
    /// `spread` is above `rounds::NOISY_ABOVE`.
    pub(crate) noisy: bool,
}

impl FloorRow {
    /// The floor made of `probes` (each a name and its samples by round):
    /// in each round, the least of their p50s.
    pub(crate) fn least_of(
        name: String,
        situation: String,
        paired: bool,
        probes: &[(String, &Rounds)],
    ) -> FloorRow {
        let pooled: Vec<(String, Percentiles)> = probes
            .iter()
            .map(|(n, r)| (n.clone(), r.pooled()))
            .collect();
        let stats = pooled
            .iter()
            .map(|(_, p)| *p)
            .min_by_key(|p| p.p50_ns)
            .unwrap_or_default();
        let by_round: Vec<Vec<Percentiles>> = probes.iter().map(|(_, r)| r.by_round()).collect();
        let k = by_round.iter().map(Vec::len).min().unwrap_or(0);
        let rounds: Vec<FloorRound> = (0..k)
            .map(|i| {
                let (at, p) = by_round
                    .iter()
                    .enumerate()
                    .map(|(j, r)| (j, r[i]))
                    .min_by_key(|&(_, p)| p.p50_ns)
                    .unwrap_or_default();
                FloorRound {
                    p50_ns: p.p50_ns,
                    p99_ns: p.p99_ns,
                    probe: probes.get(at).map(|(n, _)| n.clone()).unwrap_or_default(),
                }
            })
            .collect();
        let p50s: Vec<u64> = rounds.iter().map(|r| r.p50_ns).collect();
        FloorRow {
            name,
            situation,
            paired,
            stats,
            probes: pooled.into_iter().map(|(n, p)| (n, p.p50_ns)).collect(),
            spread: rounds::round_spread(&p50s),
            noisy: rounds::is_noisy(&p50s),
            rounds,
        }
    }

    /// Each round's p50.
    pub(crate) fn round_p50s(&self) -> Vec<u64> {
        self.rounds.iter().map(|r| r.p50_ns).collect()
    }
}

/// How a fanout's stop reaches its N tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// One signal the N tasks share (a parent token, a flag, a channel).
    OneSignal,
    /// One `request_stop` per task: the strategy has no group signal.
    Requests,
}

impl Stop {
    pub(crate) fn of(target: Target) -> Stop {
        if facts(target.strategy, target.runtime).group_signal {
            Stop::OneSignal
        } else {
            Stop::Requests
        }
    }

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Stop::OneSignal => "one signal",
            Stop::Requests => "N requests",
        }
    }
}

/// One fanout size: a stop to `n` parked tasks → all stopped and joined,
/// `runs` times.
#[derive(Debug, Clone)]
pub(crate) struct FanoutRow {
    pub(crate) target: Target,
    pub(crate) stop: Stop,
    pub(crate) n: usize,
    pub(crate) runs: Vec<Duration>,
}

impl FanoutRow {
    /// The median, least and greatest of the runs, in nanoseconds.
    pub(crate) fn total(&self) -> Spread {
        Spread::of(self.runs.iter().map(|d| d.as_secs_f64() * 1e9)).unwrap_or(Spread {
            median: 0.0,
            min: 0.0,
            max: 0.0,
        })
    }

    /// The same per task.
    pub(crate) fn per_task(&self) -> Spread {
        // Sizes are far below 2^52: the conversion is exact.
        self.total().scaled(1.0 / self.n.max(1) as f64)
    }
}

/// Everything measured.
#[derive(Debug, Default)]
pub(crate) struct Measurements {
    pub(crate) rounds: usize,
    pub(crate) floors: Vec<FloorRow>,
    pub(crate) latency: Vec<LatencyRow>,
    pub(crate) fanout: Vec<FanoutRow>,
}

/// The runtimes `targets` cover, in report order.
fn runtimes(targets: &[Target]) -> Vec<RuntimeKind> {
    RuntimeKind::ALL
        .into_iter()
        .filter(|rt| targets.iter().any(|t| t.runtime == *rt))
        .collect()
}

/// How many progress steps [`run`] takes for `targets` in `rounds`.
pub(crate) fn steps(targets: &[Target], rounds: usize) -> u64 {
    ((2 * runtimes(targets).len() + 1) * rounds + targets.len()) as u64
}

/// `total` split into chunks of at most [`CHUNK`].
fn chunks(total: u64) -> impl Iterator<Item = u64> {
    let full = total / CHUNK;
    let rest = total % CHUNK;
    std::iter::repeat_n(CHUNK, usize::try_from(full).unwrap_or(0)).chain((rest > 0).then_some(rest))
}

/// The probes of the floors `target`'s `metrics` are read against.
fn probes_of(target: Target, metrics: &[Metric]) -> Vec<Probe> {
    let mut out: Vec<Probe> = Vec::new();
    for &m in metrics {
        for p in Floor::of(target, m).probes().0 {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// Of those, the mechanisms sampled on the target's own runtime, beside
/// its figure.
fn beside(target: Target, metrics: &[Metric]) -> Vec<Mechanism> {
    probes_of(target, metrics)
        .into_iter()
        .filter_map(|p| match p {
            Probe::On(m, rt) if rt == target.runtime => Some(m),
            _ => None,
        })
        .collect()
}

/// Of those, the probes that need no runtime, sampled in chunks of their own.
fn apart(targets: &[Target], metrics: &[Metric]) -> Vec<Probe> {
    let mut out: Vec<Probe> = Vec::new();
    for &t in targets {
        for p in probes_of(t, metrics) {
            if !matches!(p, Probe::On(..)) && !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

const CANCELS: [Metric; 2] = [Metric::CancelToStopped, Metric::CancelToConfirmed];

/// Probe samples by round.
type ByRound = Vec<Vec<ProbeSample>>;

/// What [`run`] samples, kept by round.
struct Samples {
    rounds: usize,
    /// The probes that need no runtime, each with its sampler.
    apart: HashMap<Probe, (Box<dyn Sampler>, ByRound)>,
    /// Per target and mechanism, the floor samples taken on the target's
    /// own runtime beside its figures.
    beside: HashMap<(usize, Mechanism), ByRound>,
    figures: HashMap<(usize, Metric), Rounds>,
}

impl Samples {
    fn apart(&mut self, probe: Probe, round: usize, n: u64) {
        let rounds = self.rounds;
        let (sampler, taken) = self
            .apart
            .entry(probe)
            .or_insert_with(|| (probe.build(), vec![Vec::new(); rounds]));
        let samples = sampler.samples(n);
        if let Some(r) = taken.get_mut(round) {
            r.extend(samples);
        }
    }

    fn beside(&mut self, target: usize, round: usize, samples: Vec<(Mechanism, ProbeSample)>) {
        for (m, sample) in samples {
            let taken = self
                .beside
                .entry((target, m))
                .or_insert_with(|| vec![Vec::new(); self.rounds]);
            if let Some(r) = taken.get_mut(round) {
                r.push(sample);
            }
        }
    }

    fn figure(&mut self, target: usize, metric: Metric, round: usize, samples: Vec<Duration>) {
        self.figures
            .entry((target, metric))
            .or_insert_with(|| Rounds::new(self.rounds))
            .extend(round, samples);
    }

    /// The samples of `probe` read at `reading`, by round: for a probe on a
    /// runtime, those taken beside the targets among `on` (indices into
    /// the run's targets) that run on it, pooled.
    fn read(&self, probe: Probe, reading: Reading, on: &[usize]) -> Option<Rounds> {
        let read = |taken: &ByRound| -> Vec<Vec<Duration>> {
            taken
                .iter()
                .map(|r| r.iter().map(|s| s.read(reading)).collect())
                .collect()
        };
        match probe {
            Probe::On(m, _) => {
                let mut pooled: Option<Rounds> = None;
                for &i in on {
                    if let Some(taken) = self.beside.get(&(i, m)) {
                        let rounds = pooled.get_or_insert_with(|| Rounds::new(self.rounds));
                        for (r, samples) in read(taken).into_iter().enumerate() {
                            rounds.extend(r, samples);
                        }
                    }
                }
                pooled
            }
            Probe::AtomicStoreSpinner | Probe::Nanosleep => {
                self.apart.get(&probe).map(|(_, taken)| Rounds(read(taken)))
            }
        }
    }

    /// `floor` as measured beside the targets among `on`: the least of its
    /// probes, round by round; `None` if none of its probes was sampled.
    fn floor(&self, floor: Floor, on: &[usize]) -> Option<FloorRow> {
        let (probes, reading) = floor.probes();
        let read: Vec<(String, Rounds)> = probes
            .into_iter()
            .filter_map(|p| Some((p.name(), self.read(p, reading, on)?)))
            .collect();
        if read.is_empty() {
            return None;
        }
        let refs: Vec<(String, &Rounds)> = read.iter().map(|(n, r)| (n.clone(), r)).collect();
        Some(FloorRow::least_of(
            floor.name(),
            floor.situation(),
            floor.is_paired(),
            &refs,
        ))
    }
}

/// Samples every target's figures and their floors in `plan.rounds`
/// interleaved rounds, then the fanouts.
pub(crate) fn run(targets: &[Target], plan: Plan, progress: &ProgressBar) -> Measurements {
    let rounds = plan.rounds.max(1);
    let mut samples = Samples {
        rounds,
        apart: HashMap::new(),
        beside: HashMap::new(),
        figures: HashMap::new(),
    };
    // The runtime of each target is built once, as in the benches.
    let mut built: Vec<Box<dyn Measure>> = Vec::with_capacity(targets.len());
    for &target in targets {
        progress.set_message(format!("{}: building", target.id()));
        built.push(measure(target));
        progress.inc(1);
    }
    let per_round = |total: u64| total.div_ceil(rounds as u64).max(1);
    let reference: Vec<Probe> = Floor::all()
        .into_iter()
        .filter(|f| !f.is_paired())
        .flat_map(|f| f.probes().0)
        .collect();
    let mut fanouts: Vec<FanoutRow> = targets
        .iter()
        .flat_map(|&target| {
            fanout_sizes(target)
                .into_iter()
                .filter(|&n| n <= plan.max_fanout)
                .map(move |n| FanoutRow {
                    target,
                    stop: Stop::of(target),
                    n,
                    runs: Vec::new(),
                })
        })
        .collect();

    for round in 0..rounds {
        for rt in runtimes(targets) {
            let on: Vec<usize> = (0..targets.len())
                .filter(|&i| targets[i].runtime == rt)
                .collect();
            let group: Vec<Target> = on.iter().map(|&i| targets[i]).collect();
            // Each target in chunks, one after the other, so the runtime's
            // strategies see the same machine too; each figure's floors on
            // its own runtime, sample by sample beside it.
            progress.set_message(format!("round {}/{rounds}: cancels on {rt}", round + 1));
            for n in chunks(per_round(plan.samples)) {
                for p in apart(&group, &CANCELS) {
                    samples.apart(p, round, n);
                }
                for &i in &on {
                    let (cancels, floors) =
                        built[i].cancel_beside(n, &beside(targets[i], &CANCELS));
                    samples.figure(
                        i,
                        Metric::CancelToStopped,
                        round,
                        cancels.iter().map(|s| s.stopped).collect(),
                    );
                    samples.figure(
                        i,
                        Metric::CancelToConfirmed,
                        round,
                        cancels.iter().map(|s| s.confirmed).collect(),
                    );
                    samples.beside(i, round, floors);
                }
            }
            progress.inc(1);
            progress.set_message(format!("round {}/{rounds}: timeouts on {rt}", round + 1));
            // Every timer in chunks, the timers taking turns chunk by chunk
            // and the targets within each, so the two sources and the two
            // deadlines see the same machine; each figure's floor (its own
            // timer source, its deadline) beside it on its runtime.
            let timers: Vec<(Timer, Vec<u64>)> = Timer::ALL
                .into_iter()
                .map(|t| (t, chunks(per_round(plan.timeouts(t))).collect()))
                .collect();
            let turns = timers.iter().map(|(_, c)| c.len()).max().unwrap_or(0);
            for turn in 0..turns {
                for (timer, sizes) in &timers {
                    let Some(&n) = sizes.get(turn) else { continue };
                    let metric = Metric::TimeoutOvershoot(*timer);
                    for &i in &on {
                        let (late, floors) = built[i].timeout_overshoot_beside(
                            *timer,
                            n,
                            &beside(targets[i], &[metric]),
                        );
                        samples.figure(i, metric, round, late);
                        samples.beside(i, round, floors);
                    }
                }
            }
            progress.inc(1);
        }
        // The reference rows, beside the timers.
        for &p in &reference {
            samples.apart(p, round, per_round(plan.timeout_samples));
        }
        progress.set_message(format!("round {}/{rounds}: fanout", round + 1));
        for row in &mut fanouts {
            let i = targets.iter().position(|t| *t == row.target).unwrap_or(0);
            let runs = if row.n < LARGE_FANOUT {
                plan.fanout_runs.div_ceil(rounds)
            } else if row.n == LARGE_FANOUT || round + 1 == rounds {
                // 10 000 once a round; larger sizes once, in the last round.
                1
            } else {
                0
            };
            for _ in 0..runs {
                row.runs.push(built[i].fanout(row.n));
            }
        }
        progress.inc(1);
    }

    // The floors table pools each runtime's targets.
    let covered = runtimes(targets);
    let floors: Vec<FloorRow> = Floor::all()
        .into_iter()
        .filter(|f| f.runtime().is_none_or(|rt| covered.contains(&rt)))
        .filter_map(|floor| {
            let on: Vec<usize> = (0..targets.len())
                .filter(|&i| floor.runtime().is_none_or(|rt| targets[i].runtime == rt))
                .collect();
            samples.floor(floor, &on)
        })
        .collect();
    // Each figure is read against its floor measured beside it.
    let latency = targets
        .iter()
        .enumerate()
        .flat_map(|(i, &target)| Metric::ALL.map(|m| (i, target, m)))
        .map(|(i, target, metric)| {
            let floor = Floor::of(target, metric);
            let floor_p50s = samples
                .floor(floor, &[i])
                .map(|f| f.round_p50s())
                .unwrap_or_default();
            let figure = samples
                .figures
                .get(&(i, metric))
                .cloned()
                .unwrap_or_else(|| Rounds::new(rounds));
            LatencyRow {
                target,
                metric,
                floor,
                figure: Figure::read(&figure, &floor_p50s),
            }
        })
        .collect();
    Measurements {
        rounds,
        floors,
        latency,
        fanout: fanouts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nanoseconds, kept below 2 048 so the histogram holds them exactly.
    fn ns(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&x| Duration::from_nanos(x)).collect()
    }

    #[test]
    fn percentiles_are_ordered_and_count_every_sample() {
        let samples: Vec<Duration> = (1..=1000).map(Duration::from_micros).collect();
        let p = Percentiles::of(&samples);
        assert_eq!(p.samples, 1000);
        assert!(p.p50_ns <= p.p90_ns && p.p90_ns <= p.p99_ns && p.p99_ns <= p.max_ns);
        // Three significant digits: within 0.1 % of the exact value.
        assert!(p.p50_ns.abs_diff(500_000) <= 500, "{p:?}");
        assert!(p.max_ns.abs_diff(1_000_000) <= 1_000, "{p:?}");
    }

    #[test]
    fn an_absurd_duration_is_clamped_not_dropped() {
        let p = Percentiles::of(&[Duration::MAX, Duration::ZERO]);
        assert_eq!(p.samples, 2);
        assert!(p.max_ns >= 3_600_000_000_000 / 2, "{p:?}");
    }

    #[test]
    fn a_floor_is_the_least_of_its_probes_round_by_round() {
        // A bare wake and an abort; each is the cheaper in some round.
        let wake = Rounds(vec![
            ns(&[100, 100, 100]),
            ns(&[300, 300, 300]),
            ns(&[200, 200]),
        ]);
        let abort = Rounds(vec![
            ns(&[120, 120, 120]),
            ns(&[250, 250, 250]),
            ns(&[210, 210]),
        ]);
        let floor = FloorRow::least_of(
            "task_join/x".into(),
            "made up".into(),
            true,
            &[("wake".into(), &wake), ("abort".into(), &abort)],
        );
        assert_eq!(floor.round_p50s(), vec![100, 250, 200]);
        let by: Vec<&str> = floor.rounds.iter().map(|r| r.probe.as_str()).collect();
        assert_eq!(by, ["wake", "abort", "wake"]);
        assert_eq!(floor.spread, 2.5);
        assert!(floor.noisy, "250 ns ÷ 100 ns is more than twice");
        // Pooled, the wake's p50 (200 ns) is below the abort's (210 ns).
        assert_eq!(floor.stats.p50_ns, 200);
        assert_eq!(
            floor.probes,
            vec![("wake".to_owned(), 200), ("abort".to_owned(), 210)]
        );
    }

    #[test]
    fn a_figure_is_read_against_its_floor_of_the_same_round() {
        let floor = [100, 200, 100, 100, 100];
        // Drifts with its floor: 1.5× every round, whatever the drift.
        let fine = Rounds(vec![
            ns(&[150]),
            ns(&[300]),
            ns(&[150]),
            ns(&[150]),
            ns(&[150]),
        ]);
        let read = Figure::read(&fine, &floor);
        let ratio = read.ratio.expect("ratios");
        assert_eq!((ratio.median, ratio.min, ratio.max), (1.5, 1.5, 1.5));
        assert!(!read.violation);
        assert_eq!(read.rounds[1].floor_p50_ns, 200);
        assert_eq!(read.stats.samples, 5);
        // Beats its floor by more than 10 % in most rounds: a violation.
        let below = Rounds(vec![ns(&[80]), ns(&[300]), ns(&[80]), ns(&[89]), ns(&[70])]);
        let read = Figure::read(&below, &floor);
        assert!(read.violation, "{:?}", read.ratio);
        // At 0.9 exactly, it is not.
        let at = Rounds(vec![ns(&[90]), ns(&[180]), ns(&[90]), ns(&[90]), ns(&[90])]);
        assert!(!Figure::read(&at, &floor).violation);
        // A round whose floor read nothing gives no ratio, and no verdict.
        let none = Figure::read(&fine, &[0; 5]);
        assert_eq!(none.ratio, None);
        assert!(!none.violation);
    }

    #[test]
    fn chunks_cover_the_total() {
        assert_eq!(chunks(45).collect::<Vec<_>>(), [20, 20, 5]);
        assert_eq!(chunks(20).collect::<Vec<_>>(), [20]);
        assert_eq!(chunks(7).collect::<Vec<_>>(), [7]);
    }

    #[test]
    fn fanout_rows_say_how_the_stop_reaches_the_tasks() {
        let targets = cancel_benches::targets();
        let mut kinds = Vec::new();
        for &target in &targets {
            let expected = if facts(target.strategy, target.runtime).group_signal {
                Stop::OneSignal
            } else {
                Stop::Requests
            };
            assert_eq!(Stop::of(target), expected);
            kinds.push(expected);
        }
        // Both kinds are in the registry, so the two fanout tables are.
        assert!(kinds.contains(&Stop::OneSignal) && kinds.contains(&Stop::Requests));
        let row = FanoutRow {
            target: targets[0],
            stop: Stop::of(targets[0]),
            n: 10,
            runs: ns(&[300, 100, 200]),
        };
        assert_eq!(row.total().median, 200.0);
        assert_eq!(row.per_task().min, 10.0);
    }
}
