//! `cancel_to_stopped`, `cancel_to_confirmed`, `timeout_overshoot` and
//! `wrap_overhead` for every strategy × runtime.
//!
//! How it measures, and why: every id builds its runtime once (on its first
//! call) and keeps it for all its samples, so no runtime start-up is timed.
//! Latencies use `iter_custom`: for each iteration the scenario in
//! `cancel_benches` starts one task, waits until it is parked at its wait
//! point plus `SETTLE` (its threads asleep, as in a real program), and only
//! then times the stop; criterion gets the sum of the timed intervals, never
//! the setup. `cancel_to_stopped` ends at a timestamp taken inside the work's
//! own `Drop`, so it is the stop's effect, not its confirmation.
//! `timeout_overshoot` runs parked work with a 100 µs deadline and times the
//! deadline → `TimedOut`, with each timer source: the runtime's own
//! (`run_with_timeout`, ids `<strategy>/<runtime>`) and cancel-timer's
//! (`run_until` with `cancel_timer::sleep`, ids `<strategy>/<runtime>/precise`);
//! the lab adds a 1 ms deadline. Its measurement time is shorter than the
//! other groups' (a timeout takes a millisecond on tokio and its figures
//! move little), so two sources cost `cargo bench` about what one did. `wrap_overhead` times a batch of `run_with_timeout`
//! around a ready future and subtracts a batch of plain awaits of it.
//! Sampling is flat (every sample the same iteration count): the samples are
//! independent stops, not a growing loop. The scenario code is the library's,
//! the same the lab samples, so the two never disagree.

mod common;

use std::time::Duration;

use cancel_benches::{Deadline, Measure, Timer, TimerSource, measure, targets, total};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, criterion_group, criterion_main};

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(700))
        .sample_size(20);
}

/// One group: one id per strategy × runtime, each timed by `timed`.
fn per_target(c: &mut Criterion, name: &str, timed: fn(&mut dyn Measure, u64) -> Duration) {
    let mut group = c.benchmark_group(name);
    configure(&mut group);
    for target in targets() {
        let mut built: Option<Box<dyn Measure>> = None;
        group.bench_function(target.id(), |b| {
            let m = built.get_or_insert_with(|| measure(target));
            b.iter_custom(|iters| timed(m.as_mut(), iters));
        });
    }
    group.finish();
}

fn cancel_to_stopped(c: &mut Criterion) {
    per_target(c, "cancel_to_stopped", |m, iters| {
        total(m.cancel(iters).into_iter().map(|s| s.stopped))
    });
}

fn cancel_to_confirmed(c: &mut Criterion) {
    per_target(c, "cancel_to_confirmed", |m, iters| {
        total(m.cancel(iters).into_iter().map(|s| s.confirmed))
    });
}

fn timeout_overshoot(c: &mut Criterion) {
    let mut group = c.benchmark_group("timeout_overshoot");
    configure(&mut group);
    group.measurement_time(Duration::from_millis(400));
    for target in targets() {
        // One runtime per target, shared by its two timer sources.
        let mut built: Option<Box<dyn Measure>> = None;
        for source in TimerSource::ALL {
            let timer = Timer::new(source, Deadline::Micros100);
            group.bench_function(target.timer_id(timer), |b| {
                let m = built.get_or_insert_with(|| measure(target));
                b.iter_custom(|iters| total(m.timeout_overshoot(timer, iters)));
            });
        }
    }
    group.finish();
}

fn wrap_overhead(c: &mut Criterion) {
    per_target(c, "wrap_overhead", |m, iters| {
        m.wrap_overhead(iters).overhead()
    });
}

criterion_group! {
    name = latency;
    config = common::config();
    targets = cancel_to_stopped, cancel_to_confirmed, timeout_overshoot, wrap_overhead
}
criterion_main!(latency);
