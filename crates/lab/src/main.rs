//! `cancel-lab`: runs the conformance suite on every strategy × runtime,
//! measures what stopping costs, and reports both.
//!
//! # Layout
//!
//! - `main.rs`: the command line and the run.
//! - `measure.rs`: latency histograms, floors and fanout, sampled with the
//!   benches' own scenario code (`cancel-benches`).
//! - `peer.rs`: the Python asyncio peer (`peers/python/asyncio_cancel.py`).
//! - `real.rs`: real work (sockets, children, a query, files) under every
//!   strategy × runtime, observed by `cancel-real`, and its table.
//! - `shutdown.rs`: a hyper server shut down under load three ways, run by
//!   `cancel-real`, and its table.
//! - `report.rs`: the JSON report (its shape: "Report format" in
//!   `ARCHITECTURE.md`), report.md, and writing the report directory;
//!   `chart.rs`: its SVG charts.
//! - `verdicts.rs`: the verdict tables (the compact block, the full
//!   matrix, capabilities, I3's lateness); `timers.rs`: the timer tables
//!   (`timeout_overshoot` per timer source and deadline, the bare timers);
//!   `table.rs`: the other Markdown tables.
//!
//! Exit codes: 0 when every case passes, 1 when any fails or the report
//! cannot be written, 2 on a usage error (a bad option, an unwritable `--out`).

mod blocks;
mod chart;
mod measure;
mod peer;
mod real;
mod report;
mod shutdown;
mod table;
mod timers;
mod verdicts;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cancel_conformance::{Case, Entry, RuntimeKind, StrategyKind, Verdict};
use clap::builder::PossibleValuesParser;
use clap::{CommandFactory, FromArgMatches, Parser};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::measure::{Measurements, Plan};
use crate::peer::Peer;

// Lets the leak case (I6) check that memory is back where it was.
#[global_allocator]
static ALLOC: cancel_harness::probe::CountingAlloc = cancel_harness::probe::CountingAlloc;

/// Samples per cancel histogram by default, and with `--quick`.
const DEFAULT_SAMPLES: u64 = 1_000;
const QUICK_SAMPLES: u64 = 100;
/// `timeout_overshoot` takes a quarter as many samples with the precise
/// timer at 100 µs, fewer with the others (`Plan::timeouts`): each waits for
/// a timer (a millisecond on tokio, and at 1 ms everywhere) and is taken
/// beside a sample of its floor, a timer too, and its p50 moves less from
/// round to round than a wake's.
const TIMEOUT_SHARE: u64 = 4;
/// The most `--samples` accepts: a million timeouts alone would take an hour.
const MAX_SAMPLES: u64 = 100_000;
/// The largest fanout by default, and with `--quick`.
const DEFAULT_MAX_FANOUT: usize = 100_000;
const QUICK_MAX_FANOUT: usize = 1_000;
/// Runs of each fanout size below 10 000 by default (the median is
/// reported), and with `--quick` (one a round).
const DEFAULT_FANOUT_RUNS: usize = 30;
const QUICK_FANOUT_RUNS: usize = 5;
/// I6's start → cancel cycles with `--quick` (10 000 otherwise).
const QUICK_LEAK_CYCLES: usize = 1_000;
/// How many conformance cases run at once: cases mostly wait (on timers,
/// on blocking calls they release, on grace periods), so more run than there
/// are cores; the ones that must run alone (I6) run after them.
const CASE_WORKERS: usize = 8;
/// The longest the Python peer may take.
const PEER_LIMIT: Duration = Duration::from_secs(120);

