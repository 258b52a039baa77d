//! The tables, as Markdown: readable in a terminal, pasteable into a README.

use std::fmt::Write;

use cancel_conformance::{Case, Verdict};
use cancel_contract::runtime::RuntimeKind;

/// Distinct values of `key` in first-seen order.
fn distinct<'a>(verdicts: &'a [Verdict], key: impl Fn(&'a Verdict) -> &'a str) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for v in verdicts {
        let k = key(v);
        if !seen.contains(&k) {
            seen.push(k);
        }
    }
    seen
}

/// One cell: what was observed, marked ✗ when it contradicts the declaration.
fn cell(v: &Verdict) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let is_invariant = Case::from_name(v.case).is_some_and(Case::is_invariant);
    match (v.declared, v.observed) {
        (None, _) => "n/a".to_owned(),
        (Some(_), None) => "✗ not observed".to_owned(),
        (Some(_), Some(o)) if is_invariant => (if o { "holds" } else { "✗ FAILS" }).to_owned(),
        (Some(d), Some(o)) if d == o => yes_no(o).to_owned(),
        (Some(d), Some(o)) => format!("✗ {} (declared {})", yes_no(o), yes_no(d)),
    }
}

fn row(out: &mut String, cells: impl IntoIterator<Item = impl AsRef<str>>) {
    out.push('|');
    for c in cells {
        let _ = write!(out, " {} |", c.as_ref());
    }
    out.push('\n');
}

/// One table per strategy: a row per case, a column per runtime.
pub(crate) fn verdicts(verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let runtimes: Vec<&str> = RuntimeKind::ALL
        .map(RuntimeKind::name)
        .into_iter()
        .filter(|r| verdicts.iter().any(|v| v.runtime == *r))
        .collect();
    for strategy in distinct(verdicts, |v| v.strategy) {
        let _ = writeln!(out, "### `{strategy}`\n");
        row(
            &mut out,
            std::iter::once("case").chain(runtimes.iter().copied()),
        );
        row(&mut out, std::iter::repeat_n("---", runtimes.len() + 1));
        for case in distinct(verdicts, |v| v.case) {
            let mut cells = vec![format!("`{case}`")];
            for runtime in &runtimes {
                let found = verdicts
                    .iter()
                    .find(|v| v.strategy == strategy && v.case == case && v.runtime == *runtime);
                cells.push(found.map_or_else(|| "—".to_owned(), cell));
            }
            row(&mut out, cells);
        }
        out.push('\n');
    }
    out
}

/// The observed capabilities: a row per strategy × runtime, a column per
/// capability. Only capability verdicts appear.
pub(crate) fn capabilities(verdicts: &[Verdict]) -> String {
    let caps: Vec<&str> = distinct(verdicts, |v| v.case)
        .into_iter()
        .filter(|c| Case::from_name(c).is_some_and(|c| !c.is_invariant()))
        .collect();
    if caps.is_empty() {
        return String::new();
    }
    let mut out = String::from("### Capabilities, as observed\n\n");
    row(
        &mut out,
        ["strategy", "runtime"]
            .into_iter()
            .chain(caps.iter().copied()),
    );
    row(&mut out, std::iter::repeat_n("---", caps.len() + 2));
    for strategy in distinct(verdicts, |v| v.strategy) {
        for runtime in distinct(verdicts, |v| v.runtime) {
            let mut cells = vec![format!("`{strategy}`"), runtime.to_owned()];
            for cap in &caps {
                let found = verdicts
                    .iter()
                    .find(|v| v.strategy == strategy && v.runtime == runtime && v.case == *cap);
                cells.push(found.map_or_else(|| "—".to_owned(), cell));
            }
            row(&mut out, cells);
        }
    }
    out
}

/// What was seen, for every failed verdict (or every verdict with `all`).
pub(crate) fn details(verdicts: &[Verdict], all: bool) -> String {
    let mut out = String::new();
    for v in verdicts.iter().filter(|v| all || !v.pass) {
        let mark = if v.pass { "✓" } else { "✗" };
        let _ = writeln!(
            out,
            "{mark} {} on {} — {}: {}",
            v.strategy, v.runtime, v.case, v.detail
        );
    }
    out
}
