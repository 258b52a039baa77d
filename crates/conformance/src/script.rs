//! Work described once, as data, and played by any strategy.
//!
//! A [`Script`] is a list of [`Step`]s plus what the work returns, what it
//! cleans up and whether it listens for a stop. Each strategy's adapter turns
//! a script into that strategy's idiomatic work with [`perform`] (async work
//! that never looks at a stop signal), [`perform_until`] (async work that
//! selects on one) or [`perform_blocking`] (a blocking closure that checks a
//! flag). Either way the work reports what it did on its [`Probe`].
//!
//! A child spawned by [`Step::SpawnChild`] gets what the strategy hands on to
//! children (a child token, a cloned receiver, the same flag), if anything:
//! whether it then stops with its parent is the `stops_children` capability.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cancel_harness::probe::{Probe, WorkGuard, count_polls};
use cancel_harness::runtime::RuntimeHandle;
use futures_lite::FutureExt as _;

/// The message of a scripted panic in the work.
pub const WORK_PANIC_MESSAGE: &str = "scripted panic in the work";

/// One thing the work does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Sleep on the runtime's timer (the work yields meanwhile).
    Sleep(Duration),
    /// Yield once to the scheduler.
    Yield,
    /// Busy-loop for this long without yielding, then mark `spin_done`.
    Spin(Duration),
    /// Block a thread of the runtime's blocking pool (the work's own thread,
    /// for blocking work) for this long (its natural length), or until the
    /// observer releases the work's probe, and await it; mark `block_started`
    /// and `block_done` from the blocking thread. The call is deaf to every
    /// stop signal. The release lets a case end a call it has seen outlive a
    /// stop without betting on how long the machine takes to look.
    Block(Duration),
    /// Spawn a detached child task (a thread, for blocking work) that owns a
    /// guard of the child probe and lives until that probe is released, or
    /// until the stop signal handed to it fires.
    SpawnChild,
    /// Panic.
    Panic,
}

/// A piece of work, as data.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// What the work does, in order.
    pub steps: Vec<Step>,
    /// What it returns when every step is done.
    pub output: u64,
    /// When told to stop, await a cleanup that takes this long, then mark
    /// `cleanup_done`. Only work that hears the stop can do this.
    pub cleanup: Option<Duration>,
    /// Whether the work listens for the stop signal its strategy offers.
    /// Work that does not is what `needs_cooperation` is about.
    pub cooperative: bool,
    /// Whether the work's owned state panics when dropped.
    pub panic_on_drop: bool,
}

impl Script {
    /// A cooperative script of these steps returning `output`.
    pub fn new(steps: impl Into<Vec<Step>>, output: u64) -> Script {
        Script {
            steps: steps.into(),
            output,
            cooperative: true,
            ..Script::default()
        }
    }

    /// The same script, with an async cleanup of `d` when told to stop.
    pub fn with_cleanup(mut self, d: Duration) -> Script {
        self.cleanup = Some(d);
        self
    }

    /// The same script, deaf to stop signals.
    pub fn uncooperative(mut self) -> Script {
        self.cooperative = false;
        self
    }

    /// The same script, with a `Drop` that panics.
    pub fn panicking_on_drop(mut self) -> Script {
        self.panic_on_drop = true;
        self
    }
}

/// A script bound to its probes, ready to hand to a strategy.
///
/// The guard is taken when the work is made, not when it first runs, so work
/// that is dropped before its first poll is still seen to be dropped.
#[derive(Debug)]
pub struct Work {
    /// What to do.
    pub script: Script,
    /// Observes the work.
    pub probe: Arc<Probe>,
    /// Observes the child that [`Step::SpawnChild`] spawns.
    pub child: Arc<Probe>,
    guard: WorkGuard,
}