/// Settles, by running code, how to stop async work in Rust.
///
/// Runs every conformance case (invariants I1–I8 and the eight capabilities)
/// against every strategy on every runtime, then samples what stopping costs
/// (cancel → stopped, cancel → confirmed, timeout overshoot, fanout) against
/// physical floors measured in the same run, runs the Python asyncio peer when
/// `python3` is on the PATH, prints the tables, and writes report.md,
/// report.json and SVG charts into the report directory.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// Print the JSON report to stdout instead of the tables.
    #[arg(long)]
    json: bool,

    /// Print the full verdict matrix and every verdict's detail (what was
    /// seen), not only the compact verdicts and the failures' details.
    #[arg(long)]
    details: bool,

    /// Only these strategies (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    strategy: Vec<String>,

    /// Only these runtimes (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    runtime: Vec<String>,

    /// Only these cases, by report name (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    case: Vec<String>,

    /// Where to write the report [default: cancel-lab/ in the build's target directory].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Fewer samples, fanout up to 1 000 with 5 runs a size, and I6 with
    /// 1 000 cycles: for tests.
    #[arg(long)]
    quick: bool,

    /// Samples per cancel histogram, over all rounds [default: 1000, 100
    /// with --quick]. Timeouts take fewer: a quarter as many with the
    /// precise timer at 100 µs, a tenth with the runtime's own at 100 µs, a
    /// twentieth at 1 ms (at least one a round).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = parse_samples)]
    samples: Option<u64>,

    /// Run the conformance suite and the real-work verdicts only (a couple
    /// of cancels a row): no latency, floors, fanout or peer.
    #[arg(long)]
    verdicts_only: bool,

    /// After a full run, rewrite the generated blocks of README.md and docs/
    /// with its tables and copy its charts into docs/img/.
    #[arg(long, conflicts_with_all = ["quick", "verdicts_only", "strategy", "runtime", "case", "samples"])]
    update_docs: bool,

    /// Print the names of every strategy, runtime, case or real workload, one a line in
    /// report order, and run nothing (CI takes its lists from here).
    #[arg(long, value_name = "WHAT")]
    list: Option<List>,
}

/// What `--list` prints.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum List {
    Strategies,
    Runtimes,
    Cases,
    Workloads,
}

/// `--samples`: a whole number from 1 to [`MAX_SAMPLES`].
fn parse_samples(text: &str) -> Result<u64, String> {
    let accepted = format!("a whole number from 1 to {MAX_SAMPLES}");
    match text.parse::<u64>() {
        Ok(n) if (1..=MAX_SAMPLES).contains(&n) => Ok(n),
        Ok(0) => Err(format!("0 samples would measure nothing; give {accepted}")),
        Ok(_) => Err(format!(
            "too many to sample in reasonable time; give {accepted}"
        )),
        Err(_) => Err(format!("not {accepted}")),
    }
}

fn cli() -> Cli {
    // The valid values come from the registry, so clap's error for a bad
    // one lists exactly what exists.
    let strategies = StrategyKind::ALL.iter().map(|s| s.name());
    let runtimes = RuntimeKind::ALL.map(RuntimeKind::name);
    let cases = Case::ALL.map(Case::name);
    let command = Cli::command()
        .mut_arg("strategy", |a| {
            a.value_parser(PossibleValuesParser::new(strategies))
        })
        .mut_arg("runtime", |a| {
            a.value_parser(PossibleValuesParser::new(runtimes))
        })
        .mut_arg("case", |a| a.value_parser(PossibleValuesParser::new(cases)));
    // `exit` prints clap's message and exits with code 2 on a usage error.
    Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit())
}

