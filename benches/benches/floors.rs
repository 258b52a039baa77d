//! `floors`: the cheapest wake-ups on the machine that runs them, measured
//! in the same `cargo bench` run as the strategies, so every figure can be
//! read as a ratio to the floor of its own situation (see
//! `benches/README.md`).
//!
//! How it measures, and why: `iter_custom`, timing only the wake-up of each
//! sample (the waker or thread is set up and parked first, untimed).
//! `same-thread-wake`: a task on a tokio current-thread runtime, parked on a
//! bare waker for `SETTLE`, woken by the measuring task → polled again.
//! `unpark/ping-pong` and `unpark/after-park`: `Thread::unpark` → the parked
//! thread runs, after 20 µs and after `SETTLE` (200 µs) parked, while the
//! waker parks itself as a canceller awaiting confirmation does; a thread
//! parked longer sleeps deeper and wakes slower, and the async work measured
//! elsewhere was parked `SETTLE`. `atomic-store/spinner`: a store → seen by a
//! thread spinning on loads, the floor of the `thread` strategy.
//! `sleep-overshoot`: a thread sleeps for the 100 µs deadline of
//! `timeout_overshoot` and takes how late it woke, the floor of every timer.

mod common;

use std::time::Duration;

use cancel_benches::floors::{Floor, SameThreadWake};
use cancel_benches::total;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

fn floors(c: &mut Criterion) {
    let mut group = c.benchmark_group("floors");
    group
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(700))
        .sample_size(20);
    let mut same_thread: Option<SameThreadWake> = None;
    group.bench_function(Floor::SameThreadWake.bench_id(), |b| {
        let floor = same_thread.get_or_insert_with(SameThreadWake::new);
        b.iter_custom(|iters| total(floor.samples(iters)));
    });
    // The others set up nothing that outlives a batch of samples.
    for floor in Floor::ALL
        .into_iter()
        .filter(|&f| f != Floor::SameThreadWake)
    {
        group.bench_function(floor.bench_id(), |b| {
            b.iter_custom(|iters| total(floor.samples(iters)));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = floors
}
criterion_main!(benches);
