//! `goals`: cancel-scope against tokio-util's token, every goal of the scope
//! as a ratio `scope ÷ token` from one process: `checkpoint_cost` on one
//! thread and with two threads checking one token, the fanout to 100 000
//! waiting tasks (all stopped and joined; the `cancel()` call alone) and
//! cancel → the waiting task ran, p50 and p99, on every runtime; beside the
//! fanout, the same fanout stopped by `abort`, with no token, to show the
//! runtime's own share. Bytes per
//! child token come from `bytes_per_task`, which counts allocations.
//!
//! How it measures, and why: the figures are the library's
//! (`cancel_benches::goals`), the same scenarios as the criterion groups
//! (whose `scope/...` ids sit beside `token/...`), but sampled here as
//! medians and percentiles of alternating runs of both sides, in five
//! interleaved rounds, so one run prints every ratio with the spread of its
//! rounds, and calls a goal met or not met only when every round agrees
//! ("within noise" otherwise). Not a criterion bench (`harness = false`): under
//! `cargo bench` it measures the goals' sizes, under `cargo test --benches`
//! small ones, only to check that it runs; it honours `--list` and runs
//! when no filter is given or a filter names `goals`, `scope` or `token`.

use cancel_benches::goals::{Effort, rows, table};

const NAME: &str = "goals";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("{NAME}: bench");
        return;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let named = |f: &str| ["goals", "scope", "token"].iter().any(|w| f.contains(w));
    if !filters.is_empty()
        && !filters
            .iter()
            .any(|f| named(f) || NAME.contains(f.as_str()))
    {
        return;
    }
    let effort = if args.iter().any(|a| a == "--bench") {
        Effort::BENCH
    } else {
        Effort::TEST
    };
    println!("{NAME}: cancel-scope ÷ tokio-util's CancellationToken, {effort:?}");
    println!();
    print!("{}", table(&rows(effort)));
}
