//! The `file` workload on every strategy × runtime: each row passes, the
//! target path never holds part of the file and the temporary file is gone.

mod common;

use cancel_conformance::{Subject, matrix_tests};
use cancel_harness::runtime::Runtime;
use cancel_real::Workload;

fn file<S: Subject<R>, R: Runtime>() {
    let row = common::released::<S, R>(Workload::File, 1);
    assert_eq!(row.outcome, "no partial file");
    assert!(
        row.detail.contains("no target, no temporary file"),
        "{row:?}"
    );
    assert_eq!(row.floor, None);
    assert!(row.latency.is_empty() && row.floor_samples.is_empty());
}

matrix_tests!(file);
