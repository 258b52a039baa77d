//! `cancel-lab`: runs the conformance suite on every strategy × runtime and
//! prints what each really guarantees.
//!
//! # Layout
//!
//! - `main.rs`: the command line and the run.
//! - `report.rs`: the JSON report of `--json` (shape fixed by DESIGN §4).
//! - `table.rs`: the verdict and capability tables, as Markdown.
//!
//! Exit codes: 0 when every case passes, 1 when any fails, 2 on a usage error.

mod report;
mod table;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use cancel_conformance::{Case, Verdict};
use cancel_contract::runtime::RuntimeKind;
use clap::builder::PossibleValuesParser;
use clap::{CommandFactory, FromArgMatches, Parser};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

// Lets the leak case (I6) check that memory is back where it was.
#[global_allocator]
static ALLOC: cancel_contract::probe::CountingAlloc = cancel_contract::probe::CountingAlloc;

/// Settles, by running code, how to stop async work in Rust.
///
/// Runs every conformance case (invariants I1–I8 and the seven capabilities)
/// against every strategy on every runtime, then prints the verdict table:
/// what each strategy declares, what the run observed, and whether they agree.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// Print the JSON report to stdout instead of the tables.
    #[arg(long)]
    json: bool,

    /// Print every verdict's detail (what was seen), not only the failures'.
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
}

fn cli() -> Cli {
    // The valid values come from the suite itself, so clap's error for a bad
    // one lists exactly what exists.
    let strategies = cancel_conformance::strategies();
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
    let selected = |list: &[String], name: &str| list.is_empty() || list.iter().any(|s| s == name);

    let entries: Vec<_> = cancel_conformance::matrix()
        .into_iter()
        .filter(|e| selected(&cli.strategy, e.strategy) && selected(&cli.runtime, e.runtime.name()))
        .collect();
    let cases: Vec<Case> = Case::ALL
        .into_iter()
        .filter(|c| selected(&cli.case, c.name()))
        .collect();

    let progress = progress_bar(&cli, (entries.len() * cases.len()) as u64);
    let mut verdicts: Vec<Verdict> = Vec::with_capacity(entries.len() * cases.len());
    for entry in &entries {
        for &case in &cases {
            progress.set_message(format!(
                "{} on {}: {}",
                entry.strategy,
                entry.runtime,
                case.name()
            ));
            verdicts.push((entry.run)(case));
            progress.inc(1);
        }
    }
    progress.finish_and_clear();

    let all_pass = verdicts.iter().all(|v| v.pass);
    let written = if cli.json {
        let report = report::Report::new(&entries, verdicts);
        report::write_json(&report)
    } else {
        print_tables(&verdicts, cli.details)
    };
    if let Err(e) = written {
        // A closed pipe (`| head`) is not worth a panic; say what happened.
        eprintln!("cancel-lab: could not write the report: {e}");
        return ExitCode::FAILURE;
    }
    if all_pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
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

fn print_tables(verdicts: &[Verdict], details: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", table::verdicts(verdicts))?;
    writeln!(out, "{}", table::capabilities(verdicts))?;
    let failed = verdicts.iter().filter(|v| !v.pass).count();
    writeln!(out, "{}", table::details(verdicts, details))?;
    writeln!(
        out,
        "{} verdicts: {} passed, {failed} failed",
        verdicts.len(),
        verdicts.len() - failed
    )?;
    Ok(())
}
