//! The cases: one plain function each, generic over any subject and runtime.
//!
//! Each builds its own runtime, drives the subject with scripted work, and
//! returns an [`Observation`]: `observed` is the answer to the case's
//! question (for invariants: "does it hold?"), `detail` is what was seen.

/// Builds the runtime a case asks for, for subject `S` (see [`build`]), or
/// returns the failed observation from the case.
macro_rules! runtime {
    ($clock:expr) => {
        match super::build::<S, R>($clock) {
            Ok(rt) => rt,
            Err(failed) => return failed,
        }
    };
}

mod capabilities;
mod invariants;

pub(crate) use capabilities::capability_fn;
pub(crate) use invariants::never_early;
pub(crate) use invariants::{
    bounded_lateness, completed_wins, edge_durations, idempotent, no_leaks, panics_surface,
    stopped_before_return,
};

use std::sync::Arc;
use std::time::Duration;

use cancel_harness::probe::Probe;
use cancel_harness::runtime::{Clock, Runtime};

use crate::Subject;
use crate::script::{Script, Work};

/// `n` milliseconds.
pub(crate) const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Long enough to outlive any case: work that sleeps this long is only ever
/// stopped, never finished.
pub(crate) const LONG: Duration = Duration::from_secs(3600);

/// How long a case waits for something that should happen promptly (a
/// detached child to stop, a dropped handle to take effect). Virtual time
/// makes this free on tokio current-thread.
pub(crate) const GRACE: Duration = Duration::from_millis(500);

/// How long a case waits for something that must happen (work to start, a
/// lingering blocking call to end) before reporting that it did not.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

/// What a case saw.
#[derive(Debug)]
pub(crate) struct Observation {
    pub(crate) observed: Option<bool>,
    pub(crate) detail: String,
    /// See [`Verdict::lateness`](crate::Verdict::lateness).
    pub(crate) lateness: Option<crate::Lateness>,
}

impl Observation {
    pub(crate) fn new(observed: bool, detail: impl Into<String>) -> Observation {
        Observation {
            observed: Some(observed),
            detail: detail.into(),
            lateness: None,
        }
    }

    pub(crate) fn failed(detail: impl Into<String>) -> Observation {
        Observation {
            observed: None,
            detail: detail.into(),
            lateness: None,
        }
    }
}

/// A fresh runtime with the clock a case asks for, or real time if the
/// subject cannot run on a virtual clock (see [`Subject::VIRTUAL_TIME`]).
pub(crate) fn build<S: Subject<R>, R: Runtime>(clock: Clock) -> Result<R, Observation> {
    let clock = if S::VIRTUAL_TIME { clock } else { Clock::Real };
    R::build(clock).map_err(|e| Observation::failed(format!("could not build the runtime: {e}")))
}

/// Fresh probes for the work and for a child it may spawn.
pub(crate) fn probes() -> (Arc<Probe>, Arc<Probe>) {
    (Probe::new(), Probe::new())
}

/// `script` bound to the given probes.
pub(crate) fn work(script: Script, probe: &Arc<Probe>, child: &Arc<Probe>) -> Work {
    Work::new(script, probe, child)
}

/// A list of named checks, each passing or not, folded into one observation.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    parts: Vec<(bool, String)>,
}

impl Checks {
    pub(crate) fn add(&mut self, ok: bool, what: impl Into<String>) {
        self.parts.push((ok, what.into()));
    }

    pub(crate) fn all_hold(self) -> Observation {
        let ok = self.parts.iter().all(|(ok, _)| *ok);
        let detail = self
            .parts
            .into_iter()
            .map(|(ok, what)| format!("{}{what}", if ok { "" } else { "FAILED: " }))
            .collect::<Vec<_>>()
            .join("; ");
        Observation::new(ok, detail)
    }
}

/// See [`crate::set_leak_cycles`].
pub(crate) fn set_leak_cycles(cycles: usize) {
    invariants::LEAK_CYCLES_NOW.store(cycles.max(1), std::sync::atomic::Ordering::Relaxed);
}