fn main() -> ExitCode {
    let cli = cli();
    if let Some(what) = cli.list {
        let names: Vec<&str> = match what {
            List::Strategies => StrategyKind::ALL.iter().map(|s| s.name()).collect(),
            List::Runtimes => RuntimeKind::ALL.map(RuntimeKind::name).to_vec(),
            List::Cases => Case::ALL.map(Case::name).to_vec(),
            List::Workloads => cancel_real::Workload::ALL.map(|w| w.name()).to_vec(),
        };
        println!("{}", names.join("\n"));
        return ExitCode::SUCCESS;
    }
    let started = Instant::now();
    let before = report::Conditions::now();
    let selected = |list: &[String], name: &str| list.is_empty() || list.iter().any(|s| s == name);

    let out_dir = cli.out.clone().unwrap_or_else(default_out_dir);
    if let Err(e) = report::check_writable(&out_dir) {
        eprintln!(
            "cancel-lab: --out {}: {e}; give a directory you can write to",
            out_dir.display()
        );
        return ExitCode::from(2);
    }
    if cli.quick {
        cancel_conformance::set_leak_cycles(QUICK_LEAK_CYCLES);
    }
    let samples = cli.samples.unwrap_or(if cli.quick {
        QUICK_SAMPLES
    } else {
        DEFAULT_SAMPLES
    });
    let plan = Plan {
        samples,
        timeout_samples: samples.div_ceil(TIMEOUT_SHARE),
        rounds: cancel_benches::rounds::ROUNDS,
        max_fanout: if cli.quick {
            QUICK_MAX_FANOUT
        } else {
            DEFAULT_MAX_FANOUT
        },
        fanout_runs: if cli.quick {
            QUICK_FANOUT_RUNS
        } else {
            DEFAULT_FANOUT_RUNS
        },
    };

    let entries: Vec<Entry> = cancel_conformance::matrix()
        .into_iter()
        .filter(|e| {
            selected(&cli.strategy, e.strategy.name()) && selected(&cli.runtime, e.runtime.name())
        })
        .collect();
    let cases: Vec<Case> = Case::ALL
        .into_iter()
        .filter(|c| selected(&cli.case, c.name()))
        .collect();
    let targets: Vec<cancel_benches::Target> = if cli.verdicts_only {
        Vec::new()
    } else {
        cancel_benches::targets()
            .into_iter()
            .filter(|t| {
                entries
                    .iter()
                    .any(|e| e.strategy == t.strategy && e.runtime == t.runtime)
            })
            .collect()
    };

    let measuring = !cli.verdicts_only;
    let workloads = cancel_real::Workload::ALL;
    // The shutdown runs on tokio's multi-thread scheduler: only when the
    // run covers it.
    let shutting_down = selected(&cli.runtime, RuntimeKind::TokioMultiThread.name());
    let few = cli.quick || cli.verdicts_only;
    let steps = (entries.len() * cases.len()) as u64
        + real::steps(&entries, &workloads)
        + if shutting_down {
            shutdown::steps(few)
        } else {
            0
        }
        + if measuring {
            measure::steps(&targets, plan.rounds) + 1
        } else {
            0
        };
    let progress = progress_bar(&cli, steps);
    let verdicts = conformance(&entries, &cases, &progress);
    let (measured, peer) = if measuring {
        let measured = measure::run(&targets, plan, &progress);
        progress.set_message("Python peer");
        let peer = peer::run(plan, PEER_LIMIT);
        progress.inc(1);
        (measured, peer)
    } else {
        let peer = Peer {
            status: "no Python peer row: --verdicts-only".to_owned(),
            floors: Vec::new(),
            rows: Vec::new(),
        };
        (Measurements::default(), peer)
    };
    // Fewest samples without latencies: the verdicts need only one or two.
    let real_rows = real::run(&entries, &workloads, few, &progress);
    let shutdown = if shutting_down {
        shutdown::run(few, &progress)
    } else {
        Vec::new()
    };
    progress.finish_and_clear();

    let all_pass = verdicts.iter().all(|v| v.pass)
        && real_rows.iter().all(|r| r.pass)
        && shutdown.iter().all(|r| r.pass);
    let real = real_rows.iter().map(real::Real::of).collect();
    let report = report::Report::new(&entries, verdicts, &measured, &peer, real, shutdown, before);
    let files = match report::write(&out_dir, &report, &measured, &peer) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("cancel-lab: the report was not written: {e}");
            return ExitCode::FAILURE;
        }
    };
    let printed = if cli.json {
        report::print_json(&report)
    } else {
        print_tables(&report, cli.details, &files, started.elapsed())
    };
    if let Err(e) = printed {
        // A closed pipe (`| head`) is not worth a panic; say what happened.
        eprintln!("cancel-lab: could not print the report: {e}");
        return ExitCode::FAILURE;
    }
    if cli.update_docs {
        match update_docs(&out_dir) {
            Ok(updated) => {
                for path in updated {
                    eprintln!("cancel-lab: updated {}", path.display());
                }
            }
            Err(e) => {
                eprintln!("cancel-lab: the docs were not updated: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    if all_pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `cancel-lab/` in the target directory the binary was built into
/// (`target/release/cancel-lab` → `target/cancel-lab`), else in the
/// working directory's `target/`.
fn default_out_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.parent()?
                .parent()
                .map(|target| target.join("cancel-lab"))
        })
        .unwrap_or_else(|| PathBuf::from("target").join("cancel-lab"))
}

/// Splices the run's blocks (written into `out`) into the repository's
/// README.md and docs, and copies its charts into docs/img/.
fn update_docs(out: &std::path::Path) -> Result<Vec<PathBuf>, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let splices: [(&str, &[(&str, &str)]); 6] = [
        (
            "README.md",
            &[
                ("lab-output", "verdicts.md"),
                ("lab-lateness", "lateness.md"),
                ("lab-latency", "latency.md"),
                ("lab-real", "real.md"),
            ],
        ),
        (
            "docs/results.md",
            &[
                ("lab-verdicts", "verdicts.md"),
                ("lab-lateness", "lateness.md"),
                ("lab-latency", "latency.md"),
                ("lab-timers", "timers.md"),
            ],
        ),
        ("docs/pitfalls.md", &[("lab-timers", "timers.md")]),
        (
            "docs/choosing.md",
            &[("lab-capabilities", "capabilities.md")],
        ),
        ("docs/real-work.md", &[("lab-real", "real.md")]),
        ("docs/shutdown.md", &[("lab-shutdown", "shutdown.md")]),
    ];
    let mut updated = Vec::new();
    for (doc, blocks) in splices {
        let path = root.join(doc);
        let mut text = read(&path)?;
        for (block, source) in blocks {
            let content = read(&out.join(source))?;
            text = blocks::replace(&text, block, &content)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        updated.push(path);
    }
    let img = root.join("docs/img");
    std::fs::create_dir_all(&img).map_err(|e| format!("cannot create {}: {e}", img.display()))?;
    for chart in [
        "latency.svg",
        "overshoot.svg",
        "overshoot-1ms.svg",
        "fanout.svg",
        "real.svg",
    ] {
        let to = img.join(chart);
        std::fs::copy(out.join(chart), &to)
            .map_err(|e| format!("cannot copy {chart} to {}: {e}", to.display()))?;
        updated.push(to);
    }
    Ok(updated)
}

/// Runs every case of every entry and returns the verdicts in matrix order:
/// the cases that share the process [`CASE_WORKERS`] at a time, then those
/// that must run alone ([`Case::runs_alone`]) one by one, so none waits for
/// the others to let go.
fn conformance(entries: &[Entry], cases: &[Case], progress: &ProgressBar) -> Vec<Verdict> {
    let jobs: Vec<(&Entry, Case)> = entries
        .iter()
        .flat_map(|e| cases.iter().map(move |&c| (e, c)))
        .collect();
    let slots: Mutex<Vec<Option<Verdict>>> = Mutex::new(vec![None; jobs.len()]);
    let (alone, shared): (Vec<usize>, Vec<usize>) =
        (0..jobs.len()).partition(|&i| jobs[i].1.runs_alone());
    let run = |i: usize| {
        let (entry, case) = jobs[i];
        progress.set_message(format!(
            "{} on {}: {}",
            entry.strategy,
            entry.runtime,
            case.name()
        ));
        // `run` never panics: the suite turns a panicking case into a verdict.
        let verdict = (entry.run)(case);
        if let Ok(mut slots) = slots.lock() {
            slots[i] = Some(verdict);
        }
        progress.inc(1);
    };
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..CASE_WORKERS {
            scope.spawn(|| {
                while let Some(&i) = shared.get(next.fetch_add(1, Ordering::Relaxed)) {
                    run(i);
                }
            });
        }
    });
    alone.into_iter().for_each(run);
    slots
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect()
}