impl Work {
    /// Binds `script` to `probe` (and `child` for a spawned child).
    pub fn new(script: Script, probe: &Arc<Probe>, child: &Arc<Probe>) -> Work {
        let guard = probe.guard();
        let guard = if script.panic_on_drop {
            guard.panicking()
        } else {
            guard
        };
        Work {
            script,
            probe: Arc::clone(probe),
            child: Arc::clone(child),
            guard,
        }
    }
}

/// Plays `work` without ever looking at a stop signal: the form drop-on-select
/// and forced stops take, where the work is stopped from outside.
///
/// # Cancel safety
///
/// Dropping the returned future is how those strategies stop the work: it
/// drops the work's guard (marking `dropped`) and nothing of it runs after.
pub async fn perform<H: RuntimeHandle>(rt: H, work: Work) -> u64 {
    let no_child = None::<fn() -> std::future::Pending<()>>;
    match play(rt, work, None::<std::future::Pending<()>>, no_child).await {
        Some(v) => v,
        // Without a stop signal `play` can only end by finishing its steps.
        None => unreachable!("work without a stop signal cannot be stopped from inside"),
    }
}

/// Plays `work`, selecting on `stop` at every step that waits when the script
/// is cooperative; on a stop it awaits its cleanup and returns `None`.
///
/// `child_stop` makes what the work hands to a child it spawns, if the
/// strategy can hand anything on (called only then): the child ends when it
/// completes.
///
/// # Cancel safety
///
/// Dropping the returned future drops the work where it stands, cleanup
/// unfinished, as with [`perform`].
pub async fn perform_until<H, S, K, C>(
    rt: H,
    work: Work,
    stop: S,
    child_stop: Option<K>,
) -> Option<u64>
where
    H: RuntimeHandle,
    S: Future<Output = ()>,
    K: FnOnce() -> C,
    C: Future<Output = ()> + Send + 'static,
{
    play(rt, work, Some(stop), child_stop).await
}

async fn play<H, S, K, C>(rt: H, work: Work, stop: Option<S>, child_stop: Option<K>) -> Option<u64>
where
    H: RuntimeHandle,
    S: Future<Output = ()>,
    K: FnOnce() -> C,
    C: Future<Output = ()> + Send + 'static,
{
    let Work {
        script,
        probe,
        child,
        guard,
    } = work;
    let polls = Arc::clone(&probe);
    count_polls(polls, async move {
        // The work owns the guard: it is dropped with the work, whichever way.
        let _guard = guard;
        probe.started.set();
        let mut stop = pin!(stop.filter(|_| script.cooperative));
        let mut child_stop = child_stop.filter(|_| script.cooperative);
        for step in &script.steps {
            let stopped = match *step {
                Step::Sleep(d) => or_stop(rt.sleep(d), stop.as_mut()).await.is_none(),
                Step::Yield => or_stop(rt.yield_now(), stop.as_mut()).await.is_none(),
                Step::Spin(d) => {
                    spin(d);
                    probe.spin_done.set();
                    false
                }
                Step::Block(d) => {
                    let p = Arc::clone(&probe);
                    let blocking = rt.spawn_blocking(move || block(d, &p));
                    or_stop(blocking, stop.as_mut()).await.is_none()
                }
                Step::SpawnChild => {
                    let stop = child_stop.take().map(|make| make());
                    rt.spawn_detached(linger(rt.clone(), Arc::clone(&child), stop));
                    false
                }
                Step::Panic => std::panic::panic_any(WORK_PANIC_MESSAGE),
            };
            if stopped {
                if let Some(d) = script.cleanup {
                    probe.cleanup_started.set();
                    rt.sleep(d).await;
                    probe.cleanup_done.set();
                }
                return None;
            }
        }
        probe.completed.set();
        Some(script.output)
    })
    .await
}

/// Runs `step`, or returns `None` as soon as `stop` completes first.
async fn or_stop<T, S>(step: impl Future<Output = T>, stop: Pin<&mut Option<S>>) -> Option<T>
where
    S: Future<Output = ()>,
{
    match stop.as_pin_mut() {
        None => Some(step.await),
        // `or` polls the step first: a step that is done wins over the stop.
        Some(stop) => {
            async { Some(step.await) }
                .or(async {
                    stop.await;
                    None
                })
                .await
        }
    }
}

