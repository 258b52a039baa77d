//! `fanout`: one stop to N parked tasks → all N stopped and joined, for every
//! strategy × runtime and N = 1 … 100 000 (`thread`: up to
//! `THREAD_FANOUT_CAP`, see its docs for why), and the cost per task.
//!
//! How it measures, and why: each id builds its runtime once and reuses it.
//! Every iteration starts N tasks, waits until all N are parked plus
//! `SETTLE`, then times from the first `request_stop` to the last `join`
//! (`iter_custom`), so spawning is never timed. The stop is one signal to the
//! whole group, as a user stopping N tasks would send it: `token` cancels a
//! parent whose child tokens the tasks hold, `thread` sets one shared flag,
//! `channel` says stop once on one shared channel. `select`, `abort` and
//! `abortable` have no group signal (a `JoinSet::abort_all` is a loop over its tasks too), so
//! their stop is one `request_stop` per handle, back to back. Large N
//! take long per iteration, so they get fewer samples (criterion's minimum of
//! ten, each iteration a whole fanout); small N twenty samples in half a second. After each id the
//! median time per task, from the iterations of this run, is printed.
//! `scope` is stopped like `token`: one parent `cancel()`, children held by
//! the tasks. For those two, `<strategy>/cancel-call/<runtime>/<N>` times
//! only the `cancel()` call, in fanouts set up the same way: how long the
//! canceller is blocked while N tasks wait.

mod common;

use std::time::Duration;

use cancel_benches::{Measure, fanout_sizes, measure, targets};
use cancel_conformance::StrategyKind;
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};

/// The strategies whose one stop call is a token's `cancel()`: for them,
/// `<strategy>/cancel-call/<runtime>/<N>` times that call alone (how long it
/// blocks its caller with N tasks waiting), from fanouts set up the same way.
const CANCEL_CALL: [StrategyKind; 2] = [StrategyKind::Token, StrategyKind::Scope];

fn fanout(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanout");
    group.sampling_mode(SamplingMode::Flat);
    for target in targets() {
        let mut built: Option<Box<dyn Measure>> = None;
        for n in fanout_sizes(target) {
            let (warm_up, measurement, samples) = match n {
                0..=1_000 => (100, 500, 20),
                1_001..=10_000 => (1, 500, 10),
                _ => (1, 1_000, 10),
            };
            group
                .warm_up_time(Duration::from_millis(warm_up))
                .measurement_time(Duration::from_millis(measurement))
                .sample_size(samples)
                .throughput(Throughput::Elements(n as u64));
            let mut per_task: Vec<Duration> = Vec::new();
            group.bench_function(BenchmarkId::new(target.id(), n), |b| {
                let m = built.get_or_insert_with(|| measure(target));
                b.iter_custom(|iters| {
                    let mut sum = Duration::ZERO;
                    for _ in 0..iters {
                        let took = m.fanout(n);
                        per_task.push(took / u32::try_from(n).unwrap_or(u32::MAX));
                        sum += took;
                    }
                    sum
                });
            });
            if !per_task.is_empty() {
                per_task.sort_unstable();
                let median = per_task[per_task.len() / 2];
                println!(
                    "fanout/{}/{n}: {median:?} per task (median of {} fanouts)",
                    target.id(),
                    per_task.len()
                );
            }
            if CANCEL_CALL.contains(&target.strategy) {
                let id = format!("{}/cancel-call/{}", target.strategy, target.runtime.name());
                group.bench_function(BenchmarkId::new(id, n), |b| {
                    let m = built.get_or_insert_with(|| measure(target));
                    b.iter_custom(|iters| (0..iters).map(|_| m.fanout_times(n).stop_call).sum());
                });
            }
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = fanout
}
criterion_main!(benches);
