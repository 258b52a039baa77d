//! The `file` workload on every strategy × runtime: each row passes, the
//! target path never holds part of the file and the temporary file is gone.

use cancel_conformance::{Subject, matrix_tests};
use cancel_harness::runtime::Runtime;
use cancel_real::{Workload, observe};

fn file<S: Subject<R>, R: Runtime>() {
    let row = observe(Workload::File, S::KIND, R::KIND, 1);
    eprintln!(
        "{} {} {}: {} | {}",
        row.workload, row.strategy, row.runtime, row.outcome, row.detail
    );
    assert!(row.pass, "{row:?}");
    assert!(row.released, "{row:?}");
    assert_eq!(row.outcome, "no partial file");
    assert!(
        row.detail.contains("no target, no temporary file"),
        "{row:?}"
    );
    assert_eq!(row.floor, None);
    assert!(row.latency.is_empty() && row.floor_samples.is_empty());
}

matrix_tests!(file);
