//! The report: JSON (shape in `ARCHITECTURE.md`, "Report format"; tests and
//! other tools read it), Markdown, and the SVG charts, written together into
//! one directory.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use cancel_benches::rounds::{NOISY_ABOVE, VIOLATION_BELOW};
use cancel_benches::{Deadline, Metric};
use cancel_conformance::{Entry, Verdict};
use serde::Serialize;

use crate::chart::{self, Column, FloorLine};
use crate::measure::{Figure, FloorRow, Measurements, Percentiles, Stop};
use crate::peer::Peer;
use crate::{table, verdicts};

/// The whole report.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) machine: Machine,
    /// How the latencies were sampled, the machine's load around the run,
    /// and whether the run was noisy.
    pub(crate) run: Run,
    pub(crate) runtimes: Vec<&'static str>,
    pub(crate) strategies: Vec<&'static str>,
    pub(crate) conformance: Vec<Verdict>,
    pub(crate) latency: Vec<Latency>,
    pub(crate) floors: Vec<Floor>,
    /// A stop to N parked tasks → all stopped and joined, per strategy,
    /// runtime and N.
    pub(crate) fanout: Vec<Fanout>,
    /// Rows measured by a peer in another language, read beside ours.
    pub(crate) peers: Peers,
    /// Real work (a socket, a child, a query, a file) per strategy ×
    /// runtime: what the cancel did to the resource, and how soon.
    pub(crate) real: Vec<crate::real::Real>,
    /// A hyper server shut down under load, one row per way.
    pub(crate) shutdown: Vec<crate::shutdown::Shutdown>,
}

/// Where and when the run happened.
#[derive(Debug, Serialize)]
pub(crate) struct Machine {
    pub(crate) cpus: usize,
    pub(crate) os: &'static str,
    pub(crate) arch: &'static str,
    /// The processor's model name, where the OS says it (Linux).
    pub(crate) cpu: String,
    pub(crate) rustc: &'static str,
    /// UTC, RFC 3339, to the second.
    pub(crate) date: String,
}

impl Machine {
    /// `verb`, then the date, the processor, the CPU count, the OS, the
    /// architecture and rustc's version, then "by `cargo run --release`":
    /// where and when a generated block ran.
    fn provenance(&self, verb: &str) -> String {
        format!(
            "{verb} on {} — {}, {} CPUs, {} {}, rustc {} — by `cargo run --release`",
            self.date, self.cpu, self.cpus, self.os, self.arch, self.rustc
        )
    }
}

/// The load average and the CPU count at one moment.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Conditions {
    /// `/proc/loadavg`'s 1, 5 and 15 minute averages; `None` where the OS
    /// has no such file.
    pub(crate) load: Option<[f64; 3]>,
    /// The parallelism the OS grants the process.
    pub(crate) cpus: usize,
}

