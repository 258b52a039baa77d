//! The hazard's marks and how a child that hit it must have ended; running
//! the child is `cancel_harness::child`'s.

use std::process::Output;

pub(crate) use cancel_harness::child::{describe, is_child, run, show};

/// Marks the child prints before and after the hazard.
pub(crate) const BEFORE: &str = "child: cancelling the task";
/// Printed only if the child lived through the cancel.
pub(crate) const AFTER: &str = "child: the cancel returned";

/// Whether the child was killed by an abort (SIGABRT), not merely failed: an
/// ordinary panic would exit with code 101 instead.
#[cfg(unix)]
pub(crate) fn aborted(output: &Output) -> bool {
    use std::os::unix::process::ExitStatusExt;
    output.status.signal() == Some(6)
}

/// Elsewhere only "it did not succeed" can be told.
#[cfg(not(unix))]
pub(crate) fn aborted(output: &Output) -> bool {
    !output.status.success()
}

/// Asserts that the child reached the cancel and was killed by an abort
/// there, before it could print that it got past it.
pub(crate) fn assert_aborted_in_the_cancel(output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(BEFORE), "the child reached the cancel");
    assert!(
        aborted(output) && !stdout.contains(AFTER),
        "the child was expected to abort in the cancel; it {}",
        describe(output)
    );
}
