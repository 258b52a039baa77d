//! `checkpoint_cost`: one "am I cancelled?" check in a hot loop, for the
//! strategies whose work checks a signal, beside a plain `AtomicBool` load.
//!
//! How it measures, and why: `iter_custom` hands the iteration count to
//! `cancel_benches::checkpoint::hot_loop`, which runs that many checks in one
//! loop and times the loop, so criterion's own per-iteration overhead is not
//! in the figure; `black_box` keeps each check from being hoisted out. The
//! signal is never set, as in a loop that runs until it is. Ids are
//! `<strategy>/<runtime>` for the strategies whose work checks a signal,
//! and `floor/atomic-bool`.

mod common;

use std::time::Duration;

use cancel_benches::checkpoint::{checks, hot_loop};
use criterion::{Criterion, criterion_group, criterion_main};

fn checkpoint_cost(c: &mut Criterion) {
    let mut group = c.benchmark_group("checkpoint_cost");
    group
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(600))
        .sample_size(30);
    for (id, check) in checks() {
        group.bench_function(id, |b| b.iter_custom(|iters| hot_loop(check, iters)));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = checkpoint_cost
}
criterion_main!(benches);
