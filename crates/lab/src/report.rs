//! The report: JSON (shape in `ARCHITECTURE.md`, "Report format"; tests and
//! other tools read it), Markdown, and the SVG charts, written together into
//! one directory.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use cancel_benches::Metric;
use cancel_conformance::{Entry, Verdict};
use serde::Serialize;

use crate::chart::{self, Column, FloorLine};
use crate::measure::{Measurements, Percentiles};
use crate::peer::Peer;
use crate::{table, verdicts};

/// The whole report.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) machine: Machine,
    pub(crate) runtimes: Vec<&'static str>,
    pub(crate) strategies: Vec<&'static str>,
    pub(crate) conformance: Vec<Verdict>,
    pub(crate) latency: Vec<Latency>,
    pub(crate) floors: Vec<Floor>,
    /// One signal to N parked tasks → all stopped and joined, per strategy,
    /// runtime and N.
    pub(crate) fanout: Vec<Fanout>,
    /// Rows measured by a peer in another language, read beside ours.
    pub(crate) peers: Peers,
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

/// One latency row.
#[derive(Debug, Serialize)]
pub(crate) struct Latency {
    pub(crate) strategy: &'static str,
    pub(crate) runtime: String,
    pub(crate) metric: &'static str,
    pub(crate) samples: u64,
    pub(crate) p50_ns: u64,
    pub(crate) p90_ns: u64,
    pub(crate) p99_ns: u64,
    pub(crate) max_ns: u64,
    /// p50 ÷ the p50 of `floor`, measured in the same run.
    pub(crate) floor_ratio: f64,
    pub(crate) floor: &'static str,
}

/// One physical floor.
#[derive(Debug, Serialize)]
pub(crate) struct Floor {
    pub(crate) name: &'static str,
    pub(crate) samples: u64,
    pub(crate) p50_ns: u64,
    pub(crate) p90_ns: u64,
    pub(crate) p99_ns: u64,
    pub(crate) max_ns: u64,
}

/// One fanout.
#[derive(Debug, Serialize)]
pub(crate) struct Fanout {
    pub(crate) strategy: &'static str,
    pub(crate) runtime: &'static str,
    pub(crate) n: usize,
    pub(crate) total_ns: u64,
    pub(crate) per_task_ns: u64,
}

/// The peer rows and what happened to the peer.
#[derive(Debug, Serialize)]
pub(crate) struct Peers {
    /// What ran, or why no peer row is there.
    pub(crate) status: String,
    /// Rows shaped like `latency`; `strategy` names the peer.
    pub(crate) latency: Vec<Latency>,
}

fn nanos(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn latency_row(
    strategy: &'static str,
    runtime: String,
    metric: Metric,
    stats: &Percentiles,
    floor: cancel_benches::floors::Floor,
    floor_ratio: f64,
) -> Latency {
    Latency {
        strategy,
        runtime,
        metric: metric.name(),
        samples: stats.samples,
        p50_ns: stats.p50_ns,
        p90_ns: stats.p90_ns,
        p99_ns: stats.p99_ns,
        max_ns: stats.max_ns,
        floor_ratio,
        floor: floor.name(),
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
        Report {
            machine: Machine::this(),
            runtimes,
            strategies,
            conformance,
            latency: measured
                .latency
                .iter()
                .map(|r| {
                    latency_row(
                        r.target.strategy.name(),
                        r.target.runtime.name().to_owned(),
                        r.metric,
                        &r.stats,
                        r.floor,
                        r.floor_ratio,
                    )
                })
                .collect(),
            floors: measured
                .floors
                .iter()
                .map(|f| Floor {
                    name: f.floor.name(),
                    samples: f.stats.samples,
                    p50_ns: f.stats.p50_ns,
                    p90_ns: f.stats.p90_ns,
                    p99_ns: f.stats.p99_ns,
                    max_ns: f.stats.max_ns,
                })
                .collect(),
            fanout: measured
                .fanout
                .iter()
                .map(|f| Fanout {
                    strategy: f.target.strategy.name(),
                    runtime: f.target.runtime.name(),
                    n: f.n,
                    total_ns: nanos(f.total),
                    per_task_ns: nanos(f.per_task()),
                })
                .collect(),
            peers: Peers {
                status: peer.status.clone(),
                latency: peer
                    .rows
                    .iter()
                    .map(|r| {
                        latency_row(
                            PYTHON_PEER,
                            r.runtime.clone(),
                            r.metric,
                            &r.stats,
                            r.floor,
                            r.floor_ratio,
                        )
                    })
                    .collect(),
            },
        }
    }

    /// The latency section the README and docs show: where and when it ran,
    /// the latency tables, the floors and the fanout.
    pub(crate) fn latency_block(&self) -> String {
        let m = &self.machine;
        format!(
            "Measured on {} — {}, {} CPUs, {} {}, rustc {} — by `cargo run --release`.\n\n{}\n#### Floors\n\n{}\n#### Fanout: one signal to N tasks, time per task\n\n{}",
            m.date,
            m.cpu,
            m.cpus,
            m.os,
            m.arch,
            m.rustc,
            table::latency(self),
            table::floors(&self.floors),
            table::fanout(&self.fanout),
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
            out.push_str("\n## Lateness\n\n");
            out.push_str(&lateness);
        }
        out.push_str("\n## Latency\n\n");
        out.push_str(&table::latency(self));
        out.push_str("\n## Floors\n\n");
        out.push_str(&table::floors(&self.floors));
        out.push_str("\n## Fanout: one signal to N tasks\n\n");
        out.push_str(&table::fanout(&self.fanout));
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

/// Every file a report can consist of: the charts and `latency.md` only
/// when latency was measured, `lateness.md` only when I3 ran.
/// `verdicts.md`, `capabilities.md`, `lateness.md` and `latency.md` are the
/// blocks the README and docs show.
pub(crate) const FILES: [&str; 9] = [
    "report.md",
    "report.json",
    "verdicts.md",
    "capabilities.md",
    "lateness.md",
    "latency.md",
    "latency.svg",
    "overshoot.svg",
    "fanout.svg",
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
    let floors_of = |metrics: &[Metric]| -> Vec<FloorLine<'static>> {
        let mut names: Vec<&'static str> = report
            .latency
            .iter()
            .filter(|r| metrics.iter().any(|m| m.name() == r.metric))
            .map(|r| r.floor)
            .collect();
        names.sort_unstable();
        names.dedup();
        report
            .floors
            .iter()
            .filter(|f| names.contains(&f.name))
            .map(|f| FloorLine {
                name: f.name,
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
                stats: r.stats,
            })
            .chain(
                peer.rows
                    .iter()
                    .filter(|r| r.metric == metric)
                    .map(|r| Column {
                        label: format!("{PYTHON_PEER}/{} (peer)", r.runtime),
                        stats: r.stats,
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
    let overshoot = dir.join("overshoot.svg");
    chart::percentiles(
        &overshoot,
        "timeout overshoot (100 µs deadline → TimedOut): p50 / p90 / p99",
        &columns(Metric::TimeoutOvershoot),
        &floors_of(&[Metric::TimeoutOvershoot]),
    )
    .map_err(|e| format!("cannot draw {}: {e}", overshoot.display()))?;
    charts.push(overshoot);
    let fanout = dir.join("fanout.svg");
    chart::fanout(
        &fanout,
        "fanout: one signal → N tasks stopped and joined",
        &measured.fanout,
    )
    .map_err(|e| format!("cannot draw {}: {e}", fanout.display()))?;
    charts.push(fanout);

    Ok(charts)
}
