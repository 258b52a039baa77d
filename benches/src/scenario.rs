//! The measured operations, generic over a strategy and a runtime.

use std::hint::black_box;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cancel_conformance::{Precise, Subject, TimerSource};
use cancel_contract::{CancelHandle, Cancellation, Error, Outcome};
use cancel_harness::probe::live_bytes;
use cancel_harness::runtime::{Runtime, RuntimeHandle};

use crate::floors::{self, Mechanism, ProbeSample};
use crate::work::{Marks, Parked, Ready, until_parked};
use crate::{CancelSample, FanoutTimes, Target, Timer, WRAP_DEADLINE, WrapTimes};

/// A strategy on a runtime that was built once, ready to be sampled.
///
/// Every method runs its samples inside one `block_on`; only the interval
/// each metric defines is timed, never the setup around it.
pub trait Measure {
    /// Which strategy on which runtime.
    fn target(&self) -> Target;

    /// `samples` cancels of one parked task each: `cancel_to_stopped` and
    /// `cancel_to_confirmed`, from the same stops.
    ///
    /// # Panics
    ///
    /// Panics if a cancel does not report `Stopped` or the work's `Drop` has
    /// not run when it returns: the figure would be meaningless.
    fn cancel(&mut self, samples: u64) -> Vec<CancelSample>;

    /// [`cancel`](Measure::cancel), with one sample of a bare mechanism
    /// (its floor, [`floors`](crate::floors)) beside each cancel, taken in
    /// the same `block_on` on the same runtime: the mechanisms of `beside`
    /// in turn, each sample before the cancel or after it on alternate
    /// turns, so a figure and its floors see the same threads in the same
    /// state. Returns the cancels and the floor samples, each with its
    /// mechanism.
    ///
    /// # Panics
    ///
    /// As [`cancel`](Measure::cancel), and if the runtime did not drop a
    /// floor's work before its await returned.
    fn cancel_beside(
        &mut self,
        samples: u64,
        beside: &[Mechanism],
    ) -> (Vec<CancelSample>, Vec<(Mechanism, ProbeSample)>);

    /// `samples` timeouts of parked work with `timer`: how long after the
    /// deadline each returned. The runtime's timer is the strategy's
    /// `run_with_timeout`; the precise one its `run_until` with
    /// `cancel_timer::tokio::sleep` as the deadline (the suite's
    /// [`Precise`](cancel_conformance::Precise) adapter), on the same
    /// runtime.
    ///
    /// # Panics
    ///
    /// Panics if a run does not report `TimedOut`.
    fn timeout_overshoot(&mut self, timer: Timer, samples: u64) -> Vec<Duration>;

    /// [`timeout_overshoot`](Measure::timeout_overshoot) with one sample of
    /// a bare timer of `beside` beside each, as in
    /// [`cancel_beside`](Measure::cancel_beside).
    ///
    /// # Panics
    ///
    /// As [`timeout_overshoot`](Measure::timeout_overshoot).
    fn timeout_overshoot_beside(
        &mut self,
        timer: Timer,
        samples: u64,
        beside: &[Mechanism],
    ) -> (Vec<Duration>, Vec<(Mechanism, ProbeSample)>);

    /// `iters` runs of `run_with_timeout` around a ready future, then `iters`
    /// awaits of the same future unwrapped.
    ///
    /// # Panics
    ///
    /// Panics if a run does not report the future's output.
    fn wrap_overhead(&mut self, iters: u64) -> WrapTimes;

    /// Starts `n` tasks in one group, waits until all are parked, then stops
    /// the group with its one signal (a parent token's `cancel`, one flag,
    /// one channel; `select`, `abort` and `abortable` have none and stop
    /// each handle) and
    /// joins all: the time from the stop to the last join.
    ///
    /// # Panics
    ///
    /// Panics if a join does not report `Stopped` or a task was not dropped.
    fn fanout(&mut self, n: usize) -> Duration;

    /// [`fanout`](Measure::fanout), with the time the stop call itself
    /// blocked its caller (a parent's `cancel()`, for the tokens) taken from
    /// the same run.
    ///
    /// # Panics
    ///
    /// As [`fanout`](Measure::fanout).
    fn fanout_times(&mut self, n: usize) -> FanoutTimes;

