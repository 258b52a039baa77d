//! Cancelled connections leave no descriptor behind: the process's open
//! descriptors are counted before and after many `tcp` cancels on every
//! strategy × runtime. A short form runs in `cargo test`; the full one
//! (10 000 connections each, or `REAL_CONNECTIONS`) by hand or in CI with
//! `--release -- --ignored`.
//!
//! The tests of this file take one lock: a descriptor count is the whole
//! process's, so no other test may open or close one meanwhile.

mod common;

use std::io::Write as _;
use std::time::{Duration, Instant};

use cancel_conformance::Subject;
use cancel_harness::runtime::{Clock, Runtime};
use cancel_real::tcp::{Peer, cancel_one};

use common::{alone, env_count, open_descriptors};

/// `n` start → cancel cycles, each on a fresh connection, after two to warm
/// the runtime up (its reactor and threads open what they keep).
fn cycles<S: Subject<R>, R: Runtime>(n: usize) {
    let _alone = alone();
    let rt = R::build(Clock::Real).expect("a runtime");
    let peer = Peer::start().expect("a peer");
    for _ in 0..2 {
        cancel_one::<S, R>(&rt, &peer, Duration::ZERO).expect("a warm-up cancel");
    }
    let before = open_descriptors();
    let start = Instant::now();
    for i in 0..n {
        let c = cancel_one::<S, R>(&rt, &peer, Duration::ZERO)
            .unwrap_or_else(|e| panic!("cancel {i} of {n}: {e}"));
        assert_ne!(
            c.seen.close,
            cancel_real::tcp::Close::Never,
            "cancel {i}: the peer never saw the close"
        );
    }
    let elapsed = start.elapsed();
    let after = open_descriptors();
    assert_eq!(
        after,
        before,
        "{} on {}: {n} cancelled connections left {} descriptors open",
        S::NAME,
        R::KIND,
        after as i64 - before as i64
    );
    if n >= 1_000 {
        // Straight to stderr, which the test harness does not capture, so
        // the figures show on a passing run.
        let _ = writeln!(
            std::io::stderr().lock(),
            "{} on {}: {n} cancelled connections in {elapsed:.2?}, descriptors {before} before and after",
            S::NAME,
            R::KIND
        );
    }
}

fn cancelled_connections_leave_no_descriptor<S: Subject<R>, R: Runtime>() {
    cycles::<S, R>(100);
}

fn ten_thousand_cancelled_connections_leave_no_descriptor<S: Subject<R>, R: Runtime>() {
    cycles::<S, R>(env_count("REAL_CONNECTIONS", 10_000));
}

mod ci {
    use super::*;
    cancel_conformance::matrix_tests!(cancelled_connections_leave_no_descriptor);
}

mod soak {
    use super::*;
    cancel_conformance::matrix_tests!(
        ten_thousand_cancelled_connections_leave_no_descriptor,
        #[ignore = "long: run with --release -- --ignored"]
    );
}
