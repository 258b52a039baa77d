//! Why a scope was cancelled.

use std::error::Error;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Why a scope was cancelled: the error passed to
/// [`cancel_with`](crate::CancelScope::cancel_with), [`Cancelled`] for a plain
/// [`cancel`](crate::CancelScope::cancel), or [`DeadlineExceeded`] when a
/// deadline passed.
///
/// The first cause wins: later cancels of a cancelled scope change nothing.
/// A child cancelled with its parent carries the parent's cause. Cloning is
/// a reference-count increment.
///
/// ```
/// use cancel_scope::{CancelScope, DeadlineExceeded};
///
/// let scope = CancelScope::new();
/// let child = scope.child();
/// scope.cancel_with("shutting down");
/// scope.cancel_with("too late: the first cause wins");
/// let cause = child.cause().expect("cancelled with its parent");
/// assert_eq!(cause.to_string(), "shutting down");
/// assert!(!cause.is::<DeadlineExceeded>());
/// ```
#[derive(Clone)]
pub struct Cause(Arc<Box<dyn Error + Send + Sync + 'static>>);

impl Cause {
    /// A cause from any error, or from a message (`&str`, `String`).
    pub fn new(error: impl Into<Box<dyn Error + Send + Sync + 'static>>) -> Cause {
        // A thin `Arc` (of a `Box`) keeps a scope's cause slot one word wide.
        Cause(Arc::new(error.into()))
    }

    /// The cause of a plain cancel: one shared value, so a cancel does not
    /// allocate one.
    pub(crate) fn cancelled() -> Cause {
        static CANCELLED: OnceLock<Cause> = OnceLock::new();
        CANCELLED.get_or_init(|| Cause::new(Cancelled)).clone()
    }

    /// The cause of a deadline, shared likewise.
    pub(crate) fn deadline_exceeded() -> Cause {
        static DEADLINE: OnceLock<Cause> = OnceLock::new();
        DEADLINE
            .get_or_init(|| Cause::new(DeadlineExceeded))
            .clone()
    }

    /// `true` if the cause is an `E`.
    pub fn is<E: Error + 'static>(&self) -> bool {
        self.0.is::<E>()
    }

    /// The cause as an `E`, if it is one.
    pub fn downcast_ref<E: Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref::<E>()
    }

    /// `true` if a deadline cancelled the scope (the cause is [`DeadlineExceeded`]).
    pub fn is_deadline_exceeded(&self) -> bool {
        self.is::<DeadlineExceeded>()
    }

    /// The cause as an error.
    pub fn as_error(&self) -> &(dyn Error + Send + Sync + 'static) {
        &**self.0
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cause").field(&self.0).finish()
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Error for Cause {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

/// The cause of a plain [`cancel`](crate::CancelScope::cancel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cancelled")
    }
}

impl Error for Cancelled {}

/// The cause of a cancel by a deadline
/// ([`with_deadline`](crate::CancelScope::with_deadline),
/// [`cancel_after`](crate::CancelScope::cancel_after), …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeadlineExceeded;

impl fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline exceeded")
    }
}

impl Error for DeadlineExceeded {}