impl Conditions {
    pub(crate) fn now() -> Conditions {
        Conditions {
            load: load_average(),
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// The first three fields of `/proc/loadavg`.
fn load_average() -> Option<[f64; 3]> {
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    Some([
        fields.next()?.ok()?,
        fields.next()?.ok()?,
        fields.next()?.ok()?,
    ])
}

/// How the latencies were sampled, and what to make of the run.
#[derive(Debug, Serialize)]
pub(crate) struct Run {
    /// Interleaved rounds each figure and floor was sampled in (0 when no
    /// latency was measured).
    pub(crate) rounds: usize,
    pub(crate) before: Conditions,
    pub(crate) after: Conditions,
    /// Some floor's rounds differ by more than `noisy_above`.
    pub(crate) noisy: bool,
    /// Those floors, by name (the peer's among them).
    pub(crate) noisy_floors: Vec<String>,
    pub(crate) noisy_above: f64,
    /// Latency rows (the peer's among them) whose median ratio is below
    /// `violation_below`.
    pub(crate) floor_violations: usize,
    pub(crate) violation_below: f64,
}

/// One round of a latency row.
#[derive(Debug, Serialize)]
pub(crate) struct LatencyRound {
    pub(crate) samples: u64,
    pub(crate) p50_ns: u64,
    pub(crate) p99_ns: u64,
    pub(crate) floor_p50_ns: u64,
    /// `p50_ns ÷ floor_p50_ns`; `null` when the floor read 0.
    pub(crate) ratio: Option<f64>,
}

/// One latency row.
#[derive(Debug, Serialize)]
pub(crate) struct Latency {
    pub(crate) strategy: &'static str,
    pub(crate) runtime: String,
    pub(crate) metric: &'static str,
    /// A timeout's timer source (`runtime`, `precise`); `null` for a cancel.
    pub(crate) timer: Option<&'static str>,
    /// A timeout's deadline; `null` for a cancel.
    pub(crate) deadline_ns: Option<u64>,
    pub(crate) samples: u64,
    pub(crate) p50_ns: u64,
    pub(crate) p90_ns: u64,
    pub(crate) p99_ns: u64,
    pub(crate) max_ns: u64,
    /// The floor the figure is read against.
    pub(crate) floor: String,
    /// The median over rounds of p50 ÷ the floor's p50 of the same round.
    pub(crate) floor_ratio: f64,
    /// The least of the rounds' ratios.
    pub(crate) floor_ratio_min: f64,
    /// The greatest of the rounds' ratios.
    pub(crate) floor_ratio_max: f64,
    /// `floor_ratio` is below `run.violation_below`.
    pub(crate) floor_violation: bool,
    pub(crate) rounds: Vec<LatencyRound>,
}

/// A probe a floor is the least of.
#[derive(Debug, Serialize)]
pub(crate) struct FloorProbe {
    pub(crate) name: String,
    /// Its p50 over every round.
    pub(crate) p50_ns: u64,
}

/// One round of a floor.
#[derive(Debug, Serialize)]
pub(crate) struct FloorRound {
    pub(crate) p50_ns: u64,
    /// The p99 of the same probe in the same round.
    pub(crate) p99_ns: u64,
    /// The probe with the least p50 this round.
    pub(crate) probe: String,
}

/// One floor.
#[derive(Debug, Serialize)]
pub(crate) struct Floor {
    pub(crate) name: String,
    /// Who stops, which thread runs the executor, who is woken, which timer.
    pub(crate) situation: String,
    /// Some figure is read against it; `false` for a reference row.
    pub(crate) paired: bool,
    /// Percentiles of its cheapest probe over every round.
    pub(crate) samples: u64,
    pub(crate) p50_ns: u64,
    pub(crate) p90_ns: u64,
    pub(crate) p99_ns: u64,
    pub(crate) max_ns: u64,
    pub(crate) probes: Vec<FloorProbe>,
    pub(crate) rounds: Vec<FloorRound>,
    /// The greatest round p50 ÷ the least (`null` if the least is 0).
    pub(crate) spread: Option<f64>,
    /// `spread` is above `run.noisy_above`.
    pub(crate) noisy: bool,
}

/// One fanout size.
#[derive(Debug, Serialize)]
pub(crate) struct Fanout {
    pub(crate) strategy: &'static str,
    pub(crate) runtime: &'static str,
    pub(crate) n: usize,
    /// `one signal` (one stop the N tasks share) or `N requests` (one
    /// `request_stop` per task).
    pub(crate) stop: &'static str,
    /// How many fanouts of this size ran.
    pub(crate) runs: usize,
    /// The median of the runs, stop → all N stopped and joined.
    pub(crate) total_ns: u64,
    pub(crate) total_min_ns: u64,
    pub(crate) total_max_ns: u64,
    /// `total_ns ÷ N`.
    pub(crate) per_task_ns: u64,
}

/// The peer rows and what happened to the peer.
#[derive(Debug, Serialize)]
pub(crate) struct Peers {
    /// What ran, or why no peer row is there.
    pub(crate) status: String,
    /// The peer's own floors, measured by the peer in the same run.
    pub(crate) floors: Vec<Floor>,
    /// Rows shaped like `latency`; `strategy` names the peer.
    pub(crate) latency: Vec<Latency>,
}

fn latency_row(
    strategy: &'static str,
    runtime: String,
    metric: Metric,
    floor: String,
    figure: &Figure,
) -> Latency {
    let stats: &Percentiles = &figure.stats;
    let ratio =
        |pick: fn(&cancel_benches::rounds::Spread) -> f64| figure.ratio.as_ref().map_or(0.0, pick);
    let timer = metric.timer();
    Latency {
        strategy,
        runtime,
        metric: metric.name(),
        timer: timer.map(|t| t.source.name()),
        deadline_ns: timer.map(|t| deadline_ns(t.deadline)),
        samples: stats.samples,
        p50_ns: stats.p50_ns,
        p90_ns: stats.p90_ns,
        p99_ns: stats.p99_ns,
        max_ns: stats.max_ns,
        floor,
        floor_ratio: ratio(|s| s.median),
        floor_ratio_min: ratio(|s| s.min),
        floor_ratio_max: ratio(|s| s.max),
        floor_violation: figure.violation,
        rounds: figure
            .rounds
            .iter()
            .map(|r| LatencyRound {
                samples: r.samples,
                p50_ns: r.p50_ns,
                p99_ns: r.p99_ns,
                floor_p50_ns: r.floor_p50_ns,
                ratio: r.ratio,
            })
            .collect(),
    }
}

/// A deadline in whole nanoseconds, as the JSON has it.
pub(crate) fn deadline_ns(d: Deadline) -> u64 {
    u64::try_from(d.duration().as_nanos()).unwrap_or(u64::MAX)
}

pub(crate) fn floor_row(f: &FloorRow) -> Floor {
    Floor {
        name: f.name.clone(),
        situation: f.situation.clone(),
        paired: f.paired,
        samples: f.stats.samples,
        p50_ns: f.stats.p50_ns,
        p90_ns: f.stats.p90_ns,
        p99_ns: f.stats.p99_ns,
        max_ns: f.stats.max_ns,
        probes: f
            .probes
            .iter()
            .map(|(name, p50_ns)| FloorProbe {
                name: name.clone(),
                p50_ns: *p50_ns,
            })
            .collect(),
        rounds: f
            .rounds
            .iter()
            .map(|r| FloorRound {
                p50_ns: r.p50_ns,
                p99_ns: r.p99_ns,
                probe: r.probe.clone(),
            })
            .collect(),
        spread: f.spread.is_finite().then_some(f.spread),
        noisy: f.noisy,
    }
}

/// The peer's name in `peers.latency[].strategy`.
pub(crate) const PYTHON_PEER: &str = "python-asyncio";

impl Report {
    pub(crate) fn new(
        entries: &[Entry],
        conformance: Vec<Verdict>,
        measured: &Measurements,
        peer: &Peer,
        real: Vec<crate::real::Real>,
        shutdown: Vec<crate::shutdown::Shutdown>,
        before: Conditions,
    ) -> Report {
        let mut runtimes: Vec<&'static str> = Vec::new();
        let mut strategies: Vec<&'static str> = Vec::new();
        for e in entries {
            if !runtimes.contains(&e.runtime.name()) {
                runtimes.push(e.runtime.name());
            }
            if !strategies.contains(&e.strategy.name()) {
                strategies.push(e.strategy.name());
            }
        }
        let latency: Vec<Latency> = measured
            .latency
            .iter()
            .map(|r| {
                latency_row(
                    r.target.strategy.name(),
                    r.target.runtime.name().to_owned(),
                    r.metric,
                    r.floor.name(),
                    &r.figure,
                )
            })
            .collect();
        let peer_latency: Vec<Latency> = peer
            .rows
            .iter()
            .map(|r| {
                latency_row(
                    PYTHON_PEER,
                    r.runtime.clone(),
                    r.metric,
                    r.floor.clone(),
                    &r.figure,
                )
            })
            .collect();
        let floors: Vec<Floor> = measured.floors.iter().map(floor_row).collect();
        let peer_floors: Vec<Floor> = peer.floors.iter().map(floor_row).collect();
        let noisy_floors: Vec<String> = floors
            .iter()
            .chain(&peer_floors)
            .filter(|f| f.noisy)
            .map(|f| f.name.clone())
            .collect();
        let floor_violations = latency
            .iter()
            .chain(&peer_latency)
            .filter(|l| l.floor_violation)
            .count();
        Report {
            machine: Machine::this(),
            run: Run {
                rounds: if measured.latency.is_empty() {
                    0
                } else {
                    measured.rounds
                },
                before,
                after: Conditions::now(),
                noisy: !noisy_floors.is_empty(),
                noisy_floors,
                noisy_above: NOISY_ABOVE,
                floor_violations,
                violation_below: VIOLATION_BELOW,
            },
            runtimes,
            strategies,
            conformance,
            latency,
            floors,
            fanout: measured
                .fanout
                .iter()
                .map(|f| {
                    let total = f.total();
                    // Display figures: rounding to a nanosecond is exact enough.
                    Fanout {
                        strategy: f.target.strategy.name(),
                        runtime: f.target.runtime.name(),
                        n: f.n,
                        stop: f.stop.name(),
                        runs: f.runs.len(),
                        total_ns: total.median.round() as u64,
                        total_min_ns: total.min.round() as u64,
                        total_max_ns: total.max.round() as u64,
                        per_task_ns: f.per_task().median.round() as u64,
                    }
                })
                .collect(),
            peers: Peers {
                status: peer.status.clone(),
                floors: peer_floors,
                latency: peer_latency,
            },
            real,
            shutdown,
        }
    }

    /// The shutdown block `docs/shutdown.md` shows: where and when it ran,
    /// and the table.
    pub(crate) fn shutdown_block(&self) -> String {
        format!(
            "{}, on tokio's multi-thread runtime (two workers).\n\n{}",
            self.machine.provenance("Observed"),
            crate::shutdown::table(&self.shutdown),
        )
    }

    /// The real-work block the README and `docs/real-work.md` show: where
    /// and when it ran, and the table.
    pub(crate) fn real_block(&self) -> String {
        format!(
            "{}.\n\n{}",
            self.machine.provenance("Observed"),
            crate::real::table(&self.real),
        )
    }

    /// The latency section the README and docs show: where and when it ran,
    /// how noisy it was, the latency tables, the floors and the fanouts.
    pub(crate) fn latency_block(&self) -> String {
        format!(
            "{}.\n\n{}\n{}\n#### Floors\n\n{}\n#### Fanout: one signal to N tasks, time per task\n\n{}\n#### Fanout: N requests, one per task, time per task\n\n{}",
            self.machine.provenance("Measured"),
            table::run_summary(self),
            table::latency(self),
            table::floors(&self.floors, &self.peers.floors),
            table::fanout(&self.fanout, Stop::OneSignal),
            table::fanout(&self.fanout, Stop::Requests),
        )
    }

    /// The timer block `docs/pitfalls.md` and `docs/results.md` show: where
    /// and when it ran, the bare timers and `timeout_overshoot` per timer.
    pub(crate) fn timers_block(&self) -> String {
        format!(
            "{}; load average (1 / 5 / 15 min) {} before, {} after.\n\n{}",
            self.machine.provenance("Measured"),
            table::load(&self.run.before),
            table::load(&self.run.after),
            crate::timers::block(self),
        )
    }

    /// The report as Markdown: what `report.md` holds.
    pub(crate) fn markdown(&self, charts: &[PathBuf]) -> String {
        let m = &self.machine;
        let mut out = format!(
            "# cancel-lab report\n\nRun on {} — {}, {} CPUs, {} {}, rustc {}. Regenerate with \
             `cargo run --release` (see `cargo run --release -- --help`).\n\n",
            m.date, m.cpu, m.cpus, m.os, m.arch, m.rustc
        );
        out.push_str("## Verdicts\n\n");
        out.push_str(&verdicts::matrix(&self.conformance));
        out.push_str("\n## Capabilities\n\n");
        out.push_str(&verdicts::capability_table(&self.conformance, false));
        let lateness = verdicts::lateness(&self.conformance);
        if !lateness.is_empty() {
            out.push_str(
                "
## Lateness

",
            );
            out.push_str(&lateness);
        }
        if !self.latency.is_empty() {
            out.push_str(
                "
## Run

",
            );
            out.push_str(&table::run_summary(self));
            out.push_str(
                "
## Latency

",
            );
            out.push_str(&table::latency(self));
            out.push_str("\n## Timers\n\n");
            out.push_str(&crate::timers::block(self));
            out.push_str(
                "
## Floors

",
            );
            out.push_str(&table::floors(&self.floors, &self.peers.floors));
            out.push_str(
                "
## Fanout: one signal to N tasks

",
            );
            out.push_str(&table::fanout(&self.fanout, Stop::OneSignal));
            out.push_str(
                "
## Fanout: N requests, one per task

",
            );
            out.push_str(&table::fanout(&self.fanout, Stop::Requests));
        }
        if !self.real.is_empty() {
            out.push_str("\n## Real work\n\n");
            out.push_str(&crate::real::table(&self.real));
            let details: Vec<String> = self
                .real
                .iter()
                .filter(|r| r.pass && r.not_applicable.is_none())
                .map(|r| {
                    format!(
                        "- {} under `{}` on {}: {}",
                        r.workload, r.strategy, r.runtime, r.detail
                    )
                })
                .collect();
            out.push_str("\nWhat each row saw:\n\n");
            out.push_str(&details.join("\n"));
            out.push('\n');
        }
        if !self.shutdown.is_empty() {
            out.push_str("\n## Graceful shutdown under load\n\n");
            out.push_str(&crate::shutdown::table(&self.shutdown));
        }
        if !charts.is_empty() {
            out.push_str("\n## Charts\n\n");
            for chart in charts {
                if let Some(name) = chart.file_name().and_then(|n| n.to_str()) {
                    out.push_str(&format!("![{name}]({name})\n\n"));
                }
            }
        }
        out
    }
}

impl Machine {
    fn this() -> Machine {
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
            cpu: cpu_model().unwrap_or_else(|| "unknown".to_owned()),
            rustc: env!("CANCEL_LAB_RUSTC"),
            date: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        }
    }
}

/// The first `model name` of `/proc/cpuinfo`.
fn cpu_model() -> Option<String> {
    let info = fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("model name"))?;
    Some(line.split_once(':')?.1.trim().to_owned())
}

/// Prints the report as pretty JSON on stdout.
pub(crate) fn print_json(report: &Report) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, report)?;
    writeln!(out)
}

