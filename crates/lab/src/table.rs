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

/// One latency table per cancel metric: a row per strategy × runtime (then
/// the peer's rows), percentiles over every round, and the median over
/// rounds of the p50's ratio to its floor of the same round, with its
/// spread. The timeouts have tables of their own (`timers.rs`).
pub(crate) fn latency(report: &crate::report::Report) -> String {
    use crate::chart::human_ns;
    let mut out = String::new();
    let rounds = report.run.rounds;
    let cancels = cancel_benches::Metric::ALL
        .into_iter()
        .filter(|m| m.timer().is_none());
    for metric in cancels {
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
        let _ = writeln!(
            out,
            "### `{name}` ({samples} samples each, in {rounds} rounds)\n"
        );
        let header = format!("p50 ÷ floor, median ({rounds} rounds: least–greatest)");
        row(
            &mut out,
            [
                "strategy", "runtime", "p50", "p90", "p99", "max", &header, "floor",
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
                    ratio(r),
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

/// The p50 ÷ floor cell: the median of the rounds with their least and
/// greatest, marked when it reads below its floor.
pub(crate) fn ratio(r: &crate::report::Latency) -> String {
    if r.rounds.iter().all(|x| x.ratio.is_none()) {
        return "—".to_owned();
    }
    let text = format!(
        "{:.1}× ({:.1}–{:.1})",
        r.floor_ratio, r.floor_ratio_min, r.floor_ratio_max
    );
    if r.floor_violation {
        format!("**{text} below floor**")
    } else {
        text
    }
}

/// A load average as `1.39 / 1.48 / 1.59`, or `unknown`.
pub(crate) fn load(c: &crate::report::Conditions) -> String {
    c.load.map_or_else(
        || "unknown".to_owned(),
        |[one, five, fifteen]| format!("{one:.2} / {five:.2} / {fifteen:.2}"),
    )
}

/// How the run went: its rounds, the machine's load around it, whether it
/// was noisy and which figures beat their floor.
pub(crate) fn run_summary(report: &crate::report::Report) -> String {
    let run = &report.run;
    let mut out = format!(
        "Every figure and floor sampled in {} interleaved rounds. Load average (1 / 5 / 15 min) {} before the run, {} after; {} CPUs before, {} after.\n\n",
        run.rounds,
        load(&run.before),
        load(&run.after),
        run.before.cpus,
        run.after.cpus,
    );
    if run.noisy {
        let floors: Vec<String> = report
            .floors
            .iter()
            .chain(&report.peers.floors)
            .filter(|f| f.noisy)
            .map(|f| {
                f.spread.map_or_else(
                    || format!("`{}`", f.name),
                    |s| format!("`{}` ({s:.1}×)", f.name),
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "**This run was noisy**: the rounds' p50s of {} differ by more than {}×; read its ratios with care.\n",
            floors.join(", "),
            run.noisy_above
        );
    } else {
        let _ = writeln!(
            out,
            "Not noisy: every floor's rounds' p50s are within {}× of each other.\n",
            run.noisy_above
        );
    }
    let below: Vec<String> = report
        .latency
        .iter()
        .chain(&report.peers.latency)
        .filter(|l| l.floor_violation)
        .map(|l| {
            format!(
                "`{}` on {} `{}` {:.2}× `{}`",
                l.strategy, l.runtime, l.metric, l.floor_ratio, l.floor
            )
        })
        .collect();
    if below.is_empty() {
        let _ = writeln!(
            out,
            "Floor violations (a p50 more than {:.0} % below its floor's): none.",
            (1.0 - run.violation_below) * 100.0
        );
    } else {
        let _ = writeln!(
            out,
            "**Floor violations** (a p50 more than {:.0} % below its floor's): {}.",
            (1.0 - run.violation_below) * 100.0,
            below.join("; ")
        );
    }
    out
}

/// The floors of the run, then the peer's own.
pub(crate) fn floors(floors: &[crate::report::Floor], peer: &[crate::report::Floor]) -> String {
    use crate::chart::human_ns;
    let mut out = String::new();
    row(
        &mut out,
        [
            "floor",
            "p50",
            "p90",
            "p99",
            "max",
            "rounds' p50, least–greatest",
            "least of",
            "samples",
        ],
    );
    row(&mut out, std::iter::repeat_n("---", 8));
    for f in floors.iter().chain(peer) {
        let least = f.rounds.iter().map(|r| r.p50_ns).min().unwrap_or(0);
        let greatest = f.rounds.iter().map(|r| r.p50_ns).max().unwrap_or(0);
        let mut spread = format!("{}–{}", human_ns(least), human_ns(greatest));
        if f.noisy {
            spread = format!("**{spread} noisy**");
        }
        let name = if !f.paired {
            format!("`{}` (reference)", f.name)
        } else if peer.iter().any(|p| p.name == f.name) {
            format!("`{}` (peer)", f.name)
        } else {
            format!("`{}`", f.name)
        };
        let probes: Vec<String> = f
            .probes
            .iter()
            .map(|p| format!("`{}` {}", p.name, human_ns(p.p50_ns)))
            .collect();
        row(
            &mut out,
            [
                name,
                human_ns(f.p50_ns),
                human_ns(f.p90_ns),
                human_ns(f.p99_ns),
                human_ns(f.max_ns),
                spread,
                probes.join(", "),
                f.samples.to_string(),
            ],
        );
    }
    let _ = writeln!(
        out,
        "\nA floor is the least, round by round, of the bare mechanisms it lists (percentiles: the cheapest over all rounds). What each floor's situation is: `benches/README.md`, \"Read a figure against its floor\"."
    );
    out
}

/// Time per task of the fanouts whose stop reaches the tasks as `stop`: a
/// row per strategy × runtime, a column per N, the median of the runs with
/// the least and greatest in brackets.
pub(crate) fn fanout(rows: &[crate::report::Fanout], stop: crate::measure::Stop) -> String {
    use crate::chart::human_ns;
    let rows: Vec<&crate::report::Fanout> = rows.iter().filter(|r| r.stop == stop.name()).collect();
    if rows.is_empty() {
        return "No strategy of this run stops its tasks this way.\n".to_owned();
    }
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
    // Display only: per-task figures are rounded to a nanosecond.
    let per = |ns: u64, n: usize| ns / u64::try_from(n.max(1)).unwrap_or(1);
    for (strategy, runtime) in targets {
        let cells = sizes.iter().map(|&n| {
            rows.iter()
                .find(|r| r.strategy == strategy && r.runtime == runtime && r.n == n)
                .map_or_else(
                    || "—".to_owned(),
                    |r| {
                        if r.runs > 1 {
                            format!(
                                "{} ({}–{})",
                                human_ns(r.per_task_ns),
                                human_ns(per(r.total_min_ns, n)),
                                human_ns(per(r.total_max_ns, n))
                            )
                        } else {
                            human_ns(r.per_task_ns)
                        }
                    },
                )
        });
        row(
            &mut out,
            [format!("`{strategy}`"), runtime.to_owned()]
                .into_iter()
                .chain(cells),
        );
    }
    let how = match stop {
        crate::measure::Stop::OneSignal => {
            "One stop the N tasks share (a parent token's `cancel()`, one flag, one channel) → all N stopped and joined, per task"
        }
        crate::measure::Stop::Requests => {
            "These strategies have no signal that reaches a group: N `request_stop`s, one per task, back to back → all N stopped and joined, per task"
        }
    };
    // How many runs each size had, as "N = 10000: 5 runs".
    let mut runs: Vec<(usize, usize)> = rows.iter().map(|r| (r.n, r.runs)).collect();
    runs.sort_unstable();
    runs.dedup();
    let counts: Vec<String> = runs
        .iter()
        .map(|&(n, k)| format!("N = {n}: {k} run{}", if k == 1 { "" } else { "s" }))
        .collect();
    let _ = writeln!(
        out,
        "\n{how}: the median of the runs, least–greatest in brackets ({}).",
        counts.join(", ")
    );
    if stop == crate::measure::Stop::OneSignal {
        let _ = writeln!(
            out,
            "`thread` stops at {} (blocking-pool threads).",
            cancel_benches::THREAD_FANOUT_CAP
        );
    }
    out
}
