//! What the precise timer costs, measured from the process's CPU clock
//! (`CLOCK_PROCESS_CPUTIME_ID`): CPU time per armed-and-fired timeout, the
//! CPU an idle process holding 10 000 armed deadlines uses (none to speak
//! of: the timer thread is blocked in one `read`, a runtime's workers in
//! `epoll_wait`; nothing spins), and how late 10 000 concurrent deadlines
//! due within 50 ms fire (none early). Each on the timer thread and on a
//! tokio runtime's reactor (`cancel_timer::tokio`).
//!
//! Each test prints its figures straight to stderr, so they show on a
//! passing run. The assertions are wide (a debug build on a shared machine
//! passes them); the figures worth reading come from a release build:
//!
//! ```sh
//! cargo test -p cancel-timer --release --test cost               # short forms
//! cargo test -p cancel-timer --release --test cost -- --ignored  # 10 000 idle deadlines for 5 s
//! ```
//!
//! One binary of its own, its tests serialised: the CPU clock and `armed()`
//! are the whole process's.

#![cfg(any(target_os = "linux", target_os = "android"))]

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use cancel_timer::{Sleep, armed, sleep, sleep_until};
use common::runtime;
use rustix::time::{ClockId, clock_gettime};

mod common;

fn alone() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// CPU time the whole process has used so far, every thread's.
fn process_cpu() -> Duration {
    let t = clock_gettime(ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// Straight to stderr: the test harness captures `eprintln!`, not this.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Sequential 1 ms sleeps on a tokio current-thread runtime: each one
/// armed, fired by the timer thread and awaited, one after the other. The
/// CPU per timeout is everything the process spent on it (arming, the timer
/// thread's wake-up and re-arm, the runtime's unpark and poll). A timer
/// that spun would spend about the whole wall time; this one spends a small
/// fraction of it.
#[test]
fn an_armed_and_fired_timeout_costs_a_little_cpu_not_its_wait() {
    let _alone = alone();
    const N: u32 = 200;
    let rt = runtime(false);
    // Start the timer thread and the runtime before counting.
    rt.block_on(sleep(Duration::from_millis(1)));
    let (cpu0, wall0) = (process_cpu(), Instant::now());
    rt.block_on(async {
        for _ in 0..N {
            sleep(Duration::from_millis(1)).await;
        }
    });
    let (cpu, wall) = (process_cpu() - cpu0, wall0.elapsed());
    // The same loop woken by the runtime's own reactor (`cancel_timer::tokio`).
    let reactor_rt = runtime(false);
    reactor_rt.block_on(cancel_timer::tokio::sleep(Duration::from_millis(1)));
    let (re_cpu0, re_wall0) = (process_cpu(), Instant::now());
    reactor_rt.block_on(async {
        for _ in 0..N {
            cancel_timer::tokio::sleep(Duration::from_millis(1)).await;
        }
    });
    let (re_cpu, re_wall) = (process_cpu() - re_cpu0, re_wall0.elapsed());
    // The same loop on tokio's own timer, for reference (not asserted).
    let tokio_timer = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    // Made inside the runtime: a tokio sleep needs its time driver.
    tokio_timer.block_on(async { tokio::time::sleep(Duration::from_millis(1)).await });
    let (ref_cpu0, ref_wall0) = (process_cpu(), Instant::now());
    tokio_timer.block_on(async {
        for _ in 0..N {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let (ref_cpu, ref_wall) = (process_cpu() - ref_cpu0, ref_wall0.elapsed());
    say(&format!(
        "cancel-timer: {N} sequential 1 ms timeouts on tokio current-thread: {:.1} µs of CPU per armed-and-fired timeout on the timer thread ({:?} of CPU in {:?}, {:.1} % of one core); \
         {:.1} µs on the runtime's reactor ({:?} of CPU in {:?}); \
         tokio's own timer in the same loop: {:.1} µs ({:?} of CPU in {:?})",
        cpu.as_secs_f64() * 1e6 / f64::from(N),
        cpu,
        wall,
        cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
        re_cpu.as_secs_f64() * 1e6 / f64::from(N),
        re_cpu,
        re_wall,
        ref_cpu.as_secs_f64() * 1e6 / f64::from(N),
        ref_cpu,
        ref_wall,
    ));
    assert!(
        cpu < wall / 2,
        "the process was busy {cpu:?} of {wall:?}: something spins while it waits"
    );
    assert!(
        re_cpu < re_wall / 2,
        "the process was busy {re_cpu:?} of {re_wall:?} on the reactor: something spins"
    );
}

/// Arms `n` deadlines an hour away (each polled once, so its entry is in
/// the timer) and keeps them.
fn arm_far(n: usize) -> Vec<Sleep> {
    let mut cx = Context::from_waker(Waker::noop());
    (0..n)
        .map(|i| {
            let mut s = sleep(Duration::from_secs(3600) + Duration::from_micros(i as u64));
            assert!(Pin::new(&mut s).poll(&mut cx).is_pending());
            s
        })
        .collect()
}

/// Where the idle test's deadlines are armed.
#[derive(Debug, Clone, Copy)]
enum Armed {
    /// On the timer thread, polled outside any runtime.
    Thread,
    /// On a tokio multi-thread runtime's reactor: 10 000 tasks, each
    /// awaiting its own deadline, the workers parked.
    Reactor,
}

/// The process's CPU use while it holds 10 000 armed deadlines and does
/// nothing else for `idle`, as a share of one core.
fn idle_share(idle: Duration, on: Armed) -> f64 {
    const N: usize = 10_000;
    let before = armed();
    let (held, rt) = match on {
        Armed::Thread => (arm_far(N), None),
        Armed::Reactor => {
            let rt = runtime(true);
            for i in 0..N {
                rt.spawn(cancel_timer::tokio::sleep(
                    Duration::from_secs(3600) + Duration::from_micros(i as u64),
                ));
            }
            (Vec::new(), Some(rt))
        }
    };
    // The tasks arm as the workers first poll them.
    let wait = Instant::now();
    while armed() < before + N && wait.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(armed(), before + N, "every deadline is armed");
    let (cpu0, wall0) = (process_cpu(), Instant::now());
    std::thread::sleep(idle);
    let (cpu, wall) = (process_cpu() - cpu0, wall0.elapsed());
    drop(held);
    // Shutting the runtime down drops its tasks and their deadlines.
    drop(rt);
    assert_eq!(armed(), before, "dropped: nothing left");
    let share = cpu.as_secs_f64() / wall.as_secs_f64();
    say(&format!(
        "cancel-timer: idle with {N} deadlines armed on the {} for {wall:?}: {cpu:?} of CPU, {:.4} % of one core",
        match on {
            Armed::Thread => "timer thread",
            Armed::Reactor => "reactor of a tokio multi-thread runtime (2 workers)",
        },
        share * 100.0
    ));
    share
}

/// The short form: half a second, within a wide margin of nothing.
#[test]
fn an_idle_process_holding_10_000_armed_deadlines_uses_no_cpu() {
    let _alone = alone();
    for on in [Armed::Thread, Armed::Reactor] {
        let share = idle_share(Duration::from_millis(500), on);
        assert!(
            share < 0.05,
            "{on:?}: {:.2} % of one core while idle",
            share * 100.0
        );
    }
}

/// The long form, the issue's figure: under 1 % of one core over 5 s.
#[test]
#[ignore = "5 s: the short form runs by default"]
fn an_idle_process_holding_10_000_armed_deadlines_uses_under_1_percent_of_a_core() {
    let _alone = alone();
    for on in [Armed::Thread, Armed::Reactor] {
        let share = idle_share(Duration::from_secs(5), on);
        assert!(
            share < 0.01,
            "{on:?}: {:.3} % of one core while idle",
            share * 100.0
        );
    }
}

/// 10 000 tasks on a tokio multi-thread runtime (two workers), each
/// sleeping until its own deadline, the deadlines spread evenly over 50 ms
/// and starting once all are armed. None wakes early (asserted); how late
/// the last one (the latest deadline) and the latest of all came back is
/// printed, with whether the last was within 1 ms of its time, and the CPU
/// per timeout of the whole batch (spawn, arm, fire, poll, join).
#[test]
fn ten_thousand_concurrent_deadlines_due_within_50_ms_fire_none_early() {
    let _alone = alone();
    ten_thousand(Armed::Thread);
    ten_thousand(Armed::Reactor);
}

fn ten_thousand(on: Armed) {
    const N: u32 = 10_000;
    const WINDOW: Duration = Duration::from_millis(50);
    // Far enough ahead for every task to be spawned and armed first, even
    // unoptimised on a loaded machine.
    const LEAD: Duration = Duration::from_millis(300);
    let rt = runtime(true);
    rt.block_on(sleep(Duration::from_millis(1)));
    let before = armed();
    let cpu0 = process_cpu();
    let start = Instant::now() + LEAD;
    let (late, armed_in_time) = rt.block_on(async {
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let at = start + WINDOW * i / (N - 1);
                tokio::spawn(async move {
                    match on {
                        Armed::Thread => sleep_until(at).await,
                        Armed::Reactor => cancel_timer::tokio::sleep_until(at).await,
                    }
                    let woke = Instant::now();
                    (woke >= at, woke.saturating_duration_since(at))
                })
            })
            .collect();
        // All armed before the first is due: the deadlines are concurrent.
        let mut armed_in_time = false;
        while Instant::now() < start {
            if armed() >= before + N as usize {
                armed_in_time = true;
                break;
            }
            tokio::task::yield_now().await;
        }
        let mut late = Vec::with_capacity(N as usize);
        for task in tasks {
            let (on_time_or_after, lateness) = task.await.expect("no panic");
            assert!(on_time_or_after, "a deadline fired early");
            late.push(lateness);
        }
        (late, armed_in_time)
    });
    let cpu = process_cpu() - cpu0;
    assert_eq!(armed(), before, "every fired deadline left the timer");
    let last = late.last().copied().unwrap_or_default();
    let mut sorted = late.clone();
    sorted.sort_unstable();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize];
    say(&format!(
        "cancel-timer: {N} concurrent deadlines due within {WINDOW:?} in tasks on tokio multi-thread (2 workers), armed on the {}{}: none early; \
         the last came back {last:?} after its time ({} 1 ms); lateness p50 {:?}, p99 {:?}, max {:?}; \
         {:.1} µs of CPU per timeout (spawn, arm, fire, poll, join)",
        match on {
            Armed::Thread => "timer thread",
            Armed::Reactor => "runtime's reactor",
        },
        if armed_in_time {
            ", all armed before the first was due"
        } else {
            ", NOT all armed before the first was due"
        },
        if last <= Duration::from_millis(1) {
            "within"
        } else {
            "not within"
        },
        at(0.5),
        at(0.99),
        sorted.last().copied().unwrap_or_default(),
        cpu.as_secs_f64() * 1e6 / f64::from(N),
    ));
    // Wide: a loaded machine running this unoptimised; the figure is printed.
    assert!(
        last < Duration::from_millis(250),
        "the last deadline came back {last:?} late"
    );
}
