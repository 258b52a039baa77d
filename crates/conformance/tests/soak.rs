//! Soak: start → cancel cycles for every strategy × runtime, one after the
//! other, with cycles per second and memory before and after.
//!
//! ```sh
//! cargo test --release -p cancel-conformance --test soak -- --ignored
//! SOAK_CYCLES=10000 cargo test --release -p cancel-conformance --test soak -- --ignored
//! ```
//!
//! Each test runs `SOAK_CYCLES` cycles (1 000 000 unless set) after a
//! warm-up of [`WARM_UP_CYCLES`]: start work that would sleep for an hour,
//! cancel it, require `Stopped` and the work's state dropped. It prints one
//! Markdown table row (straight to stderr, so it shows without
//! `--nocapture`) and fails if
//!
//! - any cancel returned something else than `Stopped`, or any work was
//!   still alive when its cancel returned or at the end;
//! - the runtime still counts a live task at the end (tokio counts them,
//!   smol says whether it has any; async-std cannot tell, and there the
//!   work's own count is the check);
//! - live heap (a counting global allocator) grew by more than
//!   [`HEAP_BOUND`], or resident memory (`VmRSS`) by more than
//!   [`RESIDENT_BOUND`].
//!
//! The tests take a lock, so they run one at a time: memory is measured
//! for the whole process.

mod common;

use std::sync::Arc;
use std::sync::Once;
use std::time::{Duration, Instant};

use cancel_conformance::{Script, Step, Subject, Work, matrix_tests};
use cancel_contract::{CancelHandle as _, Cancellation};
use cancel_harness::probe::{CountingAlloc, Probe, live_bytes};
use cancel_harness::runtime::{Clock, Runtime};
use common::{alone, env_count, mib, resident_bytes, show};

// Live heap is read from this counting allocator.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Cycles per strategy × runtime unless `SOAK_CYCLES` says otherwise.
const DEFAULT_CYCLES: usize = 1_000_000;
/// Cycles run before the first measurement, so pools, caches and timer
/// wheels reach their steady size.
const WARM_UP_CYCLES: usize = 2_000;
/// How much live heap may grow over the cycles. A leak of one 64-byte
/// allocation every 100 cycles is 640 KiB at 1 000 000 cycles: caught.
const HEAP_BOUND: i64 = 256 * 1024;
/// How much resident memory may grow over the cycles: allocators keep
/// freed pages, and a runtime may start a thread (its stack) mid-run.
const RESIDENT_BOUND: i64 = 4 * 1024 * 1024;
/// How long the runtime's own task count may take to reach zero.
const SETTLE: Duration = Duration::from_secs(2);
/// Work that is only ever cancelled.
const LONG: Duration = Duration::from_secs(3600);

/// What a run of cycles saw.
#[derive(Debug, Default)]
struct Tally {
    /// Cancels that did not return `Stopped`, and the first of them.
    unexpected: usize,
    first_unexpected: Option<String>,
    /// Cancels after which the work was still alive.
    alive_after_cancel: usize,
}

/// Runs `n` start → cancel cycles on `h`, counting what went wrong.
async fn cycles<S: Subject<R>, R: Runtime>(
    h: &R::Handle,
    p: &Arc<Probe>,
    c: &Arc<Probe>,
    n: usize,
    tally: &mut Tally,
) {
    for _ in 0..n {
        let handle = S::start(h, Work::new(Script::new([Step::Sleep(LONG)], 0), p, c));
        let r = handle.cancel().await;
        if r != Ok(Cancellation::Stopped) {
            tally.unexpected += 1;
            tally
                .first_unexpected
                .get_or_insert_with(|| format!("{r:?}"));
        }
        // I4 on every cycle: the work is gone when `cancel` returns.
        if p.alive() != 0 {
            tally.alive_after_cancel += 1;
        }
    }
}