/// Every file a report can consist of: the charts, `latency.md` and
/// `timers.md` only when latency was measured, `lateness.md` only when I3
/// ran. `verdicts.md`, `capabilities.md`, `lateness.md`, `latency.md`,
/// `timers.md`, `real.md` and `shutdown.md` are the blocks the README and
/// docs show.
pub(crate) const FILES: [&str; 14] = [
    "report.md",
    "report.json",
    "verdicts.md",
    "capabilities.md",
    "lateness.md",
    "latency.md",
    "timers.md",
    "real.md",
    "shutdown.md",
    "latency.svg",
    "overshoot.svg",
    "overshoot-1ms.svg",
    "fanout.svg",
    "real.svg",
];

/// Checks that `dir` can take a report before anything is measured: creates
/// it if needed and writes, then removes, a probe file.
pub(crate) fn check_writable(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let probe = dir.join(".cancel-lab-write-check");
    fs::write(&probe, b"").map_err(|e| format!("cannot write into {}: {e}", dir.display()))?;
    fs::remove_file(&probe).map_err(|e| format!("cannot clean up in {}: {e}", dir.display()))
}

/// Writes the report into `dir`; on any failure removes what it wrote, so
/// no partial report is left behind. Files of an earlier run that this run
/// does not produce are removed too, so the directory holds one run.
pub(crate) fn write(
    dir: &Path,
    report: &Report,
    measured: &Measurements,
    peer: &Peer,
) -> Result<Vec<PathBuf>, String> {
    for name in FILES {
        let _ = fs::remove_file(dir.join(name));
    }
    let written = write_all(dir, report, measured, peer);
    if written.is_err() {
        for name in FILES {
            let _ = fs::remove_file(dir.join(name));
        }
    }
    written
}

