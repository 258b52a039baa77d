//! The `query` workload on every strategy × runtime: each row passes, and
//! what it observed is what its form predicts (forced: the query ran on;
//! cooperative and blocking: it was interrupted).

use cancel_conformance::{Subject, matrix_tests};
use cancel_harness::runtime::Runtime;
use cancel_real::{Workload, observe};

fn query<S: Subject<R>, R: Runtime>() {
    let row = observe(Workload::Query, S::KIND, R::KIND, 2);
    eprintln!(
        "{} {} {}: {} | p50 {:?} | floor p50 {:?} | {}",
        row.workload,
        row.strategy,
        row.runtime,
        row.outcome,
        p50(&row.latency),
        p50(&row.floor_samples),
        row.detail
    );
    assert!(row.pass, "{row:?}");
    assert_eq!(row.floor, Some("query_interrupt"));
    assert!(!row.latency.is_empty(), "{row:?}");
    assert_eq!(row.latency.len(), row.floor_samples.len());
    let forced = !S::ON_BLOCKING_THREADS && S::checkpoint(&S::group()).is_none();
    if forced {
        assert!(!row.released, "{row:?}");
        assert!(
            row.outcome.starts_with("returned; the query ran on"),
            "{row:?}"
        );
    } else {
        assert!(row.released, "{row:?}");
        assert_eq!(row.outcome, "query interrupted");
    }
}

fn p50(v: &[std::time::Duration]) -> Option<std::time::Duration> {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len().saturating_sub(1) / 2).copied()
}

matrix_tests!(query);
