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

/// The seven capability questions of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Can the work still `.await` (e.g. flush) after it is told to stop?
    AsyncCleanup,
    /// Do tasks that the work spawned stop too?
    StopsChildren,
    /// Is work that never yields stopped at the deadline?
    StopsCpuBound,
    /// Is blocking work (a `std::thread::sleep` on a blocking thread) stopped
    /// by the time the stop is confirmed?
    StopsBlocking,
    /// Does dropping the handle stop the work?
    CancelOnHandleDrop,
    /// Must the work check a signal for the stop to happen?
    NeedsCooperation,
    /// When the work is forced to stop (dropped or aborted), does its `Drop` run?
    DropRunsOnForce,
}

impl Capability {
    /// Every capability, in the order reports list them.
    pub const ALL: [Capability; 7] = [
        Capability::AsyncCleanup,
        Capability::StopsChildren,
        Capability::StopsCpuBound,
        Capability::StopsBlocking,
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
            Capability::StopsBlocking => "stops_blocking",
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
///     stops_blocking: Cap::No,
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
    /// See [`Capability::StopsBlocking`].
    pub stops_blocking: Cap,
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
            Capability::StopsBlocking => self.stops_blocking,
            Capability::CancelOnHandleDrop => self.cancel_on_handle_drop,
            Capability::NeedsCooperation => self.needs_cooperation,
            Capability::DropRunsOnForce => self.drop_runs_on_force,
        }
    }
}
