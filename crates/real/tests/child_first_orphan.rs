//! tokio reaps a child dropped with `kill_on_drop` in the background, on
//! its driver's next wake-up after the child exits; but it sets up the
//! `SIGCHLD` listener that wakes the driver for that only once it has woken
//! with an orphan queued. So the first such child of a process stays a
//! zombie while its runtime sleeps, until something else wakes it.
//!
//! One test alone in its binary: the listener, once set up, stays for the
//! life of the process.

use std::time::{Duration, Instant};

use cancel_harness::runtime::real_io::Io;
use cancel_harness::runtime::{Clock, Runtime, RuntimeHandle, TokioCurrentThread, TokioHandle};
use cancel_real::WAIT_LIMIT;
use cancel_real::child::{Proc, State, spec};

#[test]
fn tokio_reaps_the_first_dropped_child_only_when_its_driver_wakes() {
    let rt = TokioCurrentThread::build(Clock::Real).expect("a runtime");
    let h = rt.handle();
    rt.block_on(async {
        let child = TokioHandle::spawn_child(&spec(true)).expect("`sleep` starts");
        let proc = Proc::of(TokioHandle::child_id(&child).expect("a pid")).expect("in /proc");
        let start = Instant::now();
        while proc.state() != State::Alive('S') && start.elapsed() < WAIT_LIMIT {
            h.sleep(Duration::from_millis(1)).await;
        }
        // Killed here; the orphan goes to tokio's queue.
        drop(child);
        // The runtime has nothing to do but wait for this blocking call: no
        // timer, no I/O, so its driver sleeps throughout.
        let ident = proc.ident();
        let while_asleep = h
            .spawn_blocking(move || {
                std::thread::sleep(Duration::from_millis(300));
                ident.state()
            })
            .await;
        // Any wake-up reaps it: here a timer's, every millisecond.
        let start = Instant::now();
        while proc.state() != State::Gone && start.elapsed() < WAIT_LIMIT {
            h.sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(
            while_asleep,
            State::Zombie,
            "300 ms after the drop, the runtime asleep"
        );
        assert_eq!(proc.state(), State::Gone, "reaped once the driver woke");
    });
}
