//! Floors: for each situation a figure is taken in, the cheapest way that
//! same situation can happen (same runtime, same threads, same wake path,
//! same timer source), measured with no strategy around it, in the same run,
//! so each figure can be read as a ratio that cannot honestly go below 1.
//!
//! A floor is read from one or more [`Probe`]s: bare mechanisms run on a
//! runtime of the figure's kind, with the very work the strategies are
//! measured with (`Parked`: it parks and stamps its `Drop`). The lab samples
//! them on the figure's own runtime, alternating sample by sample with the
//! figure ([`Measure::cancel_beside`](crate::Measure::cancel_beside));
//! `cargo bench` samples them on runtimes of their own ([`Probe::build`]).
//!
//! | floor | probes | matches |
//! |---|---|---|
//! | [`Floor::TaskStop`] | [`Mechanism::TaskWake`], [`Mechanism::TaskAbort`] (the cheaper) | `cancel_to_stopped` of async work on that runtime |
//! | [`Floor::TaskJoin`] | the same | `cancel_to_confirmed` of async work on that runtime |
//! | [`Floor::BlockingJoin`] | [`Mechanism::BlockingJoin`], [`Mechanism::BlockingSpinJoin`] (the cheaper) | `cancel_to_confirmed` of work on blocking threads |
//! | [`Floor::Timer`] with the runtime's timer | [`Mechanism::Sleep`], [`Mechanism::Timeout`] (the cheaper) | `timeout_overshoot` on that runtime with its own timer, at the same deadline |
//! | [`Floor::Timer`] with the precise timer | [`Mechanism::PreciseSleep`] | `timeout_overshoot` on that runtime with `cancel-timer`, at the same deadline |
//! | [`Floor::AtomicStoreSpinner`] | [`atomic_store_to_spinner`] | `cancel_to_stopped` of work on blocking threads |
//! | [`Floor::SleepOvershoot`] | [`sleep_overshoot`] | nothing: a reference row beside the timers |
//!
//! [`Floor::of`] says which floor each figure is read against: the one rule,
//! used by the lab's ratios and documented for the benches
//! (`benches/README.md`, "Read a figure against its floor").

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use cancel_conformance::{Play, facts};
use cancel_harness::runtime::{
    AsyncStd, Clock, Runtime, RuntimeHandle, RuntimeKind, Smol, TokioCurrentThread,
    TokioMultiThread,
};

use crate::work::{Marks, Parked, until_parked};
use crate::{Deadline, Metric, OVERSHOOT_DEADLINE, Target, Timer, TimerSource};

/// A bare mechanism measured on one runtime, with no strategy around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// The canceller, in `block_on`, wakes a task parked on a bare waker
    /// (a flag and a `Mutex<Option<Waker>>`, the least a wake can be), then
    /// awaits the runtime's own join handle.
    TaskWake,
    /// The canceller stops a parked task with the runtime's own abort
    /// (tokio `JoinHandle::abort` then its await, async-std
    /// `JoinHandle::cancel`, smol `Task::cancel`), which needs no wake of
    /// the work's future at all.
    TaskAbort,
    /// A closure on the runtime's blocking pool checks an atomic flag in a
    /// loop that yields between checks (the `thread` strategy's work); the
    /// canceller sets the flag and awaits the pool's join handle.
    BlockingJoin,
    /// The same with a closure that spins on the flag without yielding, so
    /// it holds its core and sees the store at once.
    BlockingSpinJoin,
    /// The runtime's own sleep to the deadline, awaited with no work
    /// (in `block_on`; on tokio multi-thread, in a task): tokio's `sleep`,
    /// async-io's `Timer`.
    Sleep(Deadline),
    /// The runtime's own timeout to the deadline around a future that never
    /// completes (tokio `time::timeout`, async-std `future::timeout`, smol
    /// `or` with an async-io `Timer`): the shape every timeout has, with no
    /// work in it.
    Timeout(Deadline),
    /// `cancel_timer::tokio::sleep` to the deadline, awaited with no work
    /// (in `block_on`; on tokio multi-thread, in a task): on tokio the
    /// runtime's own reactor wakes the task (a timerfd registered with it),
    /// elsewhere cancel-timer's timer thread.
    PreciseSleep(Deadline),
}

impl Mechanism {
    /// Every mechanism, in report order: the task and blocking ones, then
    /// per deadline the timers.
    pub fn all() -> Vec<Mechanism> {
        let timers = Deadline::ALL.into_iter().flat_map(|d| {
            [
                Mechanism::Sleep(d),
                Mechanism::Timeout(d),
                Mechanism::PreciseSleep(d),
            ]
        });
        [
            Mechanism::TaskWake,
            Mechanism::TaskAbort,
            Mechanism::BlockingJoin,
            Mechanism::BlockingSpinJoin,
        ]
        .into_iter()
        .chain(timers)
        .collect()
    }

