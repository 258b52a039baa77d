//! The `child` workload on every strategy × runtime: each row kills and
//! reaps its children, as its form predicts; and what a dropped `Child`
//! does to its process on each runtime's child type, with and without
//! `kill_on_drop`.

use std::time::{Duration, Instant};

use cancel_conformance::{Subject, matrix_tests};
use cancel_harness::runtime::real_io::Io;
use cancel_harness::runtime::{Clock, Runtime, RuntimeHandle};
use cancel_real::child::{Proc, State, spec, warm_up};
use cancel_real::{WAIT_LIMIT, Workload, observe};

/// Every row kills and reaps every child it started (their `/proc` entries
/// gone, none left a zombie or running), as its form predicts, and times
/// it beside the floor.
fn kills_and_reaps_the_child<S: Subject<R>, R: Runtime>() {
    let row = observe(Workload::Child, S::KIND, R::KIND, 3);
    eprintln!(
        "{} {} {}: {} | {}",
        row.workload, row.strategy, row.runtime, row.outcome, row.detail
    );
    assert!(row.pass, "{row:?}");
    assert!(row.released, "{row:?}");
    assert!(
        row.detail
            .contains("3 reaped, 0 left zombies and 0 left running"),
        "{row:?}"
    );
    assert_eq!(row.latency.len(), 3, "{row:?}");
    assert_eq!(row.floor_samples.len(), 3, "{row:?}");
    assert_eq!(row.floor, Some("child_kill"));
    let forced = !S::ON_BLOCKING_THREADS && S::checkpoint(&S::group()).is_none();
    if !forced {
        // Cooperative and blocking work reap the child before they return.
        assert_eq!(row.outcome, "child reaped", "{row:?}");
        assert!(
            row.detail
                .contains("3 of 3 reaped when the cancel returned")
        );
    }
}

matrix_tests!(kills_and_reaps_the_child);

/// Sleeps on `rt`'s timer until `done`, for at most [`WAIT_LIMIT`]: the
/// runtime's driver wakes every millisecond meanwhile, as in a busy
/// program.
async fn sleep_until<H: RuntimeHandle>(rt: &H, done: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > WAIT_LIMIT {
            return false;
        }
        rt.sleep(Duration::from_millis(1)).await;
    }
    true
}

/// How long a dropped child is watched to still run: far beyond any kill
/// and reap (hundreds of microseconds), far below its natural length.
const LOOK: Duration = Duration::from_millis(200);

/// Starts a child on `rt` as `spec(kill_on_drop)` says, waits until it
/// sleeps, drops its `Child`, and hands back who it was.
async fn start_and_drop<R: Runtime>(rt: &R::Handle, kill_on_drop: bool) -> Proc {
    let child = R::Handle::spawn_child(&spec(kill_on_drop)).expect("`sleep` starts");
    let proc = Proc::of(R::Handle::child_id(&child).expect("a pid")).expect("the child in /proc");
    assert!(
        sleep_until(rt, || proc.state() == State::Alive('S')).await,
        "the child sleeps"
    );
    // The point of both tests: the handle goes, the process is left to
    // what its Drop does.
    drop(child);
    proc
}

/// The pitfall: a `Child` dropped without `kill_on_drop` (the default, as
/// in the standard library) leaves its process running. The test kills it
/// itself; the runtime, which queued it when the handle went, reaps it.
fn a_dropped_child_without_kill_on_drop_keeps_running<R: Runtime>() {
    let rt = R::build(Clock::Real).expect("a runtime");
    warm_up(&rt).expect("the warm-up child is reaped");
    let h = rt.handle();
    rt.block_on(async {
        let proc = start_and_drop::<R>(&h, false).await;
        h.sleep(LOOK).await;
        let state = proc.state();
        // Kill before asserting, so a failure leaves nothing running.
        proc.kill().expect("the child is there to kill");
        assert!(
            matches!(state, State::Alive(_)),
            "on {}: {LOOK:?} after its Child was dropped, the process was {state:?}",
            R::KIND
        );
        assert!(
            sleep_until(&h, || proc.state() == State::Gone).await,
            "on {}: killed by hand, the child was not reaped: {:?}",
            R::KIND,
            proc.state()
        );
    });
}

/// The fix: with `kill_on_drop`, dropping the `Child` kills the process,
/// and the runtime reaps it in the background.
fn kill_on_drop_kills_and_the_runtime_reaps_a_dropped_child<R: Runtime>() {
    let rt = R::build(Clock::Real).expect("a runtime");
    warm_up(&rt).expect("the warm-up child is reaped");
    let h = rt.handle();
    rt.block_on(async {
        let proc = start_and_drop::<R>(&h, true).await;
        assert!(
            sleep_until(&h, || proc.state() == State::Gone).await,
            "on {}: the dropped child was not reaped within {WAIT_LIMIT:?}: {:?}",
            R::KIND,
            proc.state()
        );
    });
}

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

per_runtime!(
    a_dropped_child_without_kill_on_drop_keeps_running,
    kill_on_drop_kills_and_the_runtime_reaps_a_dropped_child
);

/// Blocking work's child type: a dropped `std::process::Child` is neither
/// killed nor reaped. It runs on; killed, it stays a zombie, because
/// nobody waits for it, until the test reaps it itself.
#[test]
fn a_dropped_std_child_runs_on_and_is_never_reaped() {
    let child = spec(false).command().spawn().expect("`sleep` starts");
    let proc = Proc::of(child.id()).expect("the child in /proc");
    drop(child);
    std::thread::sleep(LOOK);
    let running = proc.state();
    proc.kill().expect("the child is there to kill");
    let start = Instant::now();
    while proc.state() != State::Zombie && start.elapsed() < WAIT_LIMIT {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(LOOK);
    let after_kill = proc.state();
    // Reap before asserting, so a failure leaves nothing behind.
    let reaped = proc.reap().expect("the zombie is ours to reap");
    assert!(
        matches!(running, State::Alive(_)),
        "{LOOK:?} after the drop: {running:?}"
    );
    assert_eq!(after_kill, State::Zombie, "killed, nobody reaped it");
    assert!(reaped, "the test reaped it");
    assert_eq!(proc.state(), State::Gone, "reaped by hand");
}
