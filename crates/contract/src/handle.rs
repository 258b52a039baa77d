//! The start → handle → cancel shape.

use std::future::Future;

use crate::{Cancellation, Error};

/// A handle to work started in the background.
///
/// Every strategy's handle implements this trait, so the conformance suite can
/// drive any of them; a user of one strategy crate can equally call the
/// inherent methods of its handle, which behave the same.
///
/// Dropping a handle never blocks. Whether it stops the work is the
/// strategy's `cancel_on_handle_drop` capability.
pub trait CancelHandle: Send {
    /// What the work produces.
    type Output: Send;

    /// Asks the work to stop without waiting for it. Harmless to call more
    /// than once, or after the work has finished (invariant I5).
    fn request_stop(&self);

    /// `true` once the work has ended: it produced its output, or it stopped.
    fn is_finished(&self) -> bool;

    /// Asks the work to stop and waits until it has stopped.
    ///
    /// Returns [`Cancellation::Finished`] with the output if the work had
    /// already produced it when the stop took effect (invariant I1), and
    /// [`Cancellation::Stopped`] otherwise. When this returns, the work will
    /// never be polled again and its `Drop` has run (invariant I4).
    ///
    /// # Cancel safety
    ///
    /// The stop is requested when this future is first polled. If the future
    /// is dropped before it completes, the stop stays requested but nobody
    /// waits for it to take effect.
    fn cancel(self) -> impl Future<Output = Result<Cancellation<Self::Output>, Error>> + Send;

    /// Waits until the work ends on its own (or because a stop was requested
    /// earlier), without asking it to stop.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, with the effect described above.
    fn join(self) -> impl Future<Output = Result<Cancellation<Self::Output>, Error>> + Send;
}

/// Implements [`CancelHandle`] for `Handle<T>` by calling its inherent
/// methods of the same names, so a strategy's handle offers them both as
/// plain methods and through the trait without writing them twice.
///
/// The handle must have inherent `request_stop(&self)`, `is_finished(&self)`
/// and `async` `join(self)` returning `Result<Cancellation<T>, Error>`, for
/// `T: Send + 'static`. With `cancel = stop_then_join`, the macro also writes
/// the inherent `cancel`, as `request_stop` followed by `join`, which is what
/// cancel is for most handles; without it, the handle writes its own.
#[macro_export]
macro_rules! delegate_cancel_handle {
    ($handle:ident, cancel = stop_then_join) => {
        impl<T: ::core::marker::Send + 'static> $handle<T> {
            /// Asks the work to stop and waits until it has stopped; returns
            /// its output instead if it had already finished.
            ///
            /// # Cancel safety
            ///
            /// The stop is requested before the first `.await`; dropping this
            /// future afterwards only stops waiting.
            pub async fn cancel(
                self,
            ) -> ::core::result::Result<$crate::Cancellation<T>, $crate::Error> {
                self.request_stop();
                self.join().await
            }
        }

        $crate::delegate_cancel_handle!($handle);
    };
    ($handle:ident) => {
        impl<T: ::core::marker::Send + 'static> $crate::CancelHandle for $handle<T> {
            type Output = T;

            fn request_stop(&self) {
                $handle::request_stop(self);
            }

            fn is_finished(&self) -> bool {
                $handle::is_finished(self)
            }

            fn cancel(
                self,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<$crate::Cancellation<T>, $crate::Error>,
            > + ::core::marker::Send {
                $handle::cancel(self)
            }

            fn join(
                self,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<$crate::Cancellation<T>, $crate::Error>,
            > + ::core::marker::Send {
                $handle::join(self)
            }
        }
    };
}
