//! `floors`: for each situation a figure is taken in, the cheapest way that
//! same situation can happen, measured in the same `cargo bench` run as the
//! strategies, on runtimes of the same kinds, so every figure can be read as
//! a ratio to the floor of its own situation (see `benches/README.md`, "Read
//! a figure against its floor").
//!
//! How it measures, and why: `iter_custom`, timing only the stop (or the
//! timer) of each sample; the task or the blocking call is started and
//! parked first, untimed, and left parked `SETTLE` so its threads sleep, as
//! in the strategies' scenarios. Ids are
//! `task-wake/<runtime>/{drop,join}` (a task parked on a bare waker, woken by
//! the canceller in `block_on`: → its `Drop`, → its join handle returned),
//! `task-abort/<runtime>/{drop,join}` (the same task stopped by the runtime's
//! own abort), `blocking-join/<runtime>` and `blocking-spin-join/<runtime>`
//! (a flag set for a closure on the runtime's blocking pool that yields
//! between checks, or spins → its join returned), `timer-sleep/<runtime>`
//! and `timer-timeout/<runtime>` (the runtime's own timer to the 100 µs
//! deadline of `timeout_overshoot`, awaited alone or as a timeout around a
//! future that never completes: how late it returned),
//! `precise-sleep/<runtime>` (`cancel_timer::tokio::sleep` to the same deadline,
//! awaited on that runtime: the precise timer's floor; the lab's 1 ms timer
//! floors are not benched), `atomic-store/spinner` (a store → seen by a
//! spinning thread) and `sleep-overshoot` (a thread's `std::thread::sleep` to the same
//! deadline, a reference row). A floor with two ways is the cheaper of its
//! ids (`Floor::bench_ids`); `examples/summary.rs` takes that minimum.

mod common;

use std::time::Duration;

use cancel_benches::floors::{Probe, Sampler};
use cancel_benches::total;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

fn floors(c: &mut Criterion) {
    let mut group = c.benchmark_group("floors");
    group
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(700))
        .sample_size(20);
    for probe in Probe::benched() {
        // Built once per probe (a runtime of its kind), reused by its ids.
        let mut built: Option<Box<dyn Sampler>> = None;
        for &reading in probe.readings() {
            group.bench_function(probe.bench_id(reading), |b| {
                let sampler = built.get_or_insert_with(|| probe.build());
                b.iter_custom(|iters| {
                    total(sampler.samples(iters).iter().map(|s| s.read(reading)))
                });
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = floors
}
criterion_main!(benches);
