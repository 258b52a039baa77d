//! The Python peer: `peers/python/asyncio_cancel.py`, run with `python3`
//! when it is on the PATH, measures asyncio's `Task.cancel()` and timeouts
//! the way the lab measures each strategy; its rows are marked as a peer.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cancel_benches::Metric;
use cancel_benches::floors::Floor;
use serde::Deserialize;

use crate::measure::{FloorRow, Percentiles, floor_ratio};

/// The script, built into the binary so the lab runs it from anywhere.
const SCRIPT: &str = include_str!("../../../peers/python/asyncio_cancel.py");

/// Where the script lives in the repository, for the report.
pub(crate) const SCRIPT_PATH: &str = "peers/python/asyncio_cancel.py";

/// How the peer run went.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    /// One line for the report: what ran, or why nothing did.
    pub(crate) status: String,
    /// The measured rows; empty when the peer did not run.
    pub(crate) rows: Vec<PeerRow>,
}

/// One peer row, read beside the strategies' rows.
#[derive(Debug, Clone)]
pub(crate) struct PeerRow {
    /// `asyncio`, `asyncio.timeout`, `asyncio.wait_for`.
    pub(crate) runtime: String,
    pub(crate) metric: Metric,
    pub(crate) stats: Percentiles,
    pub(crate) floor: Floor,
    pub(crate) floor_ratio: f64,
}

#[derive(Debug, Deserialize)]
struct Output {
    python: String,
    rows: Vec<OutputRow>,
}

#[derive(Debug, Deserialize)]
struct OutputRow {
    metric: String,
    runtime: String,
    samples_ns: Vec<u64>,
}

/// Runs the peer with `samples` samples per row, within `limit`.
pub(crate) fn run(samples: u64, limit: Duration, floors: &[FloorRow]) -> Peer {
    match run_script(samples, limit) {
        Ok(output) => Peer {
            status: format!(
                "Python {} asyncio, measured by {SCRIPT_PATH} in the same run",
                output.python
            ),
            rows: output
                .rows
                .into_iter()
                .filter_map(|row| peer_row(row, floors))
                .collect(),
        },
        Err(why) => Peer {
            status: format!("no Python peer row: {why}"),
            rows: Vec::new(),
        },
    }
}

fn peer_row(row: OutputRow, floors: &[FloorRow]) -> Option<PeerRow> {
    let metric = Metric::ALL.into_iter().find(|m| m.name() == row.metric)?;
    // One event loop on one thread: a wake is a same-thread wake; a timeout
    // ends in the loop's sleep until the deadline.
    let floor = match metric {
        Metric::TimeoutOvershoot => Floor::SleepOvershoot,
        Metric::CancelToStopped | Metric::CancelToConfirmed => Floor::SameThreadWake,
    };
    let samples: Vec<Duration> = row
        .samples_ns
        .iter()
        .map(|&ns| Duration::from_nanos(ns))
        .collect();
    let stats = Percentiles::of(&samples);
    let floor_ratio = floor_ratio(&stats, floor, floors);
    Some(PeerRow {
        runtime: row.runtime,
        metric,
        stats,
        floor,
        floor_ratio,
    })
}

fn run_script(samples: u64, limit: Duration) -> Result<Output, String> {
    let mut child = Command::new("python3")
        .arg("-")
        .arg("--samples")
        .arg(samples.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "python3 is not on the PATH".to_owned(),
            _ => format!("python3 could not be started: {e}"),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(SCRIPT.as_bytes())
            .map_err(|e| format!("could not hand the script to python3: {e}"))?;
        // Dropping stdin closes it: python3 then runs what it read.
    }
    // Read both pipes on threads so a full pipe never blocks the child.
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{SCRIPT_PATH} took longer than {limit:?}; stopped it"
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for python3 failed: {e}")),
        }
    };
    let out = stdout.and_then(|t| t.join().ok()).unwrap_or_default();
    let err = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if !status.success() {
        let last = err.lines().last().unwrap_or("no message");
        return Err(format!("{SCRIPT_PATH} failed ({status}): {last}"));
    }
    serde_json::from_str(&out).map_err(|e| format!("{SCRIPT_PATH} printed no report: {e}"))
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}
