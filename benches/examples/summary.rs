//! Reads the last `cargo bench` run from criterion's files and prints its
//! medians as Markdown, each latency beside the floor it is read against
//! (`Floor::of`, the rule the lab uses too) measured in the same run. A floor
//! read from several probes (a task floor: a bare wake or the runtime's own
//! abort) is the least of their medians.
//!
//! ```sh
//! cargo bench && cargo run --release -p cancel-benches --example summary
//! ```
//!
//! Criterion's median is the median of its samples, each the mean of a
//! batch of stops: a typical figure, not a percentile of single stops (the
//! lab's histograms give those). The criterion directory is
//! `$CARGO_TARGET_DIR/criterion`, else `target/criterion` of this workspace,
//! or the one path given as an argument.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cancel_benches::floors::Floor;
use cancel_benches::{Metric, Target, targets};
use serde_json::Value;

/// `full_id` → median in nanoseconds, for every benchmark criterion saved.
fn medians(dir: &Path, out: &mut BTreeMap<String, f64>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "new") {
            let read = |f: &str| -> Option<Value> {
                serde_json::from_str(&std::fs::read_to_string(path.join(f)).ok()?).ok()
            };
            if let (Some(bench), Some(est)) = (read("benchmark.json"), read("estimates.json"))
                && let (Some(id), Some(median)) = (
                    bench["full_id"].as_str(),
                    est["median"]["point_estimate"].as_f64(),
                )
            {
                out.insert(id.to_owned(), median);
            }
        } else if path.is_dir()
            && path
                .file_name()
                .is_none_or(|n| n != "base" && n != "report")
        {
            medians(&path, out);
        }
    }
}

fn human(ns: f64) -> String {
    match ns {
        n if n < 1e3 => format!("{n:.1} ns"),
        n if n < 1e6 => format!("{:.2} µs", n / 1e3),
        n if n < 1e9 => format!("{:.2} ms", n / 1e6),
        n => format!("{:.2} s", n / 1e9),
    }
}

/// The target and metric of id `short` in the group named `group`:
/// `<strategy>/<runtime>`, in `timeout_overshoot` with its timer's suffix
/// (`select/smol/precise`).
fn target(group: &str, short: &str) -> Option<(Target, Metric)> {
    Metric::ALL
        .into_iter()
        .filter(|m| m.name() == group)
        .flat_map(|m| targets().into_iter().map(move |t| (t, m)))
        .find(|(t, m)| m.timer().map_or_else(|| t.id(), |timer| t.timer_id(timer)) == short)
}

fn main() {
    let dir = std::env::args().nth(1).map_or_else(
        || {
            std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(
                    || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
                    PathBuf::from,
                )
                .join("criterion")
        },
        PathBuf::from,
    );
    let mut all = BTreeMap::new();
    medians(&dir, &mut all);
    if all.is_empty() {
        eprintln!(
            "no criterion results under {}: run `cargo bench` first",
            dir.display()
        );
        std::process::exit(1);
    }
    // The least median among the floor's probes that were measured.
    let floor = |f: Floor| {
        f.bench_ids()
            .iter()
            .filter_map(|id| all.get(&format!("floors/{id}")).copied())
            .reduce(f64::min)
    };

    println!("## Floors\n\n| floor | least of | median |\n| --- | --- | --- |");
    for f in Floor::all() {
        if let Some(ns) = floor(f) {
            let ids: Vec<String> = f.bench_ids().iter().map(|id| format!("`{id}`")).collect();
            println!("| `{}` | {} | {} |", f.name(), ids.join(", "), human(ns));
        }
    }
    let mut groups: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
    groups.dedup();
    for group in groups {
        println!("\n## `{group}`\n\n| id | median | floor | ÷ floor |\n| --- | --- | --- | --- |");
        let prefix = format!("{group}/");
        for (id, &ns) in all.iter().filter(|(id, _)| id.starts_with(&prefix)) {
            let short = &id[prefix.len()..];
            let against = target(group, short).map(|(t, metric)| Floor::of(t, metric));
            let (name, ratio) = match against.and_then(|f| Some((f, floor(f)?))) {
                Some((f, floor_ns)) if floor_ns > 0.0 => {
                    (format!("`{}`", f.name()), format!("{:.1}×", ns / floor_ns))
                }
                _ => ("—".to_owned(), "—".to_owned()),
            };
            println!("| `{short}` | {} | {name} | {ratio} |", human(ns));
        }
    }
    println!("\n## `fanout`, N = 100 000\n\n| id | median | per task |\n| --- | --- | --- |");
    for (id, &ns) in all
        .iter()
        .filter(|(id, _)| id.starts_with("fanout/") && id.ends_with("/100000"))
    {
        println!(
            "| `{}` | {} | {} |",
            &id["fanout/".len()..],
            human(ns),
            human(ns / 1e5)
        );
    }
    let atomic = all.get("checkpoint_cost/floor/atomic-bool").copied();
    println!(
        "\n## `checkpoint_cost`\n\n| id | median per check | ÷ atomic load |\n| --- | --- | --- |"
    );
    for (id, &ns) in all
        .iter()
        .filter(|(id, _)| id.starts_with("checkpoint_cost/"))
    {
        let ratio = atomic
            .filter(|a| *a > 0.0)
            .map_or("—".to_owned(), |a| format!("{:.1}×", ns / a));
        println!(
            "| `{}` | {} | {ratio} |",
            &id["checkpoint_cost/".len()..],
            human(ns)
        );
    }
}
