//! The `child` workload.

use cancel_conformance::Subject;
use cancel_harness::runtime::Runtime;

use crate::{Row, Workload};

/// Runs the workload under `S` on `R`, `samples` cancels.
pub(crate) fn observe<S: Subject<R>, R: Runtime>(_samples: usize) -> Row {
    Row::not_applicable::<S, R>(Workload::Child, "not built yet")
}
