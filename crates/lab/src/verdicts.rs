//! The verdict tables, as Markdown: the full matrix (`--details`,
//! report.md), the compact block the README and docs show (what differs,
//! one line for what held everywhere), the capability table, and I3's
//! lateness figures.
//!
//! The compact block and the capability table hold no timing figure, so two
//! runs that reach the same verdicts print them identically (the lab's
//! tests compare them with the README and docs). The lateness table holds
//! figures that vary from run to run and is a block of its own, never
//! compared.

use std::fmt::Write;

use cancel_conformance::{Case, Lateness, Verdict};
use cancel_harness::runtime::RuntimeKind;

use crate::chart::human_ns;
use crate::table::row;

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

/// The runtimes of `verdicts`, in registry order.
fn runtimes(verdicts: &[Verdict]) -> Vec<&'static str> {
    RuntimeKind::ALL
        .map(RuntimeKind::name)
        .into_iter()
        .filter(|r| verdicts.iter().any(|v| v.runtime == *r))
        .collect()
}

fn is_invariant(v: &Verdict) -> bool {
    Case::from_name(v.case).is_some_and(Case::is_invariant)
}

/// One cell: what was observed, marked ✗ when it contradicts the declaration.
fn cell(v: &Verdict) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    match (v.declared, v.observed) {
        (None, _) => "n/a".to_owned(),
        (Some(_), None) => "✗ not observed".to_owned(),
        (Some(_), Some(o)) if is_invariant(v) => (if o { "holds" } else { "✗ FAILS" }).to_owned(),
        (Some(d), Some(o)) if d == o => yes_no(o).to_owned(),
        (Some(d), Some(o)) => format!("✗ {} (declared {})", yes_no(o), yes_no(d)),
    }
}

/// A bound or a figure in its unit, without trailing zero decimals.
fn figure(ns: u64) -> String {
    human_ns(ns).replace(".00 ", " ")
}

/// `worst / bound`, with `virtual` when a paused clock timed it.
fn lateness_text(l: &Lateness) -> String {
    let clock = if l.clock == "virtual" {
        ", virtual"
    } else {
        ""
    };
    format!("{} / {}{clock}", figure(l.worst_ns), figure(l.bound_ns))
}

/// A cell of the full matrix: [`cell`], with I3's figures beside it.
fn matrix_cell(v: &Verdict) -> String {
    match &v.lateness {
        Some(l) => format!("{} ({})", cell(v), lateness_text(l)),
        None => cell(v),
    }
}

/// The full matrix: one table per strategy, a row per case, a column per
/// runtime; I3's cells carry its worst lateness and bound.
pub(crate) fn matrix(verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let runtimes = runtimes(verdicts);
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
                cells.push(found.map_or_else(|| "—".to_owned(), matrix_cell));
            }
            row(&mut out, cells);
        }
        out.push('\n');
    }
    out
}

/// The capability cases of `verdicts`, in report order.
fn capability_cases(verdicts: &[Verdict]) -> Vec<&str> {
    distinct(verdicts, |v| v.case)
        .into_iter()
        .filter(|c| Case::from_name(c).is_some_and(|c| !c.is_invariant()))
        .collect()
}

/// The observed capabilities: a column per capability; a row per strategy
/// × runtime, or with `grouped`, one row per strategy and set of runtimes
/// whose answers agree ("every runtime" when all of them do). Only
/// capability verdicts appear; empty when there are none.
pub(crate) fn capability_table(verdicts: &[Verdict], grouped: bool) -> String {
    let caps = capability_cases(verdicts);
    if caps.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    row(
        &mut out,
        ["strategy", "runtime"]
            .into_iter()
            .chain(caps.iter().copied()),
    );
    row(&mut out, std::iter::repeat_n("---", caps.len() + 2));
    let runtimes = runtimes(verdicts);
    for strategy in distinct(verdicts, |v| v.strategy) {
        // The answers of each runtime, then runtimes with the same answers together.
        let mut groups: Vec<(Vec<&str>, Vec<String>)> = Vec::new();
        for runtime in &runtimes {
            let cells: Vec<String> = caps
                .iter()
                .map(|cap| {
                    verdicts
                        .iter()
                        .find(|v| v.strategy == strategy && v.runtime == *runtime && v.case == *cap)
                        .map_or_else(|| "—".to_owned(), cell)
                })
                .collect();
            match groups.iter_mut().find(|(_, c)| grouped && *c == cells) {
                Some((names, _)) => names.push(runtime),
                None => groups.push((vec![runtime], cells)),
            }
        }
        for (names, cells) in groups {
            let label = if names.len() > 1 && names.len() == runtimes.len() {
                "every runtime".to_owned()
            } else {
                names.join(", ")
            };
            row(
                &mut out,
                [format!("`{strategy}`"), label].into_iter().chain(cells),
            );
        }
    }
    out
}