    /// The report name, without the deadline.
    pub const fn name(self) -> &'static str {
        match self {
            Mechanism::TaskWake => "task_wake",
            Mechanism::TaskAbort => "task_abort",
            Mechanism::BlockingJoin => "blocking_join",
            Mechanism::BlockingSpinJoin => "blocking_spin_join",
            Mechanism::Sleep(_) => "sleep",
            Mechanism::Timeout(_) => "timeout",
            Mechanism::PreciseSleep(_) => "precise_sleep",
        }
    }

    /// A timer's deadline.
    pub const fn deadline(self) -> Option<Deadline> {
        match self {
            Mechanism::Sleep(d) | Mechanism::Timeout(d) | Mechanism::PreciseSleep(d) => Some(d),
            Mechanism::TaskWake
            | Mechanism::TaskAbort
            | Mechanism::BlockingJoin
            | Mechanism::BlockingSpinJoin => None,
        }
    }

    /// The name's suffix for the deadline: none, or `/1ms`.
    const fn suffix(self) -> &'static str {
        match self.deadline() {
            Some(d) => d.suffix(),
            None => "",
        }
    }

    const fn bench_name(self) -> &'static str {
        match self {
            Mechanism::TaskWake => "task-wake",
            Mechanism::TaskAbort => "task-abort",
            Mechanism::BlockingJoin => "blocking-join",
            Mechanism::BlockingSpinJoin => "blocking-spin-join",
            Mechanism::Sleep(_) => "timer-sleep",
            Mechanism::Timeout(_) => "timer-timeout",
            Mechanism::PreciseSleep(_) => "precise-sleep",
        }
    }
}

/// One thing the floors are measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Probe {
    /// A bare mechanism on a runtime of this kind.
    On(Mechanism, RuntimeKind),
    /// [`atomic_store_to_spinner`]: a store seen by a spinning thread.
    AtomicStoreSpinner,
    /// [`sleep_overshoot`]: `std::thread::sleep` to the deadline.
    Nanosleep,
}

/// What a probe's sample is read at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reading {
    /// The stopped thing ended: the work's `Drop` ran (for a one-step probe,
    /// the event itself).
    Ended,
    /// The canceller's await returned (for a one-step probe, the same as
    /// [`Reading::Ended`]).
    Returned,
}

/// One sample of a probe, both readings from the same event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeSample {
    /// The stop was issued → the stopped thing ended ([`Reading::Ended`]).
    pub ended: Duration,
    /// The stop was issued → the canceller's await returned
    /// ([`Reading::Returned`]).
    pub returned: Duration,
}

impl ProbeSample {
    /// A sample of a one-step probe: both readings are `d`.
    pub const fn one(d: Duration) -> ProbeSample {
        ProbeSample {
            ended: d,
            returned: d,
        }
    }

    /// The reading `r` of this sample.
    pub const fn read(&self, r: Reading) -> Duration {
        match r {
            Reading::Ended => self.ended,
            Reading::Returned => self.returned,
        }
    }
}

impl Probe {
    /// Every probe, in report order: per runtime its mechanisms, then the
    /// two that need no runtime.
    pub fn all() -> Vec<Probe> {
        RuntimeKind::ALL
            .into_iter()
            .flat_map(|rt| Mechanism::all().into_iter().map(move |m| Probe::On(m, rt)))
            .chain([Probe::AtomicStoreSpinner, Probe::Nanosleep])
            .collect()
    }

    /// The probes `cargo bench` measures (group `floors`): every one but
    /// the timers to 1 ms, which only the lab samples (criterion's
    /// `timeout_overshoot` is taken at 100 µs, to keep `cargo bench` short).
    pub fn benched() -> Vec<Probe> {
        Probe::all()
            .into_iter()
            .filter(|p| match p {
                Probe::On(m, _) => m.deadline().is_none_or(|d| d == Deadline::Micros100),
                Probe::AtomicStoreSpinner | Probe::Nanosleep => true,
            })
            .collect()
    }

    /// The report name: `task_wake/smol`, `sleep/smol/1ms`,
    /// `precise_sleep/smol`, `atomic_store_spinner`, ….
    pub fn name(self) -> String {
        match self {
            Probe::On(m, rt) => format!("{}/{}{}", m.name(), rt.name(), m.suffix()),
            Probe::AtomicStoreSpinner => "atomic_store_spinner".to_owned(),
            Probe::Nanosleep => "sleep_overshoot".to_owned(),
        }
    }

