//! The shutdown step: a hyper server shut down under load, each of
//! `cancel-real`'s three ways ([`cancel_real::shutdown::Way`]) a few runs,
//! and its table. The runs, the counts and the checks are
//! `cancel_real::shutdown`'s; this module picks the runs, sums them per way
//! and takes the median time to quiescence.

use std::fmt::Write as _;
use std::time::Duration;

use cancel_real::shutdown::{Load, Observed, Way};
use indicatif::ProgressBar;
use serde::Serialize;

use crate::chart::human_ns;
use crate::table::row;

/// Runs of each way: three by default (a median and a spread), one with
/// `--quick` or `--verdicts-only`. Each run is the lab's whole load.
pub(crate) fn runs(quick: bool) -> usize {
    if quick { 1 } else { 3 }
}

/// How many runs [`run`] makes.
pub(crate) fn steps(quick: bool) -> u64 {
    (Way::ALL.len() * runs(quick)) as u64
}

/// One way's row of the report's `shutdown` section: the counts summed over
/// its runs, the time to quiescence over them.
#[derive(Debug, Serialize)]
pub(crate) struct Shutdown {
    pub(crate) way: &'static str,
    /// Runs that were observed (a run that could not be is in `detail`).
    pub(crate) runs: usize,
    /// Concurrent requests a run, each on its own keep-alive connection.
    pub(crate) requests: usize,
    /// Of them, stragglers a run: work longer than any grace.
    pub(crate) stragglers: usize,
    pub(crate) work_ns: u64,
    pub(crate) grace_ns: u64,
    /// Requests in their handler, not yet answered, at the signal.
    pub(crate) in_flight_at_signal: usize,
    pub(crate) ok: usize,
    pub(crate) unavailable: usize,
    pub(crate) other: usize,
    /// The distinct bodies of the 503s.
    pub(crate) unavailable_reasons: Vec<String>,
    /// Requests whose client saw the connection closed with no response.
    pub(crate) lost: usize,
    pub(crate) lost_errors: Vec<String>,
    /// Tasks and handlers of the server alive when its shutdown returned.
    pub(crate) alive_after: usize,
    /// Connections tried after the signal, and what they met.
    pub(crate) probes: usize,
    pub(crate) refused: usize,
    pub(crate) unanswered: usize,
    pub(crate) answered_after_signal: usize,
    /// Signal → shutdown returned, one per run, then their nearest-rank
    /// median, least and greatest (`null` without a run).
    pub(crate) quiescence_ns: Vec<u64>,
    pub(crate) quiescence_p50_ns: Option<u64>,
    pub(crate) quiescence_min_ns: Option<u64>,
    pub(crate) quiescence_max_ns: Option<u64>,
    /// Every run observed and as the way promises
    /// (`cancel_real::shutdown::Observed::check`).
    pub(crate) pass: bool,
    /// What broke, run by run; empty when every run passed.
    pub(crate) detail: String,
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Shutdown {
    /// Sums the runs of `way` (an `Err` is a run that could not be observed).
    fn of(way: Way, load: &Load, runs: &[Result<Observed, String>]) -> Shutdown {
        let mut row = Shutdown {
            way: way.name(),
            runs: 0,
            requests: load.requests,
            stragglers: load.stragglers,
            work_ns: ns(load.work),
            grace_ns: ns(load.grace),
            in_flight_at_signal: 0,
            ok: 0,
            unavailable: 0,
            other: 0,
            unavailable_reasons: Vec::new(),
            lost: 0,
            lost_errors: Vec::new(),
            alive_after: 0,
            probes: 0,
            refused: 0,
            unanswered: 0,
            answered_after_signal: 0,
            quiescence_ns: Vec::new(),
            quiescence_p50_ns: None,
            quiescence_min_ns: None,
            quiescence_max_ns: None,
            pass: !runs.is_empty(),
            detail: String::new(),
        };
        let mut broke = Vec::new();
        for (i, run) in runs.iter().enumerate() {
            let seen = match run {
                Ok(seen) => seen,
                Err(e) => {
                    broke.push(format!("run {}: not observed: {e}", i + 1));
                    continue;
                }
            };
            row.runs += 1;
            row.in_flight_at_signal += seen.in_flight_at_signal;
            row.ok += seen.ok;
            row.unavailable += seen.unavailable;
            row.other += seen.other;
            row.lost += seen.lost;
            row.alive_after += seen.alive_after;
            row.probes += seen.probes;
            row.refused += seen.refused;
            row.unanswered += seen.unanswered;
            row.answered_after_signal += seen.answered_after_signal;
            for reason in &seen.unavailable_reasons {
                if !row.unavailable_reasons.contains(reason) {
                    row.unavailable_reasons.push(reason.clone());
                }
            }
            for e in &seen.lost_errors {
                if !row.lost_errors.contains(e) {
                    row.lost_errors.push(e.clone());
                }
            }
            row.quiescence_ns.push(ns(seen.quiescence));
            if let Err(e) = seen.check() {
                broke.push(format!("run {}: {e}", i + 1));
            }
        }
        let mut sorted = row.quiescence_ns.clone();
        sorted.sort_unstable();
        row.quiescence_p50_ns = sorted
            .len()
            .checked_sub(1)
            .and_then(|last| sorted.get(last / 2).copied());
        row.quiescence_min_ns = sorted.first().copied();
        row.quiescence_max_ns = sorted.last().copied();
        row.pass &= broke.is_empty();
        row.detail = broke.join("; ");
        row
    }
}

/// Runs every way [`runs`] times under the lab's load, one run at a time
/// (each holds a thousand connections), way after way.
pub(crate) fn run(quick: bool, progress: &ProgressBar) -> Vec<Shutdown> {
    let load = Load::LAB;
    Way::ALL
        .into_iter()
        .map(|way| {
            let observed: Vec<Result<Observed, String>> = (0..runs(quick))
                .map(|i| {
                    progress.set_message(format!("shutdown under load: {way}, run {}", i + 1));
                    let seen = cancel_real::shutdown::run(way, &load);
                    progress.inc(1);
                    seen
                })
                .collect();
            Shutdown::of(way, &load, &observed)
        })
        .collect()
}

/// The shutdown table: a row per way, counts over its runs; then why the
/// stragglers got 503, and the details of every way that broke its promise.
pub(crate) fn table(rows: &[Shutdown]) -> String {
    let mut out = String::new();
    let Some(first) = rows.first() else {
        return out;
    };
    let runs = rows.iter().map(|r| r.runs).max().unwrap_or(0);
    let _ = writeln!(
        out,
        "{runs} run{} a way, each {} concurrent requests from keep-alive clients (one \
         connection each), {} of them stragglers; the others' work takes {} once the last \
         request has arrived; the signal comes once every request is in its handler; a grace \
         of {}. Counts are totals over the runs. Refused after the signal: of the {} \
         connections a run tried from the signal on, how many were refused (one the kernel \
         took just before the listener closed is reset unanswered; none may be served).\n",
        if runs == 1 { "" } else { "s" },
        first.requests,
        first.stragglers,
        human_ns(first.work_ns),
        human_ns(first.grace_ns),
        first.probes / first.runs.max(1),
    );
    row(
        &mut out,
        [
            "way",
            "requests",
            "in flight at the signal",
            "200",
            "503",
            "lost",
            "alive after",
            "refused after the signal",
            "time to quiescence, p50 (least–greatest)",
        ],
    );
    row(&mut out, std::iter::repeat_n("---", 9));
    for r in rows {
        let requests = if r.runs == 1 {
            r.requests.to_string()
        } else {
            format!("{} × {}", r.runs, r.requests)
        };
        let mut refused = format!("{}/{}", r.refused, r.probes);
        if r.unanswered > 0 {
            let _ = write!(refused, " ({} reset unanswered)", r.unanswered);
        }
        if r.answered_after_signal > 0 {
            let _ = write!(refused, " (**{} served**)", r.answered_after_signal);
        }
        let quiescence = match (
            r.quiescence_p50_ns,
            r.quiescence_min_ns,
            r.quiescence_max_ns,
        ) {
            (Some(p50), Some(min), Some(max)) => {
                format!("{} ({}–{})", human_ns(p50), human_ns(min), human_ns(max))
            }
            _ => "-".to_owned(),
        };
        let way = if r.pass {
            format!("`{}`", r.way)
        } else {
            format!("`{}` **not as promised**", r.way)
        };
        row(
            &mut out,
            [
                way,
                requests,
                r.in_flight_at_signal.to_string(),
                r.ok.to_string(),
                r.unavailable.to_string(),
                r.lost.to_string(),
                r.alive_after.to_string(),
                refused,
                quiescence,
            ],
        );
    }
    out.push('\n');
    for r in rows {
        if !r.unavailable_reasons.is_empty() {
            let _ = writeln!(
                out,
                "- `{}`'s 503s said: {}.",
                r.way,
                quoted(&r.unavailable_reasons)
            );
        }
        if !r.lost_errors.is_empty() {
            let _ = writeln!(
                out,
                "- `{}`'s lost requests' clients saw: {}.",
                r.way,
                quoted(&r.lost_errors)
            );
        }
    }
    let failed: Vec<&Shutdown> = rows.iter().filter(|r| !r.pass).collect();
    let _ = writeln!(
        out,
        "\n{} ways: {} as promised (the graceful ways lose nothing and leave nothing alive; \
         abort leaves nothing alive and loses what was in flight), {} not.",
        rows.len(),
        rows.len() - failed.len(),
        failed.len()
    );
    for r in failed {
        let _ = writeln!(out, "- **`{}`**: {}", r.way, r.detail);
    }
    out
}

fn quoted(texts: &[String]) -> String {
    texts
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(way: Way, quiescence_ms: u64) -> Observed {
        let load = Load::LAB;
        Observed {
            way,
            load,
            reached_at_signal: load.requests,
            in_flight_at_signal: load.requests,
            ok: load.requests - load.stragglers,
            unavailable: load.stragglers,
            other: 0,
            unavailable_reasons: vec!["shutting down".to_owned()],
            lost: 0,
            lost_errors: Vec::new(),
            closed_by_server: load.requests,
            alive_after: 0,
            probes: 10,
            refused: 10,
            unanswered: 0,
            answered_after_signal: 0,
            quiescence: Duration::from_millis(quiescence_ms),
        }
    }

    #[test]
    fn runs_are_summed_and_the_median_is_nearest_rank() {
        let runs = [
            Ok(seen(Way::Scope, 530)),
            Ok(seen(Way::Scope, 510)),
            Ok(seen(Way::Scope, 520)),
        ];
        let row = Shutdown::of(Way::Scope, &Load::LAB, &runs);
        assert!(row.pass, "{}", row.detail);
        assert_eq!((row.runs, row.ok, row.unavailable), (3, 2_700, 300));
        assert_eq!(row.quiescence_p50_ns, Some(520_000_000));
        assert_eq!(row.quiescence_min_ns, Some(510_000_000));
        assert_eq!(row.quiescence_max_ns, Some(530_000_000));
        assert_eq!(row.unavailable_reasons, ["shutting down"]);
        assert!(table(&[row]).contains("| `scope` | 3 × 1000 |"));
    }

    #[test]
    fn a_broken_promise_or_a_run_not_observed_fails_the_row() {
        let mut lossy = seen(Way::TokenAndTracker, 520);
        lossy.lost = 1;
        lossy.ok -= 1;
        let row = Shutdown::of(
            Way::TokenAndTracker,
            &Load::LAB,
            &[Ok(lossy), Err("bind: refused".to_owned())],
        );
        assert!(!row.pass);
        assert_eq!(row.runs, 1);
        assert!(row.detail.contains("1 requests lost"), "{}", row.detail);
        assert!(row.detail.contains("not observed"), "{}", row.detail);
        assert!(table(&[row]).contains("**not as promised**"));
        let none = Shutdown::of(Way::Abort, &Load::LAB, &[]);
        assert!(!none.pass && none.quiescence_p50_ns.is_none());
    }
}
