//! The latency half of the lab: samples the benches' scenarios (the same
//! functions `cargo bench` times, from `cancel-benches`) into HDR histograms,
//! beside the floors measured in the same run.

use std::time::Duration;

use cancel_benches::floors::Floor;
use cancel_benches::{Measure, Metric, Target, fanout_sizes, measure};
use hdrhistogram::Histogram;
use indicatif::ProgressBar;

/// How much the lab measures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Samples per latency histogram and per floor.
    pub(crate) samples: u64,
    /// The largest fanout size measured.
    pub(crate) max_fanout: usize,
}

/// Percentiles of one histogram, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
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
    pub(crate) fn of(samples: &[Duration]) -> Percentiles {
        // Bounds and precision are constants that `new_with_bounds` accepts.
        let mut hist = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)
            .expect("valid histogram bounds");
        for d in samples {
            let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1);
            // Values past the upper bound are clamped to it, not dropped.
            hist.saturating_record(ns);
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

/// One strategy × runtime × metric.
#[derive(Debug, Clone)]
pub(crate) struct LatencyRow {
    pub(crate) target: Target,
    pub(crate) metric: Metric,
    pub(crate) stats: Percentiles,
    /// The floor this figure is read against ([`Floor::of`]).
    pub(crate) floor: Floor,
    /// p50 ÷ the floor's p50.
    pub(crate) floor_ratio: f64,
}

/// One floor.
#[derive(Debug, Clone)]
pub(crate) struct FloorRow {
    pub(crate) floor: Floor,
    pub(crate) stats: Percentiles,
}

/// One fanout size: one signal to `n` parked tasks → all stopped and
/// joined (the median of [`SMALL_FANOUT_RUNS`] runs up to N = 1 000).
#[derive(Debug, Clone)]
pub(crate) struct FanoutRow {
    pub(crate) target: Target,
    pub(crate) n: usize,
    pub(crate) total: Duration,
}

impl FanoutRow {
    /// The time per task.
    pub(crate) fn per_task(&self) -> Duration {
        self.total / u32::try_from(self.n.max(1)).unwrap_or(u32::MAX)
    }
}

/// Everything measured.
#[derive(Debug, Default)]
pub(crate) struct Measurements {
    pub(crate) floors: Vec<FloorRow>,
    pub(crate) latency: Vec<LatencyRow>,
    pub(crate) fanout: Vec<FanoutRow>,
}

/// How many progress steps [`run`] takes for `targets`.
pub(crate) fn steps(targets: &[Target]) -> u64 {
    (Floor::ALL.len() + 3 * targets.len()) as u64
}

/// Measures the floors, then every target: cancels (`cancel_to_stopped` and
/// `cancel_to_confirmed` from the same stops), timeouts, and one fanout per
/// size up to the plan's largest.
pub(crate) fn run(targets: &[Target], plan: Plan, progress: &ProgressBar) -> Measurements {
    let mut out = Measurements::default();
    for floor in Floor::ALL {
        progress.set_message(format!("floor {}", floor.name()));
        let stats = Percentiles::of(&floor.samples(plan.samples));
        out.floors.push(FloorRow { floor, stats });
        progress.inc(1);
    }
    for &target in targets {
        // The runtime is built once per target, as in the benches.
        let mut m = measure(target);
        progress.set_message(format!("{}: cancels", target.id()));
        let cancels = m.cancel(plan.samples);
        let stopped: Vec<Duration> = cancels.iter().map(|s| s.stopped).collect();
        let confirmed: Vec<Duration> = cancels.iter().map(|s| s.confirmed).collect();
        out.push_latency(target, Metric::CancelToStopped, &stopped);
        out.push_latency(target, Metric::CancelToConfirmed, &confirmed);
        progress.inc(1);

        progress.set_message(format!("{}: timeouts", target.id()));
        let overshoot = m.timeout_overshoot(plan.samples);
        out.push_latency(target, Metric::TimeoutOvershoot, &overshoot);
        progress.inc(1);

        progress.set_message(format!("{}: fanout", target.id()));
        out.fanout
            .extend(fanout(m.as_mut(), target, plan.max_fanout));
        progress.inc(1);
    }
    out
}

/// Runs of each fanout size up to 1 000 (the median is kept); larger sizes
/// take long enough for one run to be a stable figure.
const SMALL_FANOUT_RUNS: usize = 5;

fn fanout(m: &mut dyn Measure, target: Target, max: usize) -> Vec<FanoutRow> {
    fanout_sizes(target)
        .into_iter()
        .filter(|&n| n <= max)
        .map(|n| {
            let runs = if n <= 1_000 { SMALL_FANOUT_RUNS } else { 1 };
            let mut times: Vec<Duration> = (0..runs).map(|_| m.fanout(n)).collect();
            times.sort_unstable();
            FanoutRow {
                target,
                n,
                total: times[times.len() / 2],
            }
        })
        .collect()
}

impl Measurements {
    fn push_latency(&mut self, target: Target, metric: Metric, samples: &[Duration]) {
        let stats = Percentiles::of(samples);
        let floor = Floor::of(target, metric);
        let floor_ratio = floor_ratio(&stats, floor, &self.floors);
        self.latency.push(LatencyRow {
            target,
            metric,
            stats,
            floor,
            floor_ratio,
        });
    }
}

/// `stats`'s p50 ÷ the p50 of `floor` among `floors` (0 when it is missing).
pub(crate) fn floor_ratio(stats: &Percentiles, floor: Floor, floors: &[FloorRow]) -> f64 {
    let floor_p50 = floors
        .iter()
        .find(|f| f.floor == floor)
        .map_or(0, |f| f.stats.p50_ns);
    // Nanosecond figures are far below 2^52: the conversions are exact.
    if floor_p50 == 0 {
        0.0
    } else {
        stats.p50_ns as f64 / floor_p50 as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
