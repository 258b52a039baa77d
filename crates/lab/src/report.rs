//! The JSON report: its shape is fixed (DESIGN §4); tests and other tools read it.

use std::io::Write;

use cancel_conformance::{Entry, Verdict};
use serde::Serialize;

/// The whole report.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) machine: Machine,
    pub(crate) runtimes: Vec<&'static str>,
    pub(crate) strategies: Vec<&'static str>,
    pub(crate) conformance: Vec<Verdict>,
    pub(crate) latency: Vec<Latency>,
    pub(crate) floors: Vec<Floor>,
}

/// Where the run happened.
#[derive(Debug, Serialize)]
pub(crate) struct Machine {
    pub(crate) cpus: usize,
    pub(crate) os: &'static str,
    pub(crate) rustc: &'static str,
}

/// One latency row (filled by the measurements; empty until they run).
#[derive(Debug, Serialize)]
pub(crate) struct Latency {
    pub(crate) strategy: &'static str,
    pub(crate) runtime: &'static str,
    pub(crate) metric: &'static str,
    pub(crate) samples: u64,
    pub(crate) p50_ns: u64,
    pub(crate) p90_ns: u64,
    pub(crate) p99_ns: u64,
    pub(crate) max_ns: u64,
    pub(crate) floor_ratio: f64,
}

/// One physical floor (filled by the measurements; empty until they run).
#[derive(Debug, Serialize)]
pub(crate) struct Floor {
    pub(crate) name: &'static str,
    pub(crate) p50_ns: u64,
}

impl Report {
    pub(crate) fn new(entries: &[Entry], conformance: Vec<Verdict>) -> Report {
        let mut runtimes: Vec<&'static str> = Vec::new();
        let mut strategies: Vec<&'static str> = Vec::new();
        for e in entries {
            if !runtimes.contains(&e.runtime.name()) {
                runtimes.push(e.runtime.name());
            }
            if !strategies.contains(&e.strategy) {
                strategies.push(e.strategy);
            }
        }
        Report {
            machine: Machine::this(),
            runtimes,
            strategies,
            conformance,
            latency: Vec::new(),
            floors: Vec::new(),
        }
    }
}

impl Machine {
    fn this() -> Machine {
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            os: std::env::consts::OS,
            rustc: env!("CANCEL_LAB_RUSTC"),
        }
    }
}

/// Prints the report as pretty JSON on stdout.
pub(crate) fn write_json(report: &Report) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, report)?;
    writeln!(out)
}
