//! The timer dimension: `timeout_overshoot` per strategy × runtime × timer
//! source (the runtime's own timer; `cancel-timer`'s, the precise one) at
//! each deadline, each figure beside the floor of its own timer source
//! measured on its runtime in the same rounds, and the bare timers (those
//! floors) per runtime. Tables for `timers.md` and report.md, columns for
//! the overshoot charts.

use std::fmt::Write;

use cancel_benches::floors::Floor;
use cancel_benches::rounds::Spread;
use cancel_benches::{Deadline, Metric, Timer, TimerSource};
use cancel_conformance::RuntimeKind;

use crate::chart::{Column, human_ns};
use crate::measure::Measurements;
use crate::peer::Peer;
use crate::report::{Latency, PYTHON_PEER, Report, deadline_ns};
use crate::table::row;

/// The timeout metrics at `deadline`, one per timer source.
pub(crate) fn metrics(deadline: Deadline) -> Vec<Metric> {
    Timer::ALL
        .into_iter()
        .filter(|t| t.deadline == deadline)
        .map(Metric::TimeoutOvershoot)
        .collect()
}

/// A timer source as the tables name it on `runtime`: which timer that is.
fn source_label(source: TimerSource, runtime: &str) -> &'static str {
    match (source, RuntimeKind::from_name(runtime)) {
        (
            TimerSource::Precise,
            Some(RuntimeKind::TokioCurrentThread | RuntimeKind::TokioMultiThread),
        ) => "precise (cancel-timer, tokio's reactor)",
        (TimerSource::Precise, _) => "precise (cancel-timer's thread)",
        (
            TimerSource::Runtime,
            Some(RuntimeKind::TokioCurrentThread | RuntimeKind::TokioMultiThread),
        ) => "runtime's (tokio)",
        (TimerSource::Runtime, Some(RuntimeKind::AsyncStd | RuntimeKind::Smol)) => {
            "runtime's (async-io)"
        }
        // The peer's rows: its loop's own timer.
        (TimerSource::Runtime, None) => "runtime's (asyncio)",
    }
}

/// The columns of the overshoot chart at `deadline`: per strategy ×
/// runtime the runtime's timer then the precise one, labelled with it, then
/// the peer's rows at that deadline.
pub(crate) fn columns(measured: &Measurements, peer: &Peer, deadline: Deadline) -> Vec<Column> {
    let at = metrics(deadline);
    let ours = measured
        .latency
        .iter()
        .filter(|r| at.contains(&r.metric))
        .filter_map(|r| {
            let timer = r.metric.timer()?;
            Some(Column {
                label: format!("{} · {}", r.target.id(), timer.source),
                stats: r.figure.stats,
            })
        });
    let peers = peer
        .rows
        .iter()
        .filter(|r| at.contains(&r.metric))
        .map(|r| Column {
            label: format!("{PYTHON_PEER}/{} (peer) · runtime", r.runtime),
            stats: r.figure.stats,
        });
    ours.chain(peers).collect()
}

/// `median (least–greatest)` of some nanosecond figures, `—` for none.
fn spread(values: impl IntoIterator<Item = u64>) -> String {
    // Display only: nanosecond figures far below 2^52 convert exactly.
    Spread::of(values.into_iter().map(|v| v as f64)).map_or_else(
        || "—".to_owned(),
        |s| {
            format!(
                "{} ({}–{})",
                human_ns(s.median.round() as u64),
                human_ns(s.min.round() as u64),
                human_ns(s.max.round() as u64)
            )
        },
    )
}