/// The soak of subject `S` on runtime `R`.
fn soak<S: Subject<R>, R: Runtime>() {
    let _alone = alone();
    let n = env_count("SOAK_CYCLES", DEFAULT_CYCLES);
    static HEADER: Once = Once::new();
    HEADER.call_once(|| {
        show(&format!(
            "\nsoak: {n} start → cancel cycles per strategy × runtime after {WARM_UP_CYCLES} warm-up cycles\n\n\
             | strategy | runtime | cycles | seconds | cycles/s | resident before → after (MiB) | live heap before → after (KiB) | tasks alive after |\n\
             | --- | --- | ---: | ---: | ---: | --- | --- | --- |"
        ));
    });
    let what = format!("{} on {}", S::NAME, R::KIND);
    // Bounded: a cancel that never returns fails the soak instead of hanging
    // it; a millisecond a cycle is ten times the slowest rate seen.
    let limit = Duration::from_secs(600) + Duration::from_millis(n as u64);
    let (
        warm,
        tally,
        took,
        tasks,
        alive_at_end,
        (rss_before, heap_before),
        (rss_after, heap_after),
    ) = common::bounded(&what.clone(), limit, move || {
        // Real time: the point is the runtime's real machinery, timers included.
        let rt: R = common::runtime::<S, R>(Clock::Real);
        let h = rt.handle();
        let (p, c) = (Probe::new(), Probe::new());
        let mut warm = Tally::default();
        rt.block_on(cycles::<S, R>(&h, &p, &c, WARM_UP_CYCLES, &mut warm));
        let settle = |rt: &R| {
            let start = Instant::now();
            while rt.alive_tasks().is_some_and(|t| t != 0) && start.elapsed() < SETTLE {
                std::thread::sleep(Duration::from_millis(1));
            }
            rt.alive_tasks()
        };
        settle(&rt);
        let (rss_before, heap_before) = (resident_bytes(), live_bytes());

        let mut tally = Tally::default();
        let start = Instant::now();
        rt.block_on(cycles::<S, R>(&h, &p, &c, n, &mut tally));
        let took = start.elapsed();
        // A task that has just returned its output can stay on the runtime's
        // books for a moment (tokio's multi-thread workers remove it after
        // waking the joiner): let the count settle, then require zero.
        let tasks = settle(&rt);
        let (rss_after, heap_after) = (resident_bytes(), live_bytes());
        let alive_at_end = p.alive();
        (
            warm,
            tally,
            took,
            tasks,
            alive_at_end,
            (rss_before, heap_before),
            (rss_after, heap_after),
        )
    });

    let rate = n as f64 / took.as_secs_f64().max(f64::MIN_POSITIVE);
    let (rss_before, rss_after) = (
        rss_before.map_or(0, |b| b as i64),
        rss_after.map_or(0, |b| b as i64),
    );
    let heap_before = heap_before.expect("the counting allocator is the global allocator");
    let heap_after = heap_after.expect("the counting allocator is the global allocator");
    show(&format!(
        "| `{}` | {} | {n} | {:.2} | {rate:.0} | {:.1} → {:.1} | {:.0} → {:.0} ({:+} B) | {} |",
        S::NAME,
        R::KIND,
        took.as_secs_f64(),
        mib(rss_before),
        mib(rss_after),
        heap_before as f64 / 1024.0,
        heap_after as f64 / 1024.0,
        heap_after - heap_before,
        tasks.map_or("not counted".to_owned(), |t| t.to_string()),
    ));

    assert_eq!(
        (warm.unexpected, tally.unexpected),
        (0, 0),
        "{what}: cancels that did not return Stopped, first: {:?}",
        warm.first_unexpected.or(tally.first_unexpected)
    );
    assert_eq!(
        warm.alive_after_cancel + tally.alive_after_cancel,
        0,
        "{what}: work still alive when its cancel returned"
    );
    assert_eq!(alive_at_end, 0, "{what}: work alive at the end");
    assert!(
        tasks.is_none_or(|t| t == 0),
        "{what}: the runtime still counts {tasks:?} live tasks"
    );
    assert!(
        heap_after - heap_before <= HEAP_BOUND,
        "{what}: live heap grew by {} bytes (bound {HEAP_BOUND})",
        heap_after - heap_before
    );
    assert!(
        resident_bytes().is_none() || rss_after - rss_before <= RESIDENT_BOUND,
        "{what}: resident memory grew by {} bytes (bound {RESIDENT_BOUND})",
        rss_after - rss_before
    );
}

matrix_tests!(soak, #[ignore = "long: run with --release -- --ignored"]);
