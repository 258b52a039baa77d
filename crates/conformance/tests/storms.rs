//! Storms: tasks cancelled while new ones keep starting, on every strategy ×
//! runtime; nothing may leak and nothing may hang.
//!
//! A starter starts work after work and hands each handle over a bounded
//! channel ([`IN_FLIGHT`]) to two cancellers, which cancel them while the
//! starter goes on. Half the work would sleep for an hour, a quarter is
//! ready at its first poll, a quarter yields and sleeps 200 µs, so cancels
//! race with finishing. Every cancel must return `Stopped`, or `Finished`
//! with that work's own output; afterwards no work and no runtime task may
//! be alive and live heap must be back within [`HEAP_BOUND`].
//!
//! `cargo test` runs [`CI_TASKS`] per strategy × runtime (10 000 per
//! runtime over the five strategies). The full storm, [`FULL_TASKS`] per
//! strategy × runtime (`STORM_TASKS` overrides), is ignored by default; it
//! prints a Markdown table row per strategy × runtime:
//!
//! ```sh
//! cargo test --release -p cancel-conformance --test storms -- --ignored
//! ```

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cancel_conformance::{Script, Step, Subject, Work};
use cancel_contract::{CancelHandle, Cancellation};
use cancel_harness::probe::{CountingAlloc, Probe, live_bytes};
use cancel_harness::runtime::{Clock, Runtime};
use common::{alone, bounded, env_count, show};
use futures_lite::future;

// Live heap is read from this counting allocator.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Tasks per strategy × runtime in `cargo test`.
const CI_TASKS: usize = 2_000;
/// Tasks per strategy × runtime in the ignored full storm.
const FULL_TASKS: usize = 100_000;
/// Handles started but not yet taken by a canceller, at most.
const IN_FLIGHT: usize = 64;
/// How much live heap may grow over a storm (as in I6).
const HEAP_BOUND: i64 = 256 * 1024;
/// A storm that has not ended after this long has hung.
const LIMIT: Duration = Duration::from_secs(300);
/// How long the runtime's own task count may take to reach zero.
const SETTLE: Duration = Duration::from_secs(2);

/// What the cancellers saw.
#[derive(Debug, Default)]
struct Count {
    stopped: usize,
    finished: usize,
    unexpected: Vec<String>,
}

/// Starts `n` pieces of work and cancels them as they come, two cancellers
/// against one starter.
async fn storm<S: Subject<R>, R: Runtime>(h: &R::Handle, p: &Arc<Probe>, n: usize) -> Count {
    let (tx, rx) = async_channel::bounded::<(u64, S::Handle<u64>)>(IN_FLIGHT);
    let starter = async move {
        let c = Probe::new();
        for i in 0..n as u64 {
            let steps: &[Step] = match i % 4 {
                0 | 1 => &[Step::Sleep(Duration::from_secs(3600))],
                2 => &[],
                _ => &[Step::Yield, Step::Sleep(Duration::from_micros(200))],
            };
            let handle = S::start(h, Work::new(Script::new(steps, i), p, &c));
            // The cancellers only go away once the channel is closed.
            if tx.send((i, handle)).await.is_err() {
                break;
            }
        }
        // Dropping the sender closes the channel: the cancellers finish.
    };
    let canceller = || {
        let rx = rx.clone();
        async move {
            let mut count = Count::default();
            while let Ok((i, handle)) = rx.recv().await {
                match handle.cancel().await {
                    Ok(Cancellation::Stopped) => count.stopped += 1,
                    Ok(Cancellation::Finished(v)) if v == i => count.finished += 1,
                    other => count.unexpected.push(format!("work {i}: {other:?}")),
                }
            }
            count
        }
    };
    let ((), (a, b)) = future::zip(starter, future::zip(canceller(), canceller())).await;
    Count {
        stopped: a.stopped + b.stopped,
        finished: a.finished + b.finished,
        unexpected: a.unexpected.into_iter().chain(b.unexpected).collect(),
    }
}

/// A storm of `n` tasks for subject `S` on runtime `R`, checked.
fn checked_storm<S: Subject<R>, R: Runtime>(n: usize, print_row: bool) {
    let _alone = alone();
    let what = format!("storm of {n} on {} × {}", S::NAME, R::KIND);
    let (count, alive, tasks, grew, took) = bounded(&what.clone(), LIMIT, move || {
        let rt: R = common::runtime::<S, R>(Clock::Real);
        let h = rt.handle();
        let p = Probe::new();
        // A small storm first, so pools and caches reach their steady size.
        rt.block_on(storm::<S, R>(&h, &p, 500));
        let before = live_bytes().expect("the counting allocator is the global allocator");
        let start = Instant::now();
        let count = rt.block_on(storm::<S, R>(&h, &p, n));
        let took = start.elapsed();
        let start = Instant::now();
        while rt.alive_tasks().is_some_and(|t| t != 0) && start.elapsed() < SETTLE {
            std::thread::sleep(Duration::from_millis(1));
        }
        let after = live_bytes().expect("the counting allocator is the global allocator");
        (count, p.alive(), rt.alive_tasks(), after - before, took)
    });
    if print_row {
        show(&format!(
            "| `{}` | {} | {n} | {:.2} | {} | {} | {} | {grew:+} B | {} |",
            S::NAME,
            R::KIND,
            took.as_secs_f64(),
            count.stopped,
            count.finished,
            count.unexpected.len(),
            tasks.map_or("not counted".to_owned(), |t| t.to_string()),
        ));
    }
    assert!(
        count.unexpected.is_empty(),
        "{what}: {} unexpected cancels, first: {:?}",
        count.unexpected.len(),
        count.unexpected.first()
    );
    assert_eq!(
        count.stopped + count.finished,
        n,
        "{what}: not every task was cancelled"
    );
    assert!(count.stopped > 0, "{what}: no cancel raced a running task");
    assert_eq!(alive, 0, "{what}: work still alive afterwards");
    assert!(
        tasks.is_none_or(|t| t == 0),
        "{what}: the runtime still counts {tasks:?} live tasks"
    );
    assert!(
        grew <= HEAP_BOUND,
        "{what}: live heap grew by {grew} bytes (bound {HEAP_BOUND})"
    );
}

fn ci_storm<S: Subject<R>, R: Runtime>() {
    checked_storm::<S, R>(CI_TASKS, false);
}

fn full_storm<S: Subject<R>, R: Runtime>() {
    static HEADER: std::sync::Once = std::sync::Once::new();
    HEADER.call_once(|| {
        show(
            "\n| strategy | runtime | tasks | seconds | stopped | finished | unexpected | live heap growth | tasks alive after |\n\
             | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        );
    });
    checked_storm::<S, R>(env_count("STORM_TASKS", FULL_TASKS), true);
}

/// The storms `cargo test` runs.
mod ci {
    use super::*;
    cancel_conformance::matrix_tests!(ci_storm);
}

/// The full storms, by hand with `--release -- --ignored`.
mod full {
    use super::*;
    cancel_conformance::matrix_tests!(
        full_storm,
        #[ignore = "long: run with --release -- --ignored"]
    );
}