    /// Live heap bytes per task with `n` tasks started and parked (their
    /// handles held in a `Vec`), or `None` when
    /// [`CountingAlloc`](cancel_harness::probe::CountingAlloc) is not the
    /// global allocator.
    fn live_bytes_per_task(&mut self, n: usize) -> Option<f64>;
}

/// `S` on `R`.
pub(crate) struct On<S, R> {
    rt: R,
    strategy: PhantomData<fn() -> S>,
}

impl<S, R: Runtime> On<S, R> {
    pub(crate) fn build() -> On<S, R> {
        let rt = R::build(cancel_harness::runtime::Clock::Real)
            .unwrap_or_else(|e| panic!("cannot build {}: {e}", R::KIND));
        On {
            rt,
            strategy: PhantomData,
        }
    }
}

/// Which of `n` floor mechanisms goes beside the `i`-th sample: each in
/// turn, the turns shifted every `2 n` samples so that every mechanism is
/// taken before and after the figure's sample alike.
fn turn(i: u64, n: usize) -> usize {
    let n = u64::try_from(n.max(1)).unwrap_or(1);
    usize::try_from((i + i / (2 * n)) % n).unwrap_or(0)
}

/// `samples` figures from `one`, each with a sample of one of the `beside`
/// floors next to it (in turn), taken before the figure on even samples and
/// after it on odd ones, so neither side always goes first.
async fn interleaved<H, T, F, Fut>(
    rt: &H,
    samples: u64,
    beside: &[Mechanism],
    mut one: F,
) -> (Vec<T>, Vec<(Mechanism, ProbeSample)>)
where
    H: RuntimeHandle,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut out = Vec::with_capacity(usize::try_from(samples).unwrap_or(0));
    let mut floors = Vec::with_capacity(out.capacity());
    for i in 0..samples {
        let floor = beside.get(turn(i, beside.len())).copied();
        let first = i % 2 == 0;
        if let (Some(m), true) = (floor, first) {
            floors.push((m, floors::sample(rt, m).await));
        }
        out.push(one().await);
        if let (Some(m), false) = (floor, first) {
            floors.push((m, floors::sample(rt, m).await));
        }
    }
    (out, floors)
}

/// One cancel of one parked task: `cancel_to_stopped` and
/// `cancel_to_confirmed`, from the same stop.
async fn one_cancel<S: Subject<R>, R: Runtime>(rt: &R::Handle, what: &str) -> CancelSample {
    let marks = Marks::new();
    let handle = S::start(rt, Parked(Arc::clone(&marks)));
    until_parked(rt, &marks, 1).await;
    let t0 = Instant::now();
    let result = handle.cancel().await;
    let confirmed = t0.elapsed();
    stopped(result, what);
    CancelSample {
        stopped: marks.dropped_since(t0),
        confirmed,
    }
}

/// One timeout of parked work with `timer`: how long after the deadline it
/// returned.
async fn one_timeout<S: Subject<R>, R: Runtime>(
    rt: &R::Handle,
    timer: Timer,
    what: &str,
) -> Duration {
    let marks = Marks::new();
    let after = timer.deadline.duration();
    let deadline = Instant::now() + after;
    let outcome = match timer.source {
        TimerSource::Runtime => S::run_with_timeout(rt, after, Parked(marks)).await,
        TimerSource::Precise => {
            <Precise<S> as Subject<R>>::run_with_timeout(rt, after, Parked(marks)).await
        }
    };
    let reported = Instant::now();
    assert_eq!(outcome, Ok(Outcome::TimedOut), "{what}");
    reported.saturating_duration_since(deadline)
}

fn stopped(result: Result<Cancellation<()>, Error>, what: &str) {
    match result {
        Ok(Cancellation::Stopped) => {}
        other => panic!("{what}: expected Stopped, got {other:?}"),
    }
}

impl<S: Subject<R>, R: Runtime> Measure for On<S, R> {
    fn target(&self) -> Target {
        Target::new(S::KIND, R::KIND)
    }

    fn cancel(&mut self, samples: u64) -> Vec<CancelSample> {
        self.cancel_beside(samples, &[]).0
    }

