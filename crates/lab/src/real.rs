//! The real-work step: every workload of `cancel-real` (a socket, a child
//! process, a SQLite query, a file) under every strategy × runtime, and its
//! table. The observations, the verdicts and the samples are
//! `cancel_real::observe`'s; this module picks sample counts, runs the rows
//! one at a time (real resources share the machine: rows running together
//! would time each other) and summarises them.

use std::fmt::Write as _;
use std::time::Duration;

use cancel_conformance::Entry;
use cancel_real::{Row, Workload};
use indicatif::ProgressBar;
use serde::Serialize;

use crate::chart::human_ns;
use crate::table::row;

/// How many cancels a workload's row samples.
///
/// Each sample is a whole resource (a connection, a process, a query run
/// for as long as it runs on), and each is taken beside a sample of its
/// floor, so the rows sample far less than the scripted latencies: enough
/// for a median and a spread the table prints, few enough that the whole
/// step takes seconds. `--quick` and `--verdicts-only` take the least that
/// still gives the verdict.
pub(crate) fn samples(workload: Workload, quick: bool) -> usize {
    match (workload, quick) {
        (Workload::Tcp, false) => 30,
        (Workload::Child, false) => 10,
        (Workload::Query, false) => 5,
        (Workload::File, false) => 1,
        (Workload::Http, false) => 10,
        (Workload::Tcp, true) => 5,
        (Workload::Child | Workload::Query, true) => 2,
        (Workload::File, true) => 1,
        (Workload::Http, true) => 2,
    }
}

/// How many rows [`run`] observes for these entries.
pub(crate) fn steps(entries: &[Entry], workloads: &[Workload]) -> u64 {
    (entries.len() * workloads.len()) as u64
}

/// Observes every workload × entry, one row at a time, in report order:
/// workload by workload, each over the strategies and runtimes.
pub(crate) fn run(
    entries: &[Entry],
    workloads: &[Workload],
    quick: bool,
    progress: &ProgressBar,
) -> Vec<Row> {
    let mut rows = Vec::with_capacity(entries.len() * workloads.len());
    for &workload in workloads {
        for e in entries {
            progress.set_message(format!(
                "real work: {workload} under {} on {}",
                e.strategy, e.runtime
            ));
            rows.push(cancel_real::observe(
                workload,
                e.strategy,
                e.runtime,
                samples(workload, quick),
            ));
            progress.inc(1);
        }
    }
    rows
}

/// One row of the report's `real` section.
#[derive(Debug, Serialize)]
pub(crate) struct Real {
    pub(crate) workload: &'static str,
    pub(crate) strategy: &'static str,
    pub(crate) runtime: &'static str,
    /// Why the workload does not apply here; `null` when it ran.
    pub(crate) not_applicable: Option<String>,
    pub(crate) outcome: String,
    pub(crate) released: bool,
    pub(crate) pass: bool,
    pub(crate) detail: String,
    pub(crate) samples: usize,
    /// Cancel → released: nearest-rank percentiles over the samples, and the
    /// least; `null` when the workload has nothing to time.
    pub(crate) p50_ns: Option<u64>,
    pub(crate) p90_ns: Option<u64>,
    pub(crate) p99_ns: Option<u64>,
    pub(crate) min_ns: Option<u64>,
    pub(crate) max_ns: Option<u64>,
    pub(crate) floor: Option<&'static str>,
    /// The floor's p50 over its samples, taken beside these.
    pub(crate) floor_p50_ns: Option<u64>,
    /// The least of the floor's samples.
    pub(crate) floor_min_ns: Option<u64>,
    /// `p50_ns ÷ floor_p50_ns`; `null` when either is missing or the floor
    /// read 0.
    pub(crate) floor_ratio: Option<f64>,
    /// `floor_ratio` is below the violation line, but `p50_ns` is no less
    /// than the floor's least sample: with this few samples the two are
    /// within noise, and the table says so instead of a ratio.
    pub(crate) floor_within_noise: bool,
    /// `floor_ratio` below the violation line and `p50_ns` below every
    /// sample of the floor: the floor is wrong, and the table prints no
    /// ratio.
    pub(crate) floor_violation: bool,
}

