//! The tables, as Markdown: readable in a terminal, pasteable into a README.
//! The verdict tables are in `verdicts.rs`.

use std::fmt::Write;

/// One Markdown table row.
pub(crate) fn row(out: &mut String, cells: impl IntoIterator<Item = impl AsRef<str>>) {
    out.push('|');
    for c in cells {
        let _ = write!(out, " {} |", c.as_ref());
    }
    out.push('\n');
}

/// One latency table per metric: a row per strategy × runtime (then the
/// peer's rows), percentiles from the run's histograms, and the ratio of
/// the p50 to its floor.
pub(crate) fn latency(report: &crate::report::Report) -> String {
    use crate::chart::human_ns;
    let mut out = String::new();
    for metric in cancel_benches::Metric::ALL {
        let name = metric.name();
        let rows: Vec<_> = report
            .latency
            .iter()
            .map(|r| (r, false))
            .chain(report.peers.latency.iter().map(|r| (r, true)))
            .filter(|(r, _)| r.metric == name)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let samples = rows.first().map_or(0, |(r, _)| r.samples);
        let _ = writeln!(out, "### `{name}` ({samples} samples each)\n");
        row(
            &mut out,
            [
                "strategy",
                "runtime",
                "p50",
                "p90",
                "p99",
                "max",
                "p50 ÷ floor",
                "floor",
            ],
        );
        row(&mut out, std::iter::repeat_n("---", 8));
        for (r, peer) in rows {
            let strategy = if peer {
                format!("{} (peer)", r.strategy)
            } else {
                format!("`{}`", r.strategy)
            };
            row(
                &mut out,
                [
                    strategy,
                    r.runtime.clone(),
                    human_ns(r.p50_ns),
                    human_ns(r.p90_ns),
                    human_ns(r.p99_ns),
                    human_ns(r.max_ns),
                    format!("{:.1}×", r.floor_ratio),
                    format!("`{}`", r.floor),
                ],
            );
        }
        out.push('\n');
    }
    if report.peers.latency.is_empty() {
        let _ = writeln!(out, "{}\n", report.peers.status);
    } else {
        let _ = writeln!(out, "Peer: {}.\n", report.peers.status);
    }
    out
}

/// The floors of the run.
pub(crate) fn floors(floors: &[crate::report::Floor]) -> String {
    use crate::chart::human_ns;
    let mut out = String::new();
    row(&mut out, ["floor", "p50", "p90", "p99", "max", "samples"]);
    row(&mut out, std::iter::repeat_n("---", 6));
    for f in floors {
        row(
            &mut out,
            [
                format!("`{}`", f.name),
                human_ns(f.p50_ns),
                human_ns(f.p90_ns),
                human_ns(f.p99_ns),
                human_ns(f.max_ns),
                f.samples.to_string(),
            ],
        );
    }
    out
}

/// Time per task of one fanout per size: a row per strategy × runtime, a
/// column per N.
pub(crate) fn fanout(rows: &[crate::report::Fanout]) -> String {
    use crate::chart::human_ns;
    let mut sizes: Vec<usize> = rows.iter().map(|r| r.n).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut out = String::new();
    row(
        &mut out,
        ["strategy", "runtime"]
            .into_iter()
            .map(str::to_owned)
            .chain(sizes.iter().map(|n| format!("N = {n}"))),
    );
    row(&mut out, std::iter::repeat_n("---", sizes.len() + 2));
    let mut targets: Vec<(&str, &str)> = rows.iter().map(|r| (r.strategy, r.runtime)).collect();
    targets.dedup();
    for (strategy, runtime) in targets {
        let cells = sizes.iter().map(|&n| {
            rows.iter()
                .find(|r| r.strategy == strategy && r.runtime == runtime && r.n == n)
                .map_or_else(
                    || "—".to_owned(),
                    |r| format!("{} /task", human_ns(r.per_task_ns)),
                )
        });
        row(
            &mut out,
            [format!("`{strategy}`"), runtime.to_owned()]
                .into_iter()
                .chain(cells),
        );
    }
    let _ = writeln!(
        out,
        "\nOne run per size; `thread` stops at {} (blocking-pool threads).",
        cancel_benches::THREAD_FANOUT_CAP
    );
    out
}