    /// The criterion id in group `floors` of this probe read at `r`:
    /// `task-wake/smol/drop`, `task-wake/smol/join`, `blocking-join/smol`,
    /// `timer-sleep/smol`, `timer-timeout/smol`, `precise-sleep/smol`
    /// (`/1ms` after a timer's at 1 ms), `atomic-store/spinner`,
    /// `sleep-overshoot`.
    pub fn bench_id(self, r: Reading) -> String {
        match (self, r) {
            (Probe::On(m @ (Mechanism::TaskWake | Mechanism::TaskAbort), rt), r) => {
                let end = match r {
                    Reading::Ended => "drop",
                    Reading::Returned => "join",
                };
                format!("{}/{}/{end}", m.bench_name(), rt.name())
            }
            (Probe::On(m, rt), _) => format!("{}/{}{}", m.bench_name(), rt.name(), m.suffix()),
            (Probe::AtomicStoreSpinner, _) => "atomic-store/spinner".to_owned(),
            (Probe::Nanosleep, _) => "sleep-overshoot".to_owned(),
        }
    }

    /// The readings some floor takes from this probe: both for the task
    /// probes, one for the rest. The criterion bench has one id for each.
    pub fn readings(self) -> &'static [Reading] {
        match self {
            Probe::On(Mechanism::TaskWake | Mechanism::TaskAbort, _) => {
                &[Reading::Ended, Reading::Returned]
            }
            Probe::On(
                Mechanism::BlockingJoin
                | Mechanism::BlockingSpinJoin
                | Mechanism::Sleep(_)
                | Mechanism::Timeout(_)
                | Mechanism::PreciseSleep(_),
                _,
            )
            | Probe::Nanosleep => &[Reading::Returned],
            Probe::AtomicStoreSpinner => &[Reading::Ended],
        }
    }

    /// Builds what the probe needs (a runtime of its kind, once: reuse the
    /// result for every sample).
    ///
    /// # Panics
    ///
    /// Panics if the runtime cannot be built: nothing can be measured then.
    pub fn build(self) -> Box<dyn Sampler> {
        match self {
            Probe::On(m, rt) => match rt {
                RuntimeKind::TokioCurrentThread => {
                    Box::new(OnRuntime::<TokioCurrentThread>::new(m))
                }
                RuntimeKind::TokioMultiThread => Box::new(OnRuntime::<TokioMultiThread>::new(m)),
                RuntimeKind::AsyncStd => Box::new(OnRuntime::<AsyncStd>::new(m)),
                RuntimeKind::Smol => Box::new(OnRuntime::<Smol>::new(m)),
            },
            Probe::AtomicStoreSpinner => Box::new(Plain(self, atomic_store_to_spinner)),
            Probe::Nanosleep => Box::new(Plain(self, sleep_overshoot)),
        }
    }
}

/// A built probe, ready to be sampled again and again.
pub trait Sampler {
    /// Which probe.
    fn probe(&self) -> Probe;

    /// `samples` measurements.
    ///
    /// # Panics
    ///
    /// Panics if the runtime does not stop the work (its `Drop` has not run
    /// when the canceller's await returns): the floor would be meaningless.
    fn samples(&mut self, samples: u64) -> Vec<ProbeSample>;
}

/// One situation a figure is taken in, and the floor it is read against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Floor {
    /// A stop to a task parked on the runtime → the task's `Drop` ran: the
    /// cheaper of [`Mechanism::TaskWake`] and [`Mechanism::TaskAbort`].
    TaskStop(RuntimeKind),
    /// The same stops → the canceller's await of the task returned.
    TaskJoin(RuntimeKind),
    /// A flag set for a closure on the runtime's blocking pool → the
    /// canceller's await of it returned: the cheaper of
    /// [`Mechanism::BlockingJoin`] and [`Mechanism::BlockingSpinJoin`].
    BlockingJoin(RuntimeKind),
    /// A timer on the runtime: deadline → the await returned. For the
    /// runtime's own timer the cheaper of [`Mechanism::Sleep`] and
    /// [`Mechanism::Timeout`], for the precise one
    /// [`Mechanism::PreciseSleep`], each to the timer's deadline.
    Timer(RuntimeKind, Timer),
    /// An atomic store → seen by a thread spinning on loads.
    AtomicStoreSpinner,
    /// `std::thread::sleep` to the deadline: a reference row beside the
    /// timers (a `nanosleep`, which the kernel may end late by the thread's
    /// timer slack), the floor of no figure.
    SleepOvershoot,
}

