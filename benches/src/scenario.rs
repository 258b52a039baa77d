//! The measured operations, generic over a strategy and a runtime.

use std::hint::black_box;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cancel_conformance::Subject;
use cancel_contract::{CancelHandle, Cancellation, Error, Outcome};
use cancel_harness::probe::live_bytes;
use cancel_harness::runtime::{Runtime, RuntimeHandle};

use crate::work::{Marks, Parked, Ready, until_parked};
use crate::{CancelSample, FanoutTimes, OVERSHOOT_DEADLINE, Target, WRAP_DEADLINE, WrapTimes};

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

    /// `samples` runs of `run_with_timeout` around parked work with an
    /// [`OVERSHOOT_DEADLINE`]: how long after the deadline each returned.
    ///
    /// # Panics
    ///
    /// Panics if a run does not report `TimedOut`.
    fn timeout_overshoot(&mut self, samples: u64) -> Vec<Duration>;

    /// `iters` runs of `run_with_timeout` around a ready future, then `iters`
    /// awaits of the same future unwrapped.
    ///
    /// # Panics
    ///
    /// Panics if a run does not report the future's output.
    fn wrap_overhead(&mut self, iters: u64) -> WrapTimes;

    /// Starts `n` tasks in one group, waits until all are parked, then stops
    /// the group with its one signal (a parent token's `cancel`, one flag,
    /// one channel; `select` and `abort` have none and stop each handle) and
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
        let rt = self.rt.handle();
        let what = self.target().id();
        self.rt.block_on(async {
            let mut out = Vec::with_capacity(usize::try_from(samples).unwrap_or(0));
            for _ in 0..samples {
                let marks = Marks::new();
                let handle = S::start(&rt, Parked(Arc::clone(&marks)));
                until_parked(&rt, &marks, 1).await;
                let t0 = Instant::now();
                let result = handle.cancel().await;
                let confirmed = t0.elapsed();
                stopped(result, &what);
                out.push(CancelSample {
                    stopped: marks.dropped_since(t0),
                    confirmed,
                });
            }
            out
        })
    }

    fn timeout_overshoot(&mut self, samples: u64) -> Vec<Duration> {
        let rt = self.rt.handle();
        let what = self.target().id();
        self.rt.block_on(async {
            let mut out = Vec::with_capacity(usize::try_from(samples).unwrap_or(0));
            for _ in 0..samples {
                let marks = Marks::new();
                let deadline = Instant::now() + OVERSHOOT_DEADLINE;
                let outcome = S::run_with_timeout(&rt, OVERSHOOT_DEADLINE, Parked(marks)).await;
                let reported = Instant::now();
                assert_eq!(outcome, Ok(Outcome::TimedOut), "{what}");
                out.push(reported.saturating_duration_since(deadline));
            }
            out
        })
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
