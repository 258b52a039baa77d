//! What a strategy on a runtime declares it can do.

use std::fmt;

/// One declared answer to a capability question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cap {
    /// The strategy does this; the suite must observe it.
    Yes,
    /// The strategy does not do this; the suite must observe that too.
    No,
    /// The question has no meaning for this strategy on this runtime; the
    /// reason is reported instead of an observation.
    Unsupported(&'static str),
}

impl Cap {
    /// The declared answer as a boolean, `None` when unsupported.
    pub const fn as_bool(self) -> Option<bool> {
        match self {
            Cap::Yes => Some(true),
            Cap::No => Some(false),
            Cap::Unsupported(_) => None,
        }
    }

    /// `Yes` for `true`, `No` for `false`.
    pub const fn from_bool(b: bool) -> Cap {
        if b { Cap::Yes } else { Cap::No }
    }
}

/// The eight capability questions of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Does the work get to run a cleanup of its own after it is told to
    /// stop, finished before `cancel` returns? For async work that cleanup
    /// can `.await` (e.g. a flush); for blocking work on a thread it is
    /// blocking code on that thread.
    AsyncCleanup,
    /// Do tasks that the work spawned stop too?
    StopsChildren,
    /// Is work that never yields stopped at the deadline?
    StopsCpuBound,
    /// Does a blocking call the work is in (deaf to every signal) end before
    /// its natural end once the timeout has fired? Nothing in a strategy can
    /// make a call that looks at nothing end early, so `No` everywhere unless
    /// the call offers an interrupt.
    InterruptsBlocking,
    /// Once `run_with_timeout` has returned `TimedOut`, is a blocking call
    /// the work was in still running (in the background, on its blocking
    /// thread)? `No` means the strategy waited the call out before it
    /// returned, however long that took.
    LeavesBlockingRunning,
    /// Does dropping the handle stop the work (by asking it, or by forcing
    /// it, whichever the strategy does)?
    CancelOnHandleDrop,
    /// Must the work check a signal for the stop to happen?
    NeedsCooperation,
    /// When the work is forced to stop (dropped or aborted), does its `Drop` run?
    DropRunsOnForce,
}

impl Capability {
    /// Every capability, in the order reports list them.
    pub const ALL: [Capability; 8] = [
        Capability::AsyncCleanup,
        Capability::StopsChildren,
        Capability::StopsCpuBound,
        Capability::InterruptsBlocking,
        Capability::LeavesBlockingRunning,
        Capability::CancelOnHandleDrop,
        Capability::NeedsCooperation,
        Capability::DropRunsOnForce,
    ];

    /// The snake_case name used in reports (`"async_cleanup"`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Capability::AsyncCleanup => "async_cleanup",
            Capability::StopsChildren => "stops_children",
            Capability::StopsCpuBound => "stops_cpu_bound",
            Capability::InterruptsBlocking => "interrupts_blocking",
            Capability::LeavesBlockingRunning => "leaves_blocking_running",
            Capability::CancelOnHandleDrop => "cancel_on_handle_drop",
            Capability::NeedsCooperation => "needs_cooperation",
            Capability::DropRunsOnForce => "drop_runs_on_force",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The capabilities a strategy declares for one runtime, as a `const` value.
///
/// ```
/// use cancel_contract::{Cap, Capabilities, Capability};
///
/// const MINE: Capabilities = Capabilities {
///     async_cleanup: Cap::No,
///     stops_children: Cap::No,
///     stops_cpu_bound: Cap::No,
///     interrupts_blocking: Cap::No,
///     leaves_blocking_running: Cap::Yes,
///     cancel_on_handle_drop: Cap::Yes,
///     needs_cooperation: Cap::No,
///     drop_runs_on_force: Cap::Yes,
/// };
/// assert_eq!(MINE.get(Capability::DropRunsOnForce), Cap::Yes);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// See [`Capability::AsyncCleanup`].
    pub async_cleanup: Cap,
    /// See [`Capability::StopsChildren`].
    pub stops_children: Cap,
    /// See [`Capability::StopsCpuBound`].
    pub stops_cpu_bound: Cap,
    /// See [`Capability::InterruptsBlocking`].
    pub interrupts_blocking: Cap,
    /// See [`Capability::LeavesBlockingRunning`].
    pub leaves_blocking_running: Cap,
    /// See [`Capability::CancelOnHandleDrop`].
    pub cancel_on_handle_drop: Cap,
    /// See [`Capability::NeedsCooperation`].
    pub needs_cooperation: Cap,
    /// See [`Capability::DropRunsOnForce`].
    pub drop_runs_on_force: Cap,
}

impl Capabilities {
    /// The declared answer to one question.
    pub const fn get(&self, capability: Capability) -> Cap {
        match capability {
            Capability::AsyncCleanup => self.async_cleanup,
            Capability::StopsChildren => self.stops_children,
            Capability::StopsCpuBound => self.stops_cpu_bound,
            Capability::InterruptsBlocking => self.interrupts_blocking,
            Capability::LeavesBlockingRunning => self.leaves_blocking_running,
            Capability::CancelOnHandleDrop => self.cancel_on_handle_drop,
            Capability::NeedsCooperation => self.needs_cooperation,
            Capability::DropRunsOnForce => self.drop_runs_on_force,
        }
    }
}
