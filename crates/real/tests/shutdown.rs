//! Graceful shutdown under load: a hyper server told to stop while every
//! request is in its handler, three ways. The graceful ways lose nothing
//! and leave nothing alive; abort loses what was in flight.
//!
//! Real sockets on real time: the counts are exact, the times asserted only
//! by ordering against the grace. `cargo test` runs 300 requests a way; the
//! `#[ignore]`d `lab_load_loses_nothing` runs the lab's thousand.

use std::time::Duration;

use cancel_real::shutdown::{Load, Observed, Way, run};

/// The load of the quick tests: fewer requests than the lab's thousand,
/// so a debug build takes a second or two a run.
const QUICK: Load = Load {
    requests: 300,
    stragglers: 30,
    work: Duration::from_millis(100),
    grace: Duration::from_millis(400),
};

fn observed(way: Way, load: &Load) -> Observed {
    let seen = run(way, load).unwrap_or_else(|e| panic!("{way}: {e}"));
    eprintln!("{way}: {seen:?}");
    seen
}

/// Zero lost, zero alive, the stragglers and only they answered 503, and
/// the shutdown took at least the grace (the stragglers held it that long).
fn loses_nothing(way: Way, load: &Load) -> Observed {
    let seen = observed(way, load);
    assert_eq!(seen.reached_at_signal, load.requests, "{seen:?}");
    assert_eq!(seen.lost, 0, "{:?}", seen.lost_errors);
    assert_eq!(seen.alive_after, 0, "{seen:?}");
    assert_eq!(seen.unavailable, load.stragglers, "{seen:?}");
    assert_eq!(seen.ok, load.requests - load.stragglers, "{seen:?}");
    assert_eq!(seen.other, 0, "{seen:?}");
    assert!(seen.quiescence >= load.grace, "{seen:?}");
    // Every keep-alive connection was closed by the server, not left open.
    assert_eq!(seen.closed_by_server, load.requests, "{seen:?}");
    // Connections after the signal: none served.
    assert_eq!(seen.probes, cancel_real::shutdown::PROBES, "{seen:?}");
    assert_eq!(seen.answered_after_signal, 0, "{seen:?}");
    assert_eq!(seen.refused + seen.unanswered, seen.probes, "{seen:?}");
    assert_eq!(seen.check(), Ok(()));
    seen
}

#[test]
fn token_and_tracker_lose_nothing_under_load() {
    let seen = loses_nothing(Way::TokenAndTracker, &QUICK);
    assert_eq!(
        seen.unavailable_reasons,
        ["shutting down: the grace period passed"]
    );
}

#[test]
fn scope_loses_nothing_under_load() {
    let seen = loses_nothing(Way::Scope, &QUICK);
    // The 503 says why, from the scope's cause: its deadline.
    assert_eq!(
        seen.unavailable_reasons,
        ["shutting down: the grace period passed (deadline exceeded)"]
    );
}

/// With no straggler, a graceful shutdown returns once the last request is
/// done, long before a grace of seconds.
#[test]
fn no_stragglers_returns_before_the_grace() {
    let load = Load {
        stragglers: 0,
        grace: Duration::from_secs(5),
        ..QUICK
    };
    for way in [Way::TokenAndTracker, Way::Scope] {
        let seen = observed(way, &load);
        assert_eq!(
            (seen.ok, seen.lost, seen.unavailable),
            (load.requests, 0, 0)
        );
        assert_eq!(seen.alive_after, 0, "{seen:?}");
        assert!(seen.quiescence < load.grace / 2, "{way}: {seen:?}");
        assert_eq!(seen.check(), Ok(()));
    }
}

/// Abort stops at once, and every request still in its handler is lost:
/// the client sees the connection closed with no response.
#[test]
fn abort_loses_requests_in_flight() {
    let seen = observed(Way::Abort, &QUICK);
    assert_eq!(seen.alive_after, 0, "{seen:?}");
    assert!(seen.lost >= QUICK.stragglers, "{seen:?}");
    assert!(seen.lost > 0, "{seen:?}");
    assert_eq!(seen.unavailable, 0, "{seen:?}");
    assert_eq!(seen.ok + seen.lost, QUICK.requests, "{seen:?}");
    assert_eq!(seen.check(), Ok(()));
    // The same figures fail a graceful way's check.
    let as_graceful = Observed {
        way: Way::TokenAndTracker,
        ..seen
    };
    let err = as_graceful
        .check()
        .expect_err("losing requests is not graceful");
    assert!(err.contains("lost"), "{err}");
}

/// Loads that cannot run are refused with a reason, never run.
#[test]
fn a_bad_load_is_a_clear_error() {
    let bad = [
        (
            Load {
                requests: 0,
                ..QUICK
            },
            "requests",
        ),
        (
            Load {
                stragglers: QUICK.requests + 1,
                ..QUICK
            },
            "stragglers",
        ),
        (
            Load {
                grace: Duration::ZERO,
                ..QUICK
            },
            "shorter than the grace",
        ),
        (
            Load {
                grace: Duration::MAX,
                ..QUICK
            },
            "less than",
        ),
    ];
    for (load, says) in bad {
        let err = run(Way::Scope, &load).expect_err("refused");
        assert!(err.contains(says), "{load:?}: {err}");
    }
}

/// The lab's load, a thousand requests with a hundred stragglers, every way.
#[test]
#[ignore = "the lab's load: a thousand connections a way; `cargo test -- --ignored`"]
fn lab_load_loses_nothing() {
    for way in [Way::TokenAndTracker, Way::Scope] {
        loses_nothing(way, &Load::LAB);
    }
    let seen = observed(Way::Abort, &Load::LAB);
    assert_eq!(seen.check(), Ok(()));
}
