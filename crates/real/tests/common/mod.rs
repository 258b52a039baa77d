//! Helpers shared by the real workloads' tests: a row observed and
//! printed, a test per runtime, and for the leak soaks the process's open
//! descriptors, a lock and counts from the environment.
// Each test crate uses its own subset of these helpers.
#![allow(dead_code, unused_imports, unused_macros)]

use std::sync::{Mutex, MutexGuard, PoisonError};

use cancel_conformance::Subject;
use cancel_harness::runtime::Runtime;
use cancel_real::{Row, Workload, observe};

/// Observes `workload` on `S` × `R` with `samples` cancels, prints the row
/// (shown with `--nocapture`, or when the test fails) and checks that it
/// passed and released its resource.
pub(crate) fn released<S: Subject<R>, R: Runtime>(workload: Workload, samples: usize) -> Row {
    let row = observe(workload, S::KIND, R::KIND, samples);
    eprintln!(
        "{} {} {}: {} | {}",
        row.workload, row.strategy, row.runtime, row.outcome, row.detail
    );
    assert!(row.pass, "{row:?}");
    assert!(row.released, "{row:?}");
    row
}

/// `per_runtime!(f, g)`: a module per generic test function `f::<R>()`,
/// with a `#[test]` for each runtime (`f::smol`).
macro_rules! per_runtime {
    ($($test:ident),*) => {
        $(
            mod $test {
                use cancel_harness::runtime::{AsyncStd, Smol, TokioCurrentThread, TokioMultiThread};
                #[test]
                fn tokio_current_thread() { super::$test::<TokioCurrentThread>() }
                #[test]
                fn tokio_multi_thread() { super::$test::<TokioMultiThread>() }
                #[test]
                fn async_std() { super::$test::<AsyncStd>() }
                #[test]
                fn smol() { super::$test::<Smol>() }
            }
        )*
    };
}
pub(crate) use per_runtime;

/// How many descriptors the process has open.
pub(crate) fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd lists the process's descriptors")
        .count()
}

/// Serialises the tests of one binary that count the whole process's
/// descriptors or children: no other test may change them meanwhile.
pub(crate) fn alone() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    // A poisoned lock only means an earlier test failed.
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The count in environment variable `name`, or `default` when it is
/// unset; anything but a count is a clear error.
pub(crate) fn env_count(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a count, not {v:?}")),
        Err(_) => default,
    }
}
