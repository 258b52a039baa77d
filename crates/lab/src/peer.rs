//! The Python peer: `peers/python/asyncio_cancel.py`, run with `python3`
//! when it is on the PATH, measures asyncio's `Task.cancel()` and timeouts
//! the way the lab measures each strategy, and in the same run the floors of
//! the same situations on its own loop (a future resolved instead of a task
//! cancelled; `asyncio.sleep` to the same deadline). Its rows are marked as a
//! peer and read against those floors only: a ratio to a Rust floor would
//! compare two languages' wake-ups, not a cancel with its floor.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cancel_benches::{Deadline, Metric, Timer, TimerSource};
use serde::Deserialize;

use crate::measure::{Figure, FloorRow, Plan, Rounds};

/// The script, built into the binary so the lab runs it from anywhere.
const SCRIPT: &str = include_str!("../../../peers/python/asyncio_cancel.py");

/// Where the script lives in the repository, for the report.
pub(crate) const SCRIPT_PATH: &str = "peers/python/asyncio_cancel.py";

/// How the peer run went.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    /// One line for the report: what ran, or why nothing did.
    pub(crate) status: String,
    /// The peer's own floors, measured in the same run by the same script.
    pub(crate) floors: Vec<FloorRow>,
    /// The measured rows; empty when the peer did not run.
    pub(crate) rows: Vec<PeerRow>,
}

/// One peer row, read beside the strategies' rows.
#[derive(Debug, Clone)]
pub(crate) struct PeerRow {
    /// `asyncio`, `asyncio.timeout`, `asyncio.wait_for`.
    pub(crate) runtime: String,
    pub(crate) metric: Metric,
    /// One of the peer's own floors, never one of the Rust floors.
    pub(crate) floor: String,
    pub(crate) figure: Figure,
}

#[derive(Debug, Deserialize)]
struct Output {
    python: String,
    floors: Vec<OutputFloor>,
    rows: Vec<OutputRow>,
}

#[derive(Debug, Deserialize)]
struct OutputFloor {
    name: String,
    situation: String,
    rounds_ns: Vec<Vec<u64>>,
}

#[derive(Debug, Deserialize)]
struct OutputRow {
    metric: String,
    runtime: String,
    floor: String,
    rounds_ns: Vec<Vec<u64>>,
}

fn rounds(ns: &[Vec<u64>]) -> Rounds {
    Rounds(
        ns.iter()
            .map(|r| r.iter().map(|&n| Duration::from_nanos(n)).collect())
            .collect(),
    )
}

/// Runs the peer with the plan's samples and rounds, within `limit`.
pub(crate) fn run(plan: Plan, limit: Duration) -> Peer {
    match run_script(plan, limit) {
        Ok(output) => {
            let floors: Vec<FloorRow> = output
                .floors
                .iter()
                .map(|f| {
                    FloorRow::least_of(
                        f.name.clone(),
                        f.situation.clone(),
                        true,
                        &[(f.name.clone(), &rounds(&f.rounds_ns))],
                    )
                })
                .collect();
            let rows = output
                .rows
                .iter()
                .filter_map(|row| peer_row(row, &floors))
                .collect();
            Peer {
                status: format!(
                    "Python {} asyncio, measured by {SCRIPT_PATH} in the same run, against floors of its own loop",
                    output.python
                ),
                floors,
                rows,
            }
        }
        Err(why) => Peer {
            status: format!("no Python peer row: {why}"),
            floors: Vec::new(),
            rows: Vec::new(),
        },
    }
}

/// A row of the peer, read against the peer's floor it names (a row that
/// names no floor the peer measured is left out: no Rust floor stands in).
fn peer_row(row: &OutputRow, floors: &[FloorRow]) -> Option<PeerRow> {
    // The peer's timeouts are its loop's own timer, to the 100 µs deadline.
    let peer_timer = Timer::new(TimerSource::Runtime, Deadline::Micros100);
    let metric = Metric::ALL
        .into_iter()
        .filter(|m| m.timer().is_none_or(|t| t == peer_timer))
        .find(|m| m.name() == row.metric)?;
    let floor = floors.iter().find(|f| f.name == row.floor)?;
    Some(PeerRow {
        runtime: row.runtime.clone(),
        metric,
        floor: floor.name.clone(),
        figure: Figure::read(&rounds(&row.rounds_ns), &floor.round_p50s()),
    })
}

fn run_script(plan: Plan, limit: Duration) -> Result<Output, String> {
    let mut child = Command::new("python3")
        .arg("-")
        .arg("--samples")
        .arg(plan.samples.to_string())
        .arg("--timeout-samples")
        .arg(
            plan.timeouts(Timer::new(TimerSource::Runtime, Deadline::Micros100))
                .to_string(),
        )
        .arg("--rounds")
        .arg(plan.rounds.to_string())
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
