//! Bytes per cancellable task, for every strategy × runtime: the live heap
//! with N tasks started and parked (their handles held in a `Vec`), minus the
//! live heap before, divided by N, printed as a table.
//!
//! How it measures, and why: this binary installs
//! `cancel_harness::probe::CountingAlloc` as its global allocator, which no
//! criterion bench may (it would tax every allocation they time), and calls
//! the library's `Measure::live_bytes_per_task`, the same setup the latency
//! figures use. Heap only: the stacks of `thread`'s blocking threads are
//! mapped, not allocated, and are not counted. N = 1 000 (`thread`: 100, its
//! blocking threads) under `cargo bench`; 100 (`thread`: 10) under
//! `cargo test --benches`, which only checks that it runs. Then the bytes
//! per child token of tokio-util's token and cancel-scope's, N children of
//! one parent.
//!
//! Not a criterion bench (`harness = false`): it honours `--list` and a name
//! filter the way criterion's binaries do, so `cargo bench -- <filter>` skips
//! it unless the filter matches `bytes_per_task`.

use cancel_benches::goals::{Token, child_token_bytes};
use cancel_benches::{THREAD_FANOUT_CAP, measure, targets};
use cancel_harness::probe::CountingAlloc;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const NAME: &str = "bytes_per_task";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("{NAME}: bench");
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if !filters.is_empty() && !filters.iter().any(|f| NAME.contains(f.as_str())) {
        return;
    }
    let bench_mode = args.iter().any(|a| a == "--bench");
    let (n_async, n_thread) = if bench_mode {
        (1_000, THREAD_FANOUT_CAP)
    } else {
        (100, 10)
    };
    println!("{NAME}: live heap bytes per started, parked task (handle included)");
    println!();
    println!("| strategy | runtime | N | bytes per task |");
    println!("| --- | --- | --- | --- |");
    for target in targets() {
        let n = if cancel_conformance::facts(target.strategy, target.runtime).on_blocking_threads {
            n_thread
        } else {
            n_async
        };
        let mut m = measure(target);
        // A first batch lets the runtime grow its queues and pools, which
        // later tasks then share; the second batch is the one reported.
        let _ = m.live_bytes_per_task(n);
        let per_task = m
            .live_bytes_per_task(n)
            .expect("CountingAlloc is the global allocator of this binary");
        println!(
            "| `{}` | {} | {n} | {per_task:.0} |",
            target.strategy,
            target.runtime.name()
        );
    }
    // The two tokens' children alone: what one more child costs (the
    // child's allocation and its share of the parent's list), any runtime.
    let n = n_async;
    let token = child_token_bytes(Token::TokioUtil, n).expect("CountingAlloc is installed");
    let scope = child_token_bytes(Token::Scope, n).expect("CountingAlloc is installed");
    println!();
    println!("bytes per child token (N = {n} children of one parent, handles' Vec not counted)");
    println!();
    println!("| token | bytes per child | scope ÷ token | goal | met |");
    println!("| --- | --- | --- | --- | --- |");
    println!("| tokio-util `child_token()` | {token:.1} | | | |");
    let ratio = scope / token;
    let met = if ratio <= 0.5 { "yes" } else { "**no**" };
    println!("| cancel-scope `child()` | {scope:.1} | {ratio:.3} | ≤ 1/2 | {met} |");
}