    fn cancel_beside(
        &mut self,
        samples: u64,
        beside: &[Mechanism],
    ) -> (Vec<CancelSample>, Vec<(Mechanism, ProbeSample)>) {
        let rt = self.rt.handle();
        let what = self.target().id();
        self.rt.block_on(interleaved(&rt, samples, beside, || {
            one_cancel::<S, R>(&rt, &what)
        }))
    }

    fn timeout_overshoot(&mut self, timer: Timer, samples: u64) -> Vec<Duration> {
        self.timeout_overshoot_beside(timer, samples, &[]).0
    }

    fn timeout_overshoot_beside(
        &mut self,
        timer: Timer,
        samples: u64,
        beside: &[Mechanism],
    ) -> (Vec<Duration>, Vec<(Mechanism, ProbeSample)>) {
        let rt = self.rt.handle();
        let what = self.target().timer_id(timer);
        let beside = beside.to_vec();
        let sampling = async move {
            interleaved(&rt, samples, &beside, || {
                one_timeout::<S, R>(&rt, timer, &what)
            })
            .await
        };
        floors::where_timers_run(&self.rt, sampling)
    }

    fn wrap_overhead(&mut self, iters: u64) -> WrapTimes {
        let rt = self.rt.handle();
        let what = self.target().id();
        self.rt.block_on(async {
            let t0 = Instant::now();
            for _ in 0..iters {
                let outcome = black_box(S::run_with_timeout(&rt, WRAP_DEADLINE, Ready).await);
                assert_eq!(outcome, Ok(Outcome::Completed(7)), "{what}");
            }
            let wrapped = t0.elapsed();
            let t0 = Instant::now();
            for _ in 0..iters {
                let output = black_box(std::future::ready(black_box(7_u64)).await);
                assert_eq!(output, 7);
            }
            WrapTimes {
                wrapped,
                direct: t0.elapsed(),
            }
        })
    }

    fn fanout(&mut self, n: usize) -> Duration {
        self.fanout_times(n).all_stopped
    }

    fn fanout_times(&mut self, n: usize) -> FanoutTimes {
        let rt = self.rt.handle();
        let what = self.target().id();
        self.rt.block_on(async {
            let marks = Marks::new();
            let group = S::group();
            let handles: Vec<S::Handle<()>> = (0..n)
                .map(|_| S::start_in(&rt, &group, Parked(Arc::clone(&marks))))
                .collect();
            until_parked(&rt, &marks, n).await;
            let t0 = Instant::now();
            S::stop_group(&group, &handles);
            let stop_call = t0.elapsed();
            for handle in handles {
                stopped(handle.join().await, &what);
            }
            let all_stopped = t0.elapsed();
            assert_eq!(marks.dropped(), n, "{what}: every task was dropped");
            FanoutTimes {
                stop_call,
                all_stopped,
            }
        })
    }

    fn live_bytes_per_task(&mut self, n: usize) -> Option<f64> {
        let rt = self.rt.handle();
        let what = self.target().id();
        self.rt.block_on(async {
            let marks = Marks::new();
            // Let the runtime finish whatever it was doing before counting.
            rt.yield_now().await;
            let before = live_bytes()?;
            let handles: Vec<S::Handle<()>> = (0..n)
                .map(|_| S::start(&rt, Parked(Arc::clone(&marks))))
                .collect();
            until_parked(&rt, &marks, n).await;
            let after = live_bytes()?;
            for handle in &handles {
                handle.request_stop();
            }
            for handle in handles {
                stopped(handle.join().await, &what);
            }
            // Heap sizes are far below 2^52 bytes: the conversion is exact.
            let per_task = (after - before) as f64 / n.max(1) as f64;
            Some(per_task)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::turn;

    #[test]
    fn every_floor_mechanism_takes_its_turn_before_and_after_the_figure() {
        for n in 1..=3 {
            let mut seen = std::collections::HashSet::new();
            for i in 0..(4 * n as u64) {
                seen.insert((turn(i, n), i % 2 == 0));
            }
            assert_eq!(seen.len(), 2 * n, "n = {n}: {seen:?}");
        }
    }
}