fn progress_bar(cli: &Cli, total: u64) -> ProgressBar {
    if cli.json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    bar
}

fn print_tables(
    report: &report::Report,
    details: bool,
    files: &[PathBuf],
    took: Duration,
) -> std::io::Result<()> {
    let verdicts = &report.conformance;
    let mut out = std::io::stdout().lock();
    if details {
        writeln!(out, "{}", verdicts::matrix(verdicts))?;
        let caps = verdicts::capability_table(verdicts, false);
        if !caps.is_empty() {
            writeln!(out, "### Capabilities, as observed\n\n{caps}")?;
        }
    } else {
        writeln!(out, "{}", verdicts::compact(verdicts))?;
    }
    let lateness = verdicts::lateness(verdicts);
    if !lateness.is_empty() {
        writeln!(out, "{lateness}")?;
    }
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    writeln!(out, "{}", verdicts::details(verdicts, details))?;
    writeln!(
        out,
        "{} verdicts: {} passed, {failed} failed\n",
        verdicts.len(),
        verdicts.len() - failed
    )?;
    if !report.real.is_empty() {
        writeln!(out, "## Real work\n\n{}", report.real_block())?;
    }
    if !report.shutdown.is_empty() {
        writeln!(
            out,
            "## Graceful shutdown under load\n\n{}",
            report.shutdown_block()
        )?;
    }
    if !report.latency.is_empty() {
        writeln!(out, "## Latency\n\n{}", table::latency(report))?;
        writeln!(out, "## Timers\n\n{}", timers::block(report))?;
        writeln!(
            out,
            "## Floors\n\n{}",
            table::floors(&report.floors, &report.peers.floors)
        )?;
        writeln!(out, "## Run\n\n{}", table::run_summary(report))?;
    }
    writeln!(out, "Report written ({:.1} s):", took.as_secs_f64())?;
    for file in files {
        writeln!(out, "  {}", file.display())?;
    }
    Ok(())
}