/// "all 7 strategies", "`select`": how many of something, or the one.
fn count_of(names: &[&str], what: &str, one: impl Fn(&str) -> String) -> String {
    match names {
        [only] => one(only),
        _ => format!("all {} {what}", names.len()),
    }
}

/// The short id of an invariant case: `I3` for `I3_bounded_lateness`.
fn id(case: &str) -> &str {
    case.split_once('_').map_or(case, |(id, _)| id)
}

/// Invariant ids, consecutive runs of three or more as a range:
/// `I1, I2, I4–I8`.
fn ids(cases: &[&str]) -> String {
    let order: Vec<&str> = Case::ALL
        .into_iter()
        .filter(|c| c.is_invariant())
        .map(Case::name)
        .collect();
    let position = |c: &str| order.iter().position(|o| *o == c);
    let mut runs: Vec<Vec<&str>> = Vec::new();
    for &case in cases {
        let follows = runs.last().and_then(|r| r.last()).is_some_and(
            |last| matches!((position(last), position(case)), (Some(a), Some(b)) if b == a + 1),
        );
        match runs.last_mut() {
            Some(run) if follows => run.push(case),
            _ => runs.push(vec![case]),
        }
    }
    runs.iter()
        .map(|run| match run.as_slice() {
            [first, .., last] if run.len() >= 3 => format!("{}–{}", id(first), id(last)),
            _ => run.iter().map(|c| id(c)).collect::<Vec<_>>().join(", "),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `true` when the verdict is an invariant observed to hold.
fn held(v: &Verdict) -> bool {
    v.pass && v.declared == Some(true) && v.observed == Some(true)
}

/// The invariants in short: a table of every invariant verdict that failed
/// or did not apply, then one line for the invariants that held everywhere
/// (and one for those that held on the other strategies × runtimes).
/// Counts come from `verdicts`. Empty when no invariant ran.
fn invariant_summary(verdicts: &[Verdict]) -> String {
    let invariants: Vec<&Verdict> = verdicts.iter().filter(|v| is_invariant(v)).collect();
    if invariants.is_empty() {
        return String::new();
    }
    let cases: Vec<&str> = distinct(verdicts, |v| v.case)
        .into_iter()
        .filter(|c| Case::from_name(c).is_some_and(Case::is_invariant))
        .collect();
    let (everywhere, elsewhere): (Vec<&str>, Vec<&str>) = cases
        .iter()
        .partition(|c| invariants.iter().filter(|v| v.case == **c).all(|v| held(v)));
    let mut out = String::new();
    let differs: Vec<&&Verdict> = invariants.iter().filter(|v| !held(v)).collect();
    if !differs.is_empty() {
        row(
            &mut out,
            ["case", "strategy", "runtime", "verdict", "what was seen"],
        );
        row(&mut out, std::iter::repeat_n("---", 5));
        for v in differs {
            row(
                &mut out,
                [
                    format!("`{}`", v.case),
                    format!("`{}`", v.strategy),
                    v.runtime.to_owned(),
                    cell(v),
                    v.detail.replace('|', "\\|"),
                ],
            );
        }
        out.push('\n');
    }
    let strategies = distinct(verdicts, |v| v.strategy);
    let runtimes = runtimes(verdicts);
    if !everywhere.is_empty() {
        let n = invariants
            .iter()
            .filter(|v| everywhere.contains(&v.case))
            .count();
        let _ = writeln!(
            out,
            "{} held for {} on {} ({n} verdict{}).",
            ids(&everywhere),
            count_of(&strategies, "strategies", |s| format!("`{s}`")),
            count_of(&runtimes, "runtimes", str::to_owned),
            if n == 1 { "" } else { "s" },
        );
    }
    let others: Vec<&&Verdict> = invariants
        .iter()
        .filter(|v| elsewhere.contains(&v.case) && held(v))
        .collect();
    if !others.is_empty() {
        let n = others.len();
        let _ = writeln!(
            out,
            "{} held on every other strategy × runtime ({n} verdict{}).",
            ids(&elsewhere),
            if n == 1 { "" } else { "s" },
        );
    }
    out
}

/// How the capability answers compare with the declarations, in one line.
fn capability_summary(verdicts: &[Verdict]) -> String {
    let caps: Vec<&Verdict> = verdicts.iter().filter(|v| !is_invariant(v)).collect();
    let answered = caps.iter().filter(|v| v.declared.is_some()).count();
    let contradicted = caps
        .iter()
        .filter(|v| v.declared.is_some() && !v.pass)
        .count();
    let not_applicable = caps.len() - answered;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut line = if contradicted == 0 {
        format!(
            "Every answer is the one its strategy declares ({answered} verdict{}",
            plural(answered)
        )
    } else {
        format!(
            "{contradicted} of {answered} answer{} contradict{} what the strategy declares \
             (marked ✗",
            plural(answered),
            if contradicted == 1 { "s" } else { "" }
        )
    };
    if not_applicable > 0 {
        let _ = write!(
            line,
            "; {not_applicable} n/a: the question does not apply, the reason is in `--details`"
        );
    }
    line + ").\n"
}

/// The compact block the README and docs show: the capability table
/// (grouped where runtimes agree), any invariant verdict that failed or did
/// not apply, and one line for what held everywhere. No timing figures: two
/// runs with the same verdicts print the same block.
pub(crate) fn compact(verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    let caps = capability_table(verdicts, true);
    if !caps.is_empty() {
        let _ = write!(
            out,
            "### Capabilities, as observed\n\n{caps}\n{}\n",
            capability_summary(verdicts)
        );
    }
    let invariants = invariant_summary(verdicts);
    if !invariants.is_empty() {
        let _ = write!(out, "### Invariants\n\n{invariants}\n");
    }
    out.trim_end().to_owned() + "\n"
}

/// I3's lateness per strategy × runtime: the worst lateness the run saw
/// and the bound it was held to (`virtual` where a paused clock timed it).
/// Empty when no I3 verdict carries figures.
pub(crate) fn lateness(verdicts: &[Verdict]) -> String {
    let timed: Vec<&Verdict> = verdicts.iter().filter(|v| v.lateness.is_some()).collect();
    if timed.is_empty() {
        return String::new();
    }
    let runtimes = runtimes(verdicts);
    let mut out = String::from("### I3 lateness: worst / bound\n\n");
    row(
        &mut out,
        std::iter::once("strategy").chain(runtimes.iter().copied()),
    );
    row(&mut out, std::iter::repeat_n("---", runtimes.len() + 1));
    for strategy in distinct(verdicts, |v| v.strategy) {
        let cells = runtimes.iter().map(|runtime| {
            timed
                .iter()
                .find(|v| v.strategy == strategy && v.runtime == *runtime)
                .and_then(|v| v.lateness.as_ref())
                .map_or_else(|| "—".to_owned(), lateness_text)
        });
        row(
            &mut out,
            std::iter::once(format!("`{strategy}`")).chain(cells),
        );
    }
    out.push_str(
        "\nThe latest of I3's timeouts of sleeping work: how long after its deadline it came \
         back, against the bound I3 holds it to. `virtual`: timed on tokio's paused clock, which \
         moves only when every task waits, so the figure is the timer's logic, not the \
         machine's. Real-time figures differ from run to run.\n",
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(strategy: &'static str, runtime: &'static str, case: Case, pass: bool) -> Verdict {
        let declared = Some(true);
        Verdict {
            strategy,
            runtime,
            timer: "runtime",
            case: case.name(),
            declared,
            observed: Some(pass),
            pass,
            detail: format!("seen by {strategy}"),
            lateness: None,
        }
    }

    fn every_invariant(strategies: &[&'static str], runtimes: &[&'static str]) -> Vec<Verdict> {
        let mut all = Vec::new();
        for s in strategies {
            for r in runtimes {
                for c in Case::ALL.into_iter().filter(|c| c.is_invariant()) {
                    all.push(verdict(s, r, c, true));
                }
            }
        }
        all
    }

    #[test]
    fn ids_fold_runs_of_three_or_more() {
        assert_eq!(
            ids(&[
                "I1_completed_wins",
                "I2_never_early",
                "I4_stopped_before_return",
                "I5_idempotent",
                "I6_no_leaks",
                "I8_edge_durations",
            ]),
            "I1, I2, I4–I6, I8"
        );
        assert_eq!(ids(&["I3_bounded_lateness"]), "I3");
    }

    #[test]
    fn one_line_says_what_held_everywhere_with_counts_from_the_run() {
        let verdicts = every_invariant(&["a", "b"], &["smol", "async-std"]);
        let text = compact(&verdicts);
        assert_eq!(
            text,
            "### Invariants\n\nI1–I8 held for all 2 strategies on all 2 runtimes (32 verdicts).\n"
        );
    }

    #[test]
    fn a_failed_invariant_is_listed_and_left_out_of_the_line() {
        let mut verdicts = every_invariant(&["a", "b"], &["smol"]);
        let i3 = verdicts
            .iter_mut()
            .find(|v| v.strategy == "b" && v.case == "I3_bounded_lateness")
            .expect("b has I3");
        i3.pass = false;
        i3.observed = Some(false);
        let text = compact(&verdicts);
        assert!(
            text.contains("| `I3_bounded_lateness` | `b` | smol | ✗ FAILS | seen by b |"),
            "{text}"
        );
        assert!(
            text.contains("I1, I2, I4–I8 held for all 2 strategies on smol (14 verdicts)."),
            "{text}"
        );
        assert!(
            text.contains("I3 held on every other strategy × runtime (1 verdict)."),
            "{text}"
        );
    }

    #[test]
    fn runtimes_that_agree_share_a_row() {
        let cap = |runtime, observed| Verdict {
            strategy: "a",
            runtime,
            timer: "runtime",
            case: "cancel_on_handle_drop",
            declared: Some(observed),
            observed: Some(observed),
            pass: true,
            detail: String::new(),
            lateness: None,
        };
        let agree = [cap("tokio-current-thread", true), cap("smol", true)];
        let table = capability_table(&agree, true);
        assert!(table.contains("| `a` | every runtime | yes |"), "{table}");
        let differ = [cap("tokio-current-thread", false), cap("smol", true)];
        let table = capability_table(&differ, true);
        assert!(
            table.contains("| `a` | tokio-current-thread | no |"),
            "{table}"
        );
        assert!(table.contains("| `a` | smol | yes |"), "{table}");
        let summary = capability_summary(&differ);
        assert_eq!(
            summary,
            "Every answer is the one its strategy declares (2 verdicts).\n"
        );
        let mut wrong = differ.clone();
        wrong[0].pass = false;
        wrong[1].declared = None;
        assert_eq!(
            capability_summary(&wrong),
            "1 of 1 answer contradicts what the strategy declares (marked ✗; 1 n/a: the \
             question does not apply, the reason is in `--details`).\n"
        );
    }

    #[test]
    fn lateness_shows_worst_and_bound_and_labels_virtual_time() {
        let mut v = verdict("a", "tokio-current-thread", Case::BoundedLateness, true);
        v.lateness = Some(Lateness {
            worst_ns: 0,
            bound_ns: 2_000_000,
            clock: "virtual",
        });
        let mut w = verdict("a", "smol", Case::BoundedLateness, true);
        w.lateness = Some(Lateness {
            worst_ns: 1_160_000,
            bound_ns: 250_000_000,
            clock: "real",
        });
        let table = lateness(&[v.clone(), w]);
        assert!(
            table.contains("| `a` | 0 ns / 2 ms, virtual | 1.16 ms / 250 ms |"),
            "{table}"
        );
        assert_eq!(matrix_cell(&v), "holds (0 ns / 2 ms, virtual)");
    }
}