/// The block: the bare timers, then a `timeout_overshoot` table per
/// deadline, with how many samples each took and how to read them.
pub(crate) fn block(report: &Report) -> String {
    let mut out = String::new();
    let rounds = report.run.rounds;
    let timeouts: Vec<(&Latency, bool)> = report
        .latency
        .iter()
        .map(|r| (r, false))
        .chain(report.peers.latency.iter().map(|r| (r, true)))
        .filter(|(r, _)| r.timer.is_some())
        .collect();
    if timeouts.is_empty() {
        return "No timeout was measured in this run.\n".to_owned();
    }

    let _ = writeln!(
        out,
        "#### Bare timers: each timer source's floor on each runtime\n"
    );
    let mut header = vec!["runtime".to_owned(), "timer".to_owned()];
    for d in Deadline::ALL {
        header.push(format!(
            "{}: p50, median of {rounds} rounds (least–greatest)",
            d.label()
        ));
        header.push(format!("{}: p99, median (least–greatest)", d.label()));
    }
    row(&mut out, &header);
    row(&mut out, std::iter::repeat_n("---", header.len()));
    for rt in RuntimeKind::ALL {
        if !report.runtimes.contains(&rt.name()) {
            continue;
        }
        for source in TimerSource::ALL {
            let mut cells = vec![
                rt.name().to_owned(),
                source_label(source, rt.name()).to_owned(),
            ];
            for d in Deadline::ALL {
                let name = Floor::Timer(rt, Timer::new(source, d)).name();
                let floor = report.floors.iter().find(|f| f.name == name);
                cells.push(floor.map_or_else(
                    || "—".to_owned(),
                    |f| spread(f.rounds.iter().map(|r| r.p50_ns)),
                ));
                cells.push(floor.map_or_else(
                    || "—".to_owned(),
                    |f| spread(f.rounds.iter().map(|r| r.p99_ns)),
                ));
            }
            row(&mut out, cells);
        }
    }
    let _ = writeln!(
        out,
        "\nEach timer awaited alone on its runtime, no work, where the runtime runs a program's tasks (in `block_on`; on tokio-multi-thread, whose `block_on` thread is none of its workers, in a task spawned on it, as every timeout below): deadline → the await returned (the runtime's own timer: the cheaper of its sleep and its timeout around a future that never completes, round by round; the precise timer: `cancel_timer::tokio::sleep`, which on tokio arms a timerfd in the runtime's own reactor and elsewhere cancel-timer's one timer thread). Each is the floor of the timeouts of its source, runtime and deadline below, sampled beside them (`timer/<runtime>`, `timer/<runtime>/precise`, `…/1ms` in the floors table). A round's p99 is the p99 of that round's samples of its cheapest way.\n"
    );

    for d in Deadline::ALL {
        let rows: Vec<&(&Latency, bool)> = timeouts
            .iter()
            .filter(|(r, _)| r.deadline_ns == Some(deadline_ns(d)))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let counts: Vec<String> = TimerSource::ALL
            .into_iter()
            .filter_map(|s| {
                let n = rows
                    .iter()
                    .find(|(r, peer)| !peer && r.timer == Some(s.name()))?
                    .0
                    .samples;
                Some(format!("{}: {n} samples", s.name()))
            })
            .collect();
        let _ = writeln!(
            out,
            "#### `timeout_overshoot`, {} deadline ({} each, in {rounds} rounds)\n",
            d.label(),
            counts.join(", ")
        );
        let header = [
            "strategy".to_owned(),
            "runtime".to_owned(),
            "timer".to_owned(),
            format!("p50, median of {rounds} rounds (least–greatest)"),
            format!("p99, median of {rounds} rounds (least–greatest)"),
            "p50 ÷ floor, median (least–greatest)".to_owned(),
            "floor".to_owned(),
        ];
        row(&mut out, &header);
        row(&mut out, std::iter::repeat_n("---", header.len()));
        for (r, peer) in rows {
            let strategy = if *peer {
                format!("{} (peer)", r.strategy)
            } else {
                format!("`{}`", r.strategy)
            };
            let source = r
                .timer
                .and_then(TimerSource::from_name)
                .unwrap_or(TimerSource::Runtime);
            row(
                &mut out,
                [
                    strategy,
                    r.runtime.clone(),
                    source_label(source, &r.runtime).to_owned(),
                    spread(r.rounds.iter().map(|x| x.p50_ns)),
                    spread(r.rounds.iter().map(|x| x.p99_ns)),
                    crate::table::ratio(r),
                    format!("`{}`", r.floor),
                ],
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "How late each timeout of parked work came back after its deadline. `runtime's`: the strategy's `run_with_timeout`, on the runtime's own timer (tokio's wheel, async-io's `Timer` on async-std and smol); `precise`: the strategy's `run_until` with `cancel_timer::tokio::sleep(d)` as its deadline, on the same runtime (on tokio, a timerfd registered with the runtime's own reactor; on async-std and smol, cancel-timer's timer thread). Each figure is read against the bare timer of its own source, runtime and deadline, sampled beside it. Fewer timeouts are sampled where each takes a millisecond and the rounds agree (the runtime's timer at 100 µs, both at 1 ms) than with the precise timer at 100 µs, whose p99 is the figure of interest; with few samples a round, a round's p99 is its greatest sample."
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_deadline_has_a_metric_per_timer_source() {
        for d in Deadline::ALL {
            let at = metrics(d);
            assert_eq!(at.len(), TimerSource::ALL.len());
            for source in TimerSource::ALL {
                assert!(
                    at.contains(&Metric::TimeoutOvershoot(Timer::new(source, d))),
                    "{d:?} {source}"
                );
            }
        }
    }

    #[test]
    fn spreads_read_median_least_and_greatest() {
        assert_eq!(spread([3_000, 1_000, 2_000]), "2.0 µs (1.0 µs–3.0 µs)");
        assert_eq!(spread([]), "—");
    }

    #[test]
    fn each_runtime_names_its_own_timer() {
        assert_eq!(
            source_label(TimerSource::Runtime, "smol"),
            "runtime's (async-io)"
        );
        assert_eq!(
            source_label(TimerSource::Runtime, "tokio-multi-thread"),
            "runtime's (tokio)"
        );
        assert_eq!(
            source_label(TimerSource::Precise, "tokio-current-thread"),
            "precise (cancel-timer, tokio's reactor)"
        );
    }
}