impl Floor {
    /// Every floor, in report order: per runtime its three stops and a
    /// timer per [`Timer`], then the two that need no runtime.
    pub fn all() -> Vec<Floor> {
        RuntimeKind::ALL
            .into_iter()
            .flat_map(|rt| {
                [
                    Floor::TaskStop(rt),
                    Floor::TaskJoin(rt),
                    Floor::BlockingJoin(rt),
                ]
                .into_iter()
                .chain(Timer::ALL.map(|t| Floor::Timer(rt, t)))
            })
            .chain([Floor::AtomicStoreSpinner, Floor::SleepOvershoot])
            .collect()
    }

    /// The report name (`floors[].name` of the lab's JSON):
    /// `task_stop/smol`, `timer/tokio-multi-thread` (its own timer, 100 µs),
    /// `timer/smol/precise/1ms` ([`Timer::suffix`]), `atomic_store_spinner`, ….
    pub fn name(self) -> String {
        match self {
            Floor::TaskStop(rt) => format!("task_stop/{}", rt.name()),
            Floor::TaskJoin(rt) => format!("task_join/{}", rt.name()),
            Floor::BlockingJoin(rt) => format!("blocking_join/{}", rt.name()),
            Floor::Timer(rt, t) => format!("timer/{}{}", rt.name(), t.suffix()),
            Floor::AtomicStoreSpinner => "atomic_store_spinner".to_owned(),
            Floor::SleepOvershoot => "sleep_overshoot".to_owned(),
        }
    }

    /// The runtime the floor is measured on, if any.
    pub const fn runtime(self) -> Option<RuntimeKind> {
        match self {
            Floor::TaskStop(rt)
            | Floor::TaskJoin(rt)
            | Floor::BlockingJoin(rt)
            | Floor::Timer(rt, _) => Some(rt),
            Floor::AtomicStoreSpinner | Floor::SleepOvershoot => None,
        }
    }

    /// Whether some figure is read against this floor (every floor but the
    /// reference row [`Floor::SleepOvershoot`]).
    pub const fn is_paired(self) -> bool {
        !matches!(self, Floor::SleepOvershoot)
    }

    /// The probes this floor is the cheapest of, and what is read from them.
    pub fn probes(self) -> (Vec<Probe>, Reading) {
        let task = |rt| {
            vec![
                Probe::On(Mechanism::TaskWake, rt),
                Probe::On(Mechanism::TaskAbort, rt),
            ]
        };
        match self {
            Floor::TaskStop(rt) => (task(rt), Reading::Ended),
            Floor::TaskJoin(rt) => (task(rt), Reading::Returned),
            Floor::BlockingJoin(rt) => (
                vec![
                    Probe::On(Mechanism::BlockingJoin, rt),
                    Probe::On(Mechanism::BlockingSpinJoin, rt),
                ],
                Reading::Returned,
            ),
            Floor::Timer(rt, t) => {
                let d = t.deadline;
                let probes = match t.source {
                    TimerSource::Runtime => vec![
                        Probe::On(Mechanism::Sleep(d), rt),
                        Probe::On(Mechanism::Timeout(d), rt),
                    ],
                    TimerSource::Precise => vec![Probe::On(Mechanism::PreciseSleep(d), rt)],
                };
                (probes, Reading::Returned)
            }
            Floor::AtomicStoreSpinner => (vec![Probe::AtomicStoreSpinner], Reading::Ended),
            Floor::SleepOvershoot => (vec![Probe::Nanosleep], Reading::Returned),
        }
    }

    /// The criterion ids (group `floors`) this floor is the least of.
    pub fn bench_ids(self) -> Vec<String> {
        let (probes, reading) = self.probes();
        probes.into_iter().map(|p| p.bench_id(reading)).collect()
    }

    /// The situation, in words: who stops, which thread runs the executor,
    /// who is woken, which timer.
    pub fn situation(self) -> String {
        match self {
            Floor::TaskStop(rt) => format!(
                "the canceller, in `block_on`, stops a task parked on {rt} (by a bare waker's wake or the runtime's own abort, whichever is cheaper) → the task's `Drop` ran; {}",
                executor(rt)
            ),
            Floor::TaskJoin(rt) => format!(
                "the same stops → the canceller's await of the task's join handle returned; {}",
                executor(rt)
            ),
            Floor::BlockingJoin(rt) => format!(
                "the canceller, in `block_on` on {rt}, sets a flag that a closure on {} checks in a loop (yielding between checks, or spinning, whichever is cheaper), then awaits its join handle: the pool thread ends and wakes the canceller",
                blocking_pool(rt)
            ),
            Floor::Timer(rt, t) => match t.source {
                TimerSource::Runtime => format!(
                    "{} to the {} deadline, awaited {} with no work (directly, or as the runtime's timeout around a future that never completes, whichever is cheaper): deadline → the await returned",
                    timer(rt),
                    t.deadline.label(),
                    timer_awaited_in(rt)
                ),
                TimerSource::Precise => format!(
                    "`cancel_timer::tokio::sleep` to the {} deadline, awaited {} with no work: deadline → the await returned; {}",
                    t.deadline.label(),
                    timer_awaited_in(rt),
                    precise_timer(rt)
                ),
            },
            Floor::AtomicStoreSpinner => {
                "an atomic store → seen by another thread spinning on loads".to_owned()
            }
            Floor::SleepOvershoot => {
                "reference only: `std::thread::sleep` (a `nanosleep`, which may end late by the thread's timer slack) to the 100 µs deadline → the thread runs".to_owned()
            }
        }
    }