fn put(path: PathBuf, text: &str) -> Result<PathBuf, String> {
    fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

fn write_all(
    dir: &Path,
    report: &Report,
    measured: &Measurements,
    peer: &Peer,
) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    let charts = if measured.latency.is_empty() {
        Vec::new()
    } else {
        charts(dir, report, measured, peer)?
    };
    let json = serde_json::to_string_pretty(report)
        .map_err(|e| format!("cannot encode the report: {e}"))?;
    files.push(put(dir.join("report.md"), &report.markdown(&charts))?);
    files.push(put(dir.join("report.json"), &(json + "\n"))?);
    files.push(put(
        dir.join("verdicts.md"),
        &verdicts::compact(&report.conformance),
    )?);
    files.push(put(
        dir.join("capabilities.md"),
        &verdicts::capability_table(&report.conformance, true),
    )?);
    let lateness = verdicts::lateness(&report.conformance);
    if !lateness.is_empty() {
        files.push(put(dir.join("lateness.md"), &lateness)?);
    }
    if !measured.latency.is_empty() {
        files.push(put(dir.join("latency.md"), &report.latency_block())?);
        files.push(put(dir.join("timers.md"), &report.timers_block())?);
    }
    if !report.real.is_empty() {
        files.push(put(dir.join("real.md"), &report.real_block())?);
    }
    if !report.shutdown.is_empty() {
        files.push(put(dir.join("shutdown.md"), &report.shutdown_block())?);
    }
    files.extend(charts);
    Ok(files)
}

