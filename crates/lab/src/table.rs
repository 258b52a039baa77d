//! The tables, as Markdown: readable in a terminal, pasteable into a README.

use std::fmt::Write;

use cancel_conformance::{Case, Verdict};
use cancel_harness::runtime::RuntimeKind;

/// Distinct values of `key` in first-seen order.
fn distinct<'a>(verdicts: &'a [Verdict], key: impl Fn(&'a Verdict) -> &'a str) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for v in verdicts {
        let k = key(v);
        if !seen.contains(&k) {
            seen.push(k);
        }
    }
    seen
}

/// One cell: what was observed, marked ✗ when it contradicts the declaration.
fn cell(v: &Verdict) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let is_invariant = Case::from_name(v.case).is_some_and(Case::is_invariant);
    match (v.declared, v.observed) {
        (None, _) => "n/a".to_owned(),
        (Some(_), None) => "✗ not observed".to_owned(),
        (Some(_), Some(o)) if is_invariant => (if o { "holds" } else { "✗ FAILS" }).to_owned(),
        (Some(d), Some(o)) if d == o => yes_no(o).to_owned(),
        (Some(d), Some(o)) => format!("✗ {} (declared {})", yes_no(o), yes_no(d)),
    }
}

fn row(out: &mut String, cells: impl IntoIterator<Item = impl AsRef<str>>) {
    out.push('|');
    for c in cells {
        let _ = write!(out, " {} |", c.as_ref());
    }
    out.push('\n');
}

/// One table per strategy: a row per case, a column per runtime.
pub(crate) fn verdicts(verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let runtimes: Vec<&str> = RuntimeKind::ALL
        .map(RuntimeKind::name)
        .into_iter()
        .filter(|r| verdicts.iter().any(|v| v.runtime == *r))
        .collect();
    for strategy in distinct(verdicts, |v| v.strategy) {
        let _ = writeln!(out, "### `{strategy}`\n");
        row(
            &mut out,
            std::iter::once("case").chain(runtimes.iter().copied()),
        );
        row(&mut out, std::iter::repeat_n("---", runtimes.len() + 1));
        for case in distinct(verdicts, |v| v.case) {
            let mut cells = vec![format!("`{case}`")];
            for runtime in &runtimes {
                let found = verdicts
                    .iter()
                    .find(|v| v.strategy == strategy && v.case == case && v.runtime == *runtime);
                cells.push(found.map_or_else(|| "—".to_owned(), cell));
            }
            row(&mut out, cells);
        }
        out.push('\n');
    }
    out
}

/// [`capability_table`] under its heading.
pub(crate) fn capabilities(verdicts: &[Verdict]) -> String {
    let table = capability_table(verdicts);
    if table.is_empty() {
        return table;
    }
    format!("### Capabilities, as observed\n\n{table}")
}

/// The observed capabilities: a row per strategy × runtime, a column per
/// capability. Only capability verdicts appear.
pub(crate) fn capability_table(verdicts: &[Verdict]) -> String {
    let caps: Vec<&str> = distinct(verdicts, |v| v.case)
        .into_iter()
        .filter(|c| Case::from_name(c).is_some_and(|c| !c.is_invariant()))
        .collect();
    if caps.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    row(
        &mut out,
        ["strategy", "runtime"]
            .into_iter()
            .chain(caps.iter().copied()),
    );
    row(&mut out, std::iter::repeat_n("---", caps.len() + 2));
    for strategy in distinct(verdicts, |v| v.strategy) {
        for runtime in distinct(verdicts, |v| v.runtime) {
            let mut cells = vec![format!("`{strategy}`"), runtime.to_owned()];
            for cap in &caps {
                let found = verdicts
                    .iter()
                    .find(|v| v.strategy == strategy && v.runtime == runtime && v.case == *cap);
                cells.push(found.map_or_else(|| "—".to_owned(), cell));
            }
            row(&mut out, cells);
        }
    }
    out
}

/// What was seen, for every failed verdict (or every verdict with `all`).
pub(crate) fn details(verdicts: &[Verdict], all: bool) -> String {
    let mut out = String::new();
    for v in verdicts.iter().filter(|v| all || !v.pass) {
        let mark = if v.pass { "✓" } else { "✗" };
        let _ = writeln!(
            out,
            "{mark} {} on {} — {}: {}",
            v.strategy, v.runtime, v.case, v.detail
        );
    }
    out
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

/// The verdict tables and the capability table, as the README shows them.
pub(crate) fn verdicts_and_capabilities(verdicts: &[Verdict]) -> String {
    let both = format!(
        "{}\n{}",
        self::verdicts(verdicts),
        self::capabilities(verdicts)
    );
    both.trim_end().to_owned() + "\n"
}