    /// The floor `metric` of `target` is read against: the same situation on
    /// the same runtime (see `benches/README.md` for every pairing). Every
    /// [`Metric`] is a stop or a timer, so every one has a floor.
    pub fn of(target: Target, metric: Metric) -> Floor {
        let rt = target.runtime;
        // Work on blocking threads is stopped by a flag it checks in a loop,
        // and its canceller awaits a blocking pool's join handle.
        let on_threads = facts(target.strategy, rt).on_blocking_threads;
        match metric {
            Metric::TimeoutOvershoot(t) => Floor::Timer(rt, t),
            Metric::CancelToStopped if on_threads => Floor::AtomicStoreSpinner,
            Metric::CancelToConfirmed if on_threads => Floor::BlockingJoin(rt),
            Metric::CancelToStopped => Floor::TaskStop(rt),
            Metric::CancelToConfirmed => Floor::TaskJoin(rt),
        }
    }
}

/// Which thread runs the executor, and who is woken, on `rt`.
fn executor(rt: RuntimeKind) -> &'static str {
    match rt {
        RuntimeKind::TokioCurrentThread => {
            "the canceller's own thread runs the executor: the task is polled on that thread, nobody is woken across threads"
        }
        RuntimeKind::TokioMultiThread => {
            "the task runs on one of two worker threads, asleep since it parked: the stop wakes a worker, the task's end wakes the canceller's thread"
        }
        RuntimeKind::AsyncStd => {
            "the task runs on async-std's executor threads, asleep since it parked: the stop wakes one, the task's end wakes the canceller's thread"
        }
        RuntimeKind::Smol => {
            "the canceller's `block_on` runs the executor too (beside two workers): a worker may be woken, or the canceller's own thread may poll the task while it waits"
        }
    }
}

/// The blocking pool of `rt`.
fn blocking_pool(rt: RuntimeKind) -> &'static str {
    match rt {
        RuntimeKind::TokioCurrentThread | RuntimeKind::TokioMultiThread => {
            "tokio's blocking pool (`spawn_blocking`)"
        }
        RuntimeKind::AsyncStd => "async-std's blocking pool (`spawn_blocking`)",
        RuntimeKind::Smol => "the `blocking` crate's pool (`unblock`)",
    }
}

/// Where the timer step awaits its timers on `rt`: where the runtime runs a
/// program's tasks.
fn timer_awaited_in(rt: RuntimeKind) -> String {
    match rt {
        RuntimeKind::TokioMultiThread => {
            format!("in a task spawned on {rt} (its `block_on` thread is none of its workers)")
        }
        _ => format!("in `block_on` on {rt}"),
    }
}

/// How the precise timer's expiry reaches the awaiting task on `rt`.
fn precise_timer(rt: RuntimeKind) -> &'static str {
    match rt {
        RuntimeKind::TokioCurrentThread => {
            "a timerfd registered with the runtime's own reactor: its expiry wakes the `block_on` thread parked in the I/O driver, which runs the timer's task, which wakes the awaiting future"
        }
        RuntimeKind::TokioMultiThread => {
            "a timerfd registered with the runtime's own reactor: its expiry wakes the worker parked in the I/O driver, which runs the timer's task, which wakes the awaiting task"
        }
        RuntimeKind::AsyncStd | RuntimeKind::Smol => {
            "cancel-timer's one timer thread, blocked on a `timerfd`, wakes the task's waker, which unparks the `block_on` thread, asleep in async-io's reactor or parker"
        }
    }
}

/// The timer of `rt`.
fn timer(rt: RuntimeKind) -> &'static str {
    match rt {
        RuntimeKind::TokioCurrentThread | RuntimeKind::TokioMultiThread => {
            "`tokio::time::sleep` (tokio's wheel, 1 ms ticks)"
        }
        RuntimeKind::AsyncStd | RuntimeKind::Smol => {
            "`async_io::Timer` (the reactor's deadline, in its `epoll` wait)"
        }
    }
}

