//! Cancelled children leave no zombie and no descriptor behind: the
//! process's open descriptors are counted, and its children listed from
//! `/proc`, before and after many `child` cancels on every strategy ×
//! runtime. A short form runs in `cargo test` (`REAL_CHILDREN`, 20 by
//! default); the full one (1 000 children each, or `REAL_CHILDREN`) by
//! hand or in CI with `--release -- --ignored`.
//!
//! The tests of this file take one lock: a descriptor count and a list of
//! children are the whole process's, so no other test may change them
//! meanwhile.

mod common;

use std::io::Write as _;
use std::time::{Duration, Instant};

use cancel_conformance::Subject;
use cancel_harness::runtime::{Clock, Runtime};
use cancel_real::child::{State, cancel_one, children, warm_up};

use common::{alone, env_count, open_descriptors};

/// How long the descriptors are left to settle before they are counted.
const SETTLE: Duration = Duration::from_millis(10);

/// How long the count may take to come back to its baseline after the
/// last cancel.
const SETTLE_LIMIT: Duration = Duration::from_secs(1);

/// `n` start → cancel cycles, each on a fresh child, after a dropped child
/// and two cancels to warm the runtime up (its reaper and threads open
/// what they keep).
fn cycles<S: Subject<R>, R: Runtime>(n: usize) {
    let _alone = alone();
    let rt = R::build(Clock::Real).expect("a runtime");
    warm_up(&rt).expect("the warm-up child is reaped");
    for _ in 0..2 {
        cancel_one::<S, R>(&rt).expect("a warm-up cancel");
    }
    // A runtime's reaper closes a child's pidfd just after reaping it: let
    // the last warm-up's go.
    std::thread::sleep(SETTLE);
    let before = open_descriptors();
    let start = Instant::now();
    let mut reaped_by_return = 0;
    for i in 0..n {
        let c = cancel_one::<S, R>(&rt).unwrap_or_else(|e| panic!("cancel {i} of {n}: {e}"));
        assert!(
            c.watched.reaped.is_some(),
            "cancel {i}: the child was not reaped: {:?}",
            c.watched.last
        );
        reaped_by_return += usize::from(c.reaped_by_return());
    }
    let elapsed = start.elapsed();
    // Likewise after the last cancel: a leak stays, a close in flight lands.
    let settled = Instant::now();
    let mut after = open_descriptors();
    while after != before && settled.elapsed() < SETTLE_LIMIT {
        std::thread::sleep(SETTLE);
        after = open_descriptors();
    }
    let left = children();
    let zombies = left.iter().filter(|(_, s)| *s == State::Zombie).count();
    assert_eq!(
        zombies,
        0,
        "{} on {}: {n} cancelled children left zombies: {left:?}",
        S::NAME,
        R::KIND
    );
    assert!(
        left.is_empty(),
        "{} on {}: children left running: {left:?}",
        S::NAME,
        R::KIND
    );
    assert_eq!(
        after,
        before,
        "{} on {}: {n} cancelled children left {} descriptors open",
        S::NAME,
        R::KIND,
        after as i64 - before as i64
    );
    if n >= 1_000 {
        // Straight to stderr, which the test harness does not capture, so
        // the figures show on a passing run.
        let _ = writeln!(
            std::io::stderr().lock(),
            "{} on {}: {n} cancelled children in {elapsed:.2?} ({reaped_by_return} reaped \
             by the cancel's return), no zombie, descriptors {before} before and after; \
             {} reaped only after another child's exit in this process so far",
            S::NAME,
            R::KIND,
            cancel_real::child::nudges()
        );
    }
}

fn cancelled_children_leave_no_zombie<S: Subject<R>, R: Runtime>() {
    cycles::<S, R>(env_count("REAL_CHILDREN", 20));
}

fn a_thousand_cancelled_children_leave_no_zombie<S: Subject<R>, R: Runtime>() {
    cycles::<S, R>(env_count("REAL_CHILDREN", 1_000));
}

mod ci {
    use super::*;
    cancel_conformance::matrix_tests!(cancelled_children_leave_no_zombie);
}

mod soak {
    use super::*;
    cancel_conformance::matrix_tests!(
        a_thousand_cancelled_children_leave_no_zombie,
        #[ignore = "long: run with --release -- --ignored"]
    );
}