/// Busy-waits without yielding: CPU-bound work as the scheduler sees it.
fn spin(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// How often lingering children look at their probe's `released` flag.
const LINGER_TICK: Duration = Duration::from_millis(5);

/// A child task that holds its probe's guard until the probe is released or
/// `stop` (what its parent handed on, if anything) completes.
async fn linger<H, C>(rt: H, child: Arc<Probe>, stop: Option<C>)
where
    H: RuntimeHandle,
    C: Future<Output = ()> + Send + 'static,
{
    let _guard = child.guard();
    child.started.set();
    let released = async {
        while !child.is_released() {
            rt.sleep(LINGER_TICK).await;
        }
    };
    match stop {
        None => released.await,
        Some(stop) => released.or(stop).await,
    }
}

/// Plays `work` as blocking code on the calling thread: the form a thread
/// with a stop flag takes. A cooperative script checks `is_stopped` between
/// steps and every `CHECK_EVERY` (100 µs) of a sleep; a `Block` step is one
/// uninterruptible `std::thread::sleep`. On a stop it runs its cleanup (a
/// blocking sleep) and returns `None`.
///
/// A child thread it starts gets a clone of `stop`.
pub fn perform_blocking<S: crate::play::Stop>(work: Work, stop: S) -> Option<u64> {
    let Work {
        script,
        probe,
        child,
        guard,
    } = work;
    // The work owns the guard: it is dropped when this function returns or unwinds.
    let _guard = guard;
    probe.started.set();
    let listening = script.cooperative;
    let stopped = || listening && stop.is_stopped();
    let mut child_stop = Some(stop.clone()).filter(|_| listening);
    for step in &script.steps {
        let interrupted = match *step {
            Step::Sleep(d) => sleep_unless(d, &stopped),
            Step::Yield => stopped(),
            Step::Spin(d) => {
                spin(d);
                probe.spin_done.set();
                false
            }
            Step::Block(d) => {
                block(d, &probe);
                stopped()
            }
            Step::SpawnChild => {
                let (child, stop) = (Arc::clone(&child), child_stop.take());
                std::thread::spawn(move || linger_blocking(child, stop));
                false
            }
            Step::Panic => std::panic::panic_any(WORK_PANIC_MESSAGE),
        };
        if interrupted {
            if let Some(d) = script.cleanup {
                probe.cleanup_started.set();
                std::thread::sleep(d);
                probe.cleanup_done.set();
            }
            return None;
        }
    }
    probe.completed.set();
    Some(script.output)
}

/// A blocking call: sleeps until `probe` is released or `d` has passed,
/// deaf to every stop signal, between `block_started` and `block_done`.
fn block(d: Duration, probe: &Probe) {
    probe.block_started.set();
    let start = Instant::now();
    while !probe.is_released() && start.elapsed() < d {
        std::thread::sleep(Duration::from_millis(1));
    }
    probe.block_done.set();
}

/// How often scripted blocking work looks at its flag while it sleeps: a
/// flag wakes nobody, so this bounds how late the work sees a stop.
const CHECK_EVERY: Duration = Duration::from_micros(100);

/// Sleeps `d` in slices of at most [`CHECK_EVERY`]; `true` if `stopped` said so first.
fn sleep_unless(d: Duration, stopped: &impl Fn() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if stopped() {
            return true;
        }
        let left = d.saturating_sub(start.elapsed());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(CHECK_EVERY));
    }
}

/// A child thread that holds its probe's guard until the probe is released or
/// `stop` says so.
fn linger_blocking<S: crate::play::Stop>(child: Arc<Probe>, stop: Option<S>) {
    let _guard = child.guard();
    child.started.set();
    while !child.is_released() && !stop.as_ref().is_some_and(S::is_stopped) {
        std::thread::sleep(Duration::from_millis(1));
    }
}