/// A flag and the waker of whoever waits for it: the least a task can park
/// on and be woken from.
#[derive(Debug, Default)]
struct Event {
    set: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Event {
    fn set(&self) {
        self.set.store(true, Ordering::SeqCst);
        let waker = self
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn wait(self: Arc<Event>) -> impl Future<Output = ()> + Send + 'static {
        std::future::poll_fn(move |cx| {
            if self.set.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            *self.waker.lock().unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
            // Set between the check and the store: its wake found no waker.
            if self.set.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
    }
}

/// One sample of `mechanism` on the runtime `rt` is a handle of, awaited
/// in the caller's task (inside that runtime's `block_on`, as the
/// strategies' scenarios are). The lab calls it between a strategy's own
/// samples, on the strategy's runtime (`Measure::cancel_beside`).
///
/// # Panics
///
/// Panics if the runtime did not drop the work before its await returned.
pub(crate) async fn sample<H: RuntimeHandle>(rt: &H, mechanism: Mechanism) -> ProbeSample {
    match mechanism {
        Mechanism::TaskWake | Mechanism::TaskAbort => task(rt, mechanism).await,
        Mechanism::BlockingJoin => blocking_join(rt, false).await,
        Mechanism::BlockingSpinJoin => blocking_join(rt, true).await,
        Mechanism::Sleep(d) => {
            let after = d.duration();
            let deadline = Instant::now() + after;
            rt.sleep(after).await;
            ProbeSample::one(Instant::now().saturating_duration_since(deadline))
        }
        Mechanism::PreciseSleep(d) => {
            let after = d.duration();
            let deadline = Instant::now() + after;
            cancel_timer::tokio::sleep(after).await;
            ProbeSample::one(Instant::now().saturating_duration_since(deadline))
        }
        Mechanism::Timeout(d) => {
            let after = d.duration();
            let deadline = Instant::now() + after;
            let timed_out = rt.timeout(after, std::future::pending::<()>()).await;
            let late = Instant::now().saturating_duration_since(deadline);
            assert!(
                timed_out.is_none(),
                "a future that never completes timed out"
            );
            ProbeSample::one(late)
        }
    }
}

/// A task parked on the runtime, stopped by a bare wake or the runtime's
/// own abort.
async fn task<H: RuntimeHandle>(rt: &H, mechanism: Mechanism) -> ProbeSample {
    let marks = Marks::new();
    let event = Arc::new(Event::default());
    let abort = mechanism == Mechanism::TaskAbort;
    let task = if abort {
        rt.spawn(Parked(Arc::clone(&marks)).forced(rt.clone()))
    } else {
        let work = Parked(Arc::clone(&marks)).until(
            rt.clone(),
            Arc::clone(&event).wait(),
            None::<fn() -> std::future::Ready<()>>,
        );
        rt.spawn(async move {
            let _ = work.await;
        })
    };
    until_parked(rt, &marks, 1).await;
    let t0 = Instant::now();
    if abort {
        H::abort(task).await;
    } else {
        event.set();
        H::join(task).await;
    }
    let returned = t0.elapsed();
    ProbeSample {
        ended: marks.dropped_since(t0),
        returned,
    }
}

/// The `thread` strategy's work on the runtime's blocking pool (or, with
/// `spin`, a closure that spins without yielding), stopped by a bare flag.
async fn blocking_join<H: RuntimeHandle>(rt: &H, spin: bool) -> ProbeSample {
    let marks = Marks::new();
    let flag = Arc::new(AtomicBool::new(false));
    let work = Parked(Arc::clone(&marks));
    let join = rt.spawn_blocking({
        let flag = Arc::clone(&flag);
        move || {
            if spin {
                work.spin_until(|| flag.load(Ordering::Acquire));
            } else {
                work.yield_until(|| flag.load(Ordering::Acquire));
            }
        }
    });
    until_parked(rt, &marks, 1).await;
    let t0 = Instant::now();
    flag.store(true, Ordering::Release);
    join.await;
    let returned = t0.elapsed();
    ProbeSample {
        ended: marks.dropped_since(t0),
        returned,
    }
}

/// A mechanism on a runtime of type `R` of its own, built once: what the
/// criterion bench samples.
struct OnRuntime<R> {
    mechanism: Mechanism,
    rt: R,
}

impl<R: Runtime> OnRuntime<R> {
    fn new(mechanism: Mechanism) -> OnRuntime<R> {
        let rt = R::build(Clock::Real)
            .unwrap_or_else(|e| panic!("cannot build {} for a floor: {e}", R::KIND));
        OnRuntime { mechanism, rt }
    }
}

impl<R: Runtime> Sampler for OnRuntime<R> {
    fn probe(&self) -> Probe {
        Probe::On(self.mechanism, R::KIND)
    }

    fn samples(&mut self, samples: u64) -> Vec<ProbeSample> {
        let h = self.rt.handle();
        let mechanism = self.mechanism;
        let sampling = async move {
            let mut out = Vec::with_capacity(usize::try_from(samples).unwrap_or(0));
            for _ in 0..samples {
                out.push(sample(&h, mechanism).await);
            }
            out
        };
        match mechanism {
            // A timer's floor is awaited where the timeouts it bounds are.
            Mechanism::Sleep(_) | Mechanism::Timeout(_) | Mechanism::PreciseSleep(_) => {
                where_timers_run(&self.rt, sampling)
            }
            _ => self.rt.block_on(sampling),
        }
    }
}

/// `fut`'s output, awaited where timeouts are measured on `R`: in
/// `block_on`, except on tokio multi-thread, whose `block_on` thread is
/// none of its workers (a timeout awaited there pays a hop, worker → that
/// thread, that no other runtime's `block_on` does, and a program's
/// timeouts run in tasks): there in a task spawned on the runtime.
///
/// # Panics
///
/// Panics if that task panicked.
pub(crate) fn where_timers_run<R: Runtime, T: Send + 'static>(
    rt: &R,
    fut: impl Future<Output = T> + Send + 'static,
) -> T {
    if R::KIND != RuntimeKind::TokioMultiThread {
        return rt.block_on(fut);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let task = rt.handle().spawn(async move {
        // The receiver outlives the task: `block_on` below joins it first.
        let _ = tx.send(fut.await);
    });
    rt.block_on(R::Handle::join(task));
    rx.recv()
        .unwrap_or_else(|_| panic!("a sampling task on {} panicked", R::KIND))
}

/// A probe that needs no runtime, and the function that samples it.
struct Plain(Probe, fn(u64) -> Vec<Duration>);

impl Sampler for Plain {
    fn probe(&self) -> Probe {
        self.0
    }

    fn samples(&mut self, samples: u64) -> Vec<ProbeSample> {
        (self.1)(samples)
            .into_iter()
            .map(ProbeSample::one)
            .collect()
    }
}

/// Nanoseconds since `base`, plus one so that zero means "not yet".
fn stamp(base: Instant) -> u64 {
    u64::try_from(base.elapsed().as_nanos()).unwrap_or(u64::MAX - 1) + 1
}

/// Atomic store → observed by a spinning thread: `samples` times, one thread
/// stores a new value and another, spinning on loads, takes the time as soon
/// as it sees it.
///
/// # Panics
///
/// Panics if the spinning thread cannot be started.
pub fn atomic_store_to_spinner(samples: u64) -> Vec<Duration> {
    let base = Instant::now();
    let value = Arc::new(AtomicU64::new(0));
    let seen_round = Arc::new(AtomicU64::new(0));
    let seen_at = Arc::new(AtomicU64::new(0));
    let spinner = std::thread::Builder::new()
        .name("floor-spinner".into())
        .spawn({
            let (value, seen_round, seen_at) = (
                Arc::clone(&value),
                Arc::clone(&seen_round),
                Arc::clone(&seen_at),
            );
            move || {
                let mut seen = 0;
                loop {
                    let v = value.load(Ordering::Acquire);
                    if v != seen {
                        seen_at.store(stamp(base), Ordering::SeqCst);
                        seen_round.store(v, Ordering::SeqCst);
                        if v == u64::MAX {
                            return;
                        }
                        seen = v;
                    }
                    std::hint::spin_loop();
                }
            }
        })
        .expect("the floor's spinning thread starts");
    let mut out = Vec::with_capacity(usize::try_from(samples).unwrap_or(0));
    for i in 1..=samples {
        // Let the spinner go back to spinning on a line it holds.
        crate::spin_for(Duration::from_micros(1));
        let t0 = stamp(base);
        value.store(i, Ordering::Release);
        while seen_round.load(Ordering::SeqCst) < i {
            std::hint::spin_loop();
        }
        out.push(Duration::from_nanos(
            seen_at.load(Ordering::SeqCst).saturating_sub(t0),
        ));
    }
    value.store(u64::MAX, Ordering::Release);
    spinner.join().expect("the floor's spinning thread ends");
    out
}

/// Deadline → a thread that slept until it runs again: `samples` times, a
/// thread sleeps for [`OVERSHOOT_DEADLINE`] with `std::thread::sleep` and
/// takes how long after the deadline it woke. A reference beside the
/// runtimes' timers: a `nanosleep` may end late by the thread's timer slack,
/// which an `epoll` wait armed by async-io need not.
pub fn sleep_overshoot(samples: u64) -> Vec<Duration> {
    (0..samples)
        .map(|_| {
            let deadline = Instant::now() + OVERSHOOT_DEADLINE;
            std::thread::sleep(OVERSHOOT_DEADLINE);
            Instant::now().saturating_duration_since(deadline)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets;

    #[test]
    fn every_figure_is_read_against_a_floor_of_its_own_runtime() {
        for target in targets() {
            let on_threads = facts(target.strategy, target.runtime).on_blocking_threads;
            for metric in Metric::ALL {
                let floor = Floor::of(target, metric);
                assert!(floor.is_paired(), "{floor:?} is a reference row");
                assert!(Floor::all().contains(&floor), "{floor:?} is measured");
                let expected = match (metric, on_threads) {
                    (Metric::TimeoutOvershoot(t), _) => Floor::Timer(target.runtime, t),
                    (Metric::CancelToStopped, true) => Floor::AtomicStoreSpinner,
                    (Metric::CancelToConfirmed, true) => Floor::BlockingJoin(target.runtime),
                    (Metric::CancelToStopped, false) => Floor::TaskStop(target.runtime),
                    (Metric::CancelToConfirmed, false) => Floor::TaskJoin(target.runtime),
                };
                assert_eq!(floor, expected, "{} {}", target.id(), metric.name());
            }
        }
        // The registry has work of both kinds, so both kinds of floor are read.
        let read: Vec<Floor> = targets()
            .into_iter()
            .map(|t| Floor::of(t, Metric::CancelToConfirmed))
            .collect();
        assert!(read.contains(&Floor::BlockingJoin(RuntimeKind::Smol)));
        assert!(read.contains(&Floor::TaskJoin(RuntimeKind::Smol)));
    }

    #[test]
    fn timer_floors_are_their_own_timer_source_on_their_runtime_at_the_same_deadline() {
        for rt in RuntimeKind::ALL {
            for d in Deadline::ALL {
                assert_eq!(
                    Floor::Timer(rt, Timer::new(TimerSource::Runtime, d)).probes(),
                    (
                        vec![
                            Probe::On(Mechanism::Sleep(d), rt),
                            Probe::On(Mechanism::Timeout(d), rt)
                        ],
                        Reading::Returned
                    )
                );
                assert_eq!(
                    Floor::Timer(rt, Timer::new(TimerSource::Precise, d)).probes(),
                    (
                        vec![Probe::On(Mechanism::PreciseSleep(d), rt)],
                        Reading::Returned
                    )
                );
            }
            // The runtime's timer at 100 µs keeps the name it always had.
            assert_eq!(
                Floor::Timer(rt, Timer::ALL[0]).name(),
                format!("timer/{}", rt.name())
            );
            assert_eq!(
                Floor::Timer(rt, Timer::new(TimerSource::Precise, Deadline::Millis1)).name(),
                format!("timer/{}/precise/1ms", rt.name())
            );
        }
        assert!(!Floor::SleepOvershoot.is_paired());
        // `cargo bench` measures every probe but the 1 ms timers.
        let benched = Probe::benched();
        for p in Probe::all() {
            let at_1ms = matches!(p, Probe::On(m, _) if m.deadline() == Some(Deadline::Millis1));
            assert_eq!(benched.contains(&p), !at_1ms, "{p:?}");
        }
    }

    #[test]
    fn task_floors_are_the_cheaper_of_a_wake_and_an_abort_on_their_runtime() {
        for rt in RuntimeKind::ALL {
            for (floor, reading) in [
                (Floor::TaskStop(rt), Reading::Ended),
                (Floor::TaskJoin(rt), Reading::Returned),
            ] {
                let (probes, read) = floor.probes();
                assert_eq!(read, reading);
                assert_eq!(
                    probes,
                    [
                        Probe::On(Mechanism::TaskWake, rt),
                        Probe::On(Mechanism::TaskAbort, rt)
                    ]
                );
            }
        }
    }

    #[test]
    fn every_floor_reads_probes_that_are_measured_at_a_reading_they_offer() {
        let all = Probe::all();
        let mut ids = Vec::new();
        for floor in Floor::all() {
            let (probes, reading) = floor.probes();
            for p in probes {
                assert!(all.contains(&p), "{p:?}");
                assert!(p.readings().contains(&reading), "{floor:?} reads {p:?}");
            }
            ids.extend(floor.bench_ids());
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        // Floors share probes' ids (the two task floors), never clash.
        assert!(unique.len() <= ids.len());
        let names: Vec<String> = Floor::all().into_iter().map(Floor::name).collect();
        let mut distinct = names.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), names.len(), "{names:?}");
    }
}