fn charts(
    dir: &Path,
    report: &Report,
    measured: &Measurements,
    peer: &Peer,
) -> Result<Vec<PathBuf>, String> {
    let mut charts = Vec::new();
    let floors_of = |metrics: &[Metric]| -> Vec<FloorLine<'_>> {
        let mut names: Vec<String> = measured
            .latency
            .iter()
            .filter(|r| metrics.contains(&r.metric))
            .map(|r| r.floor.name())
            .collect();
        names.sort_unstable();
        names.dedup();
        report
            .floors
            .iter()
            .filter(|f| names.contains(&f.name))
            .map(|f| FloorLine {
                name: &f.name,
                ns: f.p50_ns,
            })
            .collect()
    };
    let columns = |metric: Metric| -> Vec<Column> {
        measured
            .latency
            .iter()
            .filter(|r| r.metric == metric)
            .map(|r| Column {
                label: r.target.id(),
                stats: r.figure.stats,
            })
            .chain(
                peer.rows
                    .iter()
                    .filter(|r| r.metric == metric)
                    .map(|r| Column {
                        label: format!("{PYTHON_PEER}/{} (peer)", r.runtime),
                        stats: r.figure.stats,
                    }),
            )
            .collect()
    };
    let latency = dir.join("latency.svg");
    chart::percentiles(
        &latency,
        "cancel → stopped (Drop ran): p50 / p90 / p99 per strategy × runtime",
        &columns(Metric::CancelToStopped),
        &floors_of(&[Metric::CancelToStopped]),
    )
    .map_err(|e| format!("cannot draw {}: {e}", latency.display()))?;
    charts.push(latency);
    for (file, deadline) in [
        ("overshoot.svg", Deadline::Micros100),
        ("overshoot-1ms.svg", Deadline::Millis1),
    ] {
        let path = dir.join(file);
        let metrics = crate::timers::metrics(deadline);
        let title = format!(
            "timeout overshoot ({} deadline → TimedOut), runtime's timer and precise (cancel-timer): p50 / p90 / p99",
            deadline.label()
        );
        chart::percentiles(
            &path,
            &title,
            &crate::timers::columns(measured, peer, deadline),
            &floors_of(&metrics),
        )
        .map_err(|e| format!("cannot draw {}: {e}", path.display()))?;
        charts.push(path);
    }
    let fanout = dir.join("fanout.svg");
    chart::fanout(
        &fanout,
        "fanout: a stop to N tasks → all stopped and joined (one signal; N requests where marked)",
        &measured.fanout,
    )
    .map_err(|e| format!("cannot draw {}: {e}", fanout.display()))?;
    charts.push(fanout);
    let (columns, floors) = crate::real::chart_columns(&report.real);
    if !columns.is_empty() {
        let real = dir.join("real.svg");
        let floors: Vec<FloorLine<'_>> = floors
            .into_iter()
            .map(|(name, ns)| FloorLine { name, ns })
            .collect();
        chart::percentiles(
            &real,
            "real work, cancel → resource released: p50 / p90 / p99 (floors: median of their rows' p50s)",
            &columns,
            &floors,
        )
        .map_err(|e| format!("cannot draw {}: {e}", real.display()))?;
        charts.push(real);
    }

    Ok(charts)
}