impl Real {
    pub(crate) fn of(r: &Row) -> Real {
        let lat = Percentiles::of(&r.latency);
        let floor = Percentiles::of(&r.floor_samples);
        let floor_ratio = match (lat, floor) {
            (Some(l), Some(f)) if f.p50 > 0 => Some(l.p50 as f64 / f.p50 as f64),
            _ => None,
        };
        let below = floor_ratio.is_some_and(|x| x < cancel_benches::rounds::VIOLATION_BELOW);
        // A handful of samples a side: a p50 the floor's own spread reaches
        // is not below it.
        let within_floor_spread = match (lat, floor) {
            (Some(l), Some(f)) => l.p50 >= f.min,
            _ => false,
        };
        Real {
            workload: r.workload.name(),
            strategy: r.strategy.name(),
            runtime: r.runtime.name(),
            not_applicable: r.not_applicable.clone(),
            outcome: r.outcome.clone(),
            released: r.released,
            pass: r.pass,
            detail: r.detail.clone(),
            samples: r.latency.len(),
            p50_ns: lat.map(|p| p.p50),
            p90_ns: lat.map(|p| p.p90),
            p99_ns: lat.map(|p| p.p99),
            min_ns: lat.map(|p| p.min),
            max_ns: lat.map(|p| p.max),
            floor: r.floor,
            floor_p50_ns: floor.map(|p| p.p50),
            floor_min_ns: floor.map(|p| p.min),
            floor_ratio,
            floor_within_noise: below && within_floor_spread,
            floor_violation: below && !within_floor_spread,
        }
    }
}

/// Nearest-rank percentiles of a handful of samples, in nanoseconds.
#[derive(Debug, Clone, Copy)]
struct Percentiles {
    min: u64,
    p50: u64,
    p90: u64,
    p99: u64,
    max: u64,
}

impl Percentiles {
    fn of(samples: &[Duration]) -> Option<Percentiles> {
        let mut ns: Vec<u64> = samples
            .iter()
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .collect();
        ns.sort_unstable();
        let rank = |q: f64| {
            // Nearest rank: the smallest sample at or above the q quantile.
            let i = ((q * ns.len() as f64).ceil() as usize).clamp(1, ns.len()) - 1;
            ns[i]
        };
        Some(Percentiles {
            min: *ns.first()?,
            p50: rank(0.5),
            p90: rank(0.9),
            p99: rank(0.99),
            max: *ns.last()?,
        })
    }
}

/// The real-work table: a row per workload × strategy, a column per
/// runtime; each cell what happened to the resource, the p50 (least–
/// greatest) from cancel to release, and the p50's ratio to its floor's;
/// then the floors, and the details of every row that failed.
pub(crate) fn table(rows: &[Real]) -> String {
    let mut runtimes: Vec<&str> = Vec::new();
    for r in rows {
        if !runtimes.contains(&r.runtime) {
            runtimes.push(r.runtime);
        }
    }
    let mut out = String::new();
    // The counts the rows really took (n/a rows take none).
    let counts: Vec<String> = Workload::ALL
        .iter()
        .filter_map(|w| {
            let n = rows
                .iter()
                .filter(|r| r.workload == w.name())
                .map(|r| r.samples)
                .max()?;
            Some(format!("{w} {n}"))
        })
        .collect();
    let _ = writeln!(
        out,
        "Cancels per row: {}. Each cell: what the cancel did to the resource; \
         cancel → released, p50 (least–greatest); the p50 ÷ its floor's p50, \
         the floor sampled beside each cancel.\n",
        counts.join(", ")
    );
    let header = ["workload", "strategy"]
        .into_iter()
        .chain(runtimes.iter().copied());
    row(&mut out, header);
    row(&mut out, std::iter::repeat_n("---", 2 + runtimes.len()));
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for r in rows {
        if !keys.contains(&(r.workload, r.strategy)) {
            keys.push((r.workload, r.strategy));
        }
    }
    for (workload, strategy) in keys {
        let cells = runtimes.iter().map(|rt| {
            rows.iter()
                .find(|r| r.workload == workload && r.strategy == strategy && r.runtime == *rt)
                .map_or_else(String::new, cell)
        });
        let head = [format!("`{workload}`"), format!("`{strategy}`")];
        row(&mut out, head.into_iter().chain(cells));
    }
    out.push('\n');
    let floors = floor_lines(rows, &runtimes);
    if !floors.is_empty() {
        let _ = writeln!(
            out,
            "Floors, the bare mechanism with no strategy around it (p50 of the samples taken beside every row of the runtime):\n\n{floors}"
        );
    }
    let failed: Vec<&Real> = rows.iter().filter(|r| !r.pass).collect();
    let _ = writeln!(
        out,
        "{} rows: {} as predicted, {} not.",
        rows.len(),
        rows.len() - failed.len(),
        failed.len()
    );
    for r in failed {
        let _ = writeln!(
            out,
            "- **{} under `{}` on {}**: {}",
            r.workload, r.strategy, r.runtime, r.detail
        );
    }
    out
}

/// One cell: the outcome, the latency and its ratio, or why there is none.
fn cell(r: &Real) -> String {
    if let Some(why) = &r.not_applicable {
        return format!("n/a: {why}");
    }
    let mut cell = if r.pass {
        r.outcome.clone()
    } else {
        format!("**not as predicted**: {}", r.outcome)
    };
    if let (Some(p50), Some(min), Some(max)) = (r.p50_ns, r.min_ns, r.max_ns) {
        let _ = write!(
            cell,
            "; {} ({}–{})",
            human_ns(p50),
            human_ns(min),
            human_ns(max)
        );
        match r.floor_ratio {
            // Below the floor: the floor is wrong, so no ratio is printed.
            Some(_) if r.floor_violation => cell.push_str(", below its floor"),
            Some(_) if r.floor_within_noise => cell.push_str(", at its floor (within noise)"),
            Some(x) => {
                let _ = write!(cell, ", {x:.1}×");
            }
            None => {}
        }
    }
    cell
}

/// A line per floor: its p50 on each runtime, the median of the floor p50s
/// of the rows there.
fn floor_lines(rows: &[Real], runtimes: &[&str]) -> String {
    let mut names: Vec<&str> = rows.iter().filter_map(|r| r.floor).collect();
    names.sort_unstable();
    names.dedup();
    let mut out = String::new();
    for name in names {
        let per_runtime: Vec<String> = runtimes
            .iter()
            .filter_map(|rt| {
                let mut p50s: Vec<u64> = rows
                    .iter()
                    .filter(|r| r.floor == Some(name) && r.runtime == *rt)
                    .filter_map(|r| r.floor_p50_ns)
                    .collect();
                p50s.sort_unstable();
                let mid = *p50s.get(p50s.len() / 2)?;
                Some(format!("{rt} {}", human_ns(mid)))
            })
            .collect();
        let _ = writeln!(out, "- `{name}`: {}", per_runtime.join(", "));
    }
    out
}

/// The real-work chart's columns: every row that timed a release, with
/// its nearest-rank percentiles; and its floors as lines, each the median
/// of the floor p50s its rows took.
pub(crate) fn chart_columns(
    rows: &[Real],
) -> (Vec<crate::chart::Column>, Vec<(&'static str, u64)>) {
    let columns = rows
        .iter()
        .filter_map(|r| {
            Some(crate::chart::Column {
                label: format!("{}/{}/{}", r.workload, r.strategy, r.runtime),
                stats: crate::measure::Percentiles {
                    samples: r.samples as u64,
                    p50_ns: r.p50_ns?,
                    p90_ns: r.p90_ns?,
                    p99_ns: r.p99_ns?,
                    max_ns: r.max_ns?,
                },
            })
        })
        .collect();
    let mut names: Vec<&'static str> = rows.iter().filter_map(|r| r.floor).collect();
    names.sort_unstable();
    names.dedup();
    let floors = names
        .into_iter()
        .filter_map(|name| {
            let mut p50s: Vec<u64> = rows
                .iter()
                .filter(|r| r.floor == Some(name))
                .filter_map(|r| r.floor_p50_ns)
                .collect();
            p50s.sort_unstable();
            Some((name, *p50s.get(p50s.len() / 2)?))
        })
        .collect();
    (columns, floors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn percentiles_are_nearest_rank_and_none_without_samples() {
        assert!(Percentiles::of(&[]).is_none());
        let p = Percentiles::of(&ms(&[5, 1, 3, 2, 4])).expect("samples");
        assert_eq!((p.min, p.p50, p.max), (1_000_000, 3_000_000, 5_000_000));
        assert_eq!(p.p90, 5_000_000);
        assert_eq!(p.p99, 5_000_000);
        let one = Percentiles::of(&ms(&[7])).expect("a sample");
        assert_eq!(
            (one.min, one.p50, one.p90, one.p99, one.max),
            (7_000_000, 7_000_000, 7_000_000, 7_000_000, 7_000_000)
        );
    }

    #[test]
    fn sample_counts_are_never_zero() {
        for w in Workload::ALL {
            assert!(samples(w, false) >= samples(w, true));
            assert!(samples(w, true) >= 1);
        }
    }
}
