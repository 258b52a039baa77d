//! The closed set of strategies and runtimes, in report order.
//!
//! [`strategies!`](crate::strategies) and [`runtimes!`](crate::runtimes) are
//! the two lists; everything else is made from them. [`StrategyKind`] is
//! generated from the first, and the suite turns both into exhaustive
//! `match`es (one adapter per strategy × runtime), one `#[test]` per
//! combination, and the lab's matrix. No code matches a strategy or runtime
//! by its name with a `_ =>` fallback: a member added to a list without its
//! adapter, or to an enum without its line here, does not compile.
//!
//! ```
//! use cancel_harness::{RuntimeKind, StrategyKind};
//!
//! assert_eq!(StrategyKind::ALL[0].name(), "select");
//! assert_eq!(StrategyKind::from_name("scope"), Some(StrategyKind::Scope));
//! assert_eq!(RuntimeKind::from_name("smol"), Some(RuntimeKind::Smol));
//! ```

use std::fmt;

/// Calls `$callback!` with every strategy, in report order, as
/// `Variant name "what it is"`, after any further arguments given and a `;`
/// (`strategies!(cb, x)` calls `cb! { x; Select select "…", … }`).
///
/// This is the one list of strategies. The variant names the adapter type
/// in `cancel_conformance::subjects` and the [`StrategyKind`] variant; the
/// name is the report name, the module name of its tests and the
/// `cancel-<name>` crate.
#[macro_export]
macro_rules! strategies {
    ($callback:ident $(, $($args:tt)+)?) => {
        $crate::strategies! { [$callback] $(, $($args)+)? }
    };
    // The callback as a path in brackets: `[$crate::inner]`, for macros that
    // call back into their own crate.
    ([$($callback:tt)+] $(, $($args:tt)+)?) => {
        $($callback)+! {
            $($($args)+ ;)?
            Select select "drop-on-select: the work is a future the timeout drops (`cancel-select`)",
            Channel channel "a stop message over a channel (`cancel-channel`)",
            Token token "tokio-util's `CancellationToken` (`cancel-token`)",
            Abort abort "a forced stop: the runtime's task abort (`cancel-abort`)",
            Abortable abortable "futures' `Abortable`, a runtime-agnostic abort of a future (`cancel-abortable`)",
            Thread thread "blocking work on a thread with a stop flag (`cancel-thread`)",
            Scope scope "cancel-lab's own token, `CancelScope` (`cancel-scope`)",
        }
    };
}

/// Calls `$callback!` with every runtime, in report order, as
/// `Variant module`, after any further arguments given and a `;`.
///
/// The variant names both the [`RuntimeKind`](crate::RuntimeKind) variant
/// and the adapter type in [`runtime`](crate::runtime); the module is the
/// name of its tests (`select::smol::…`).
#[macro_export]
macro_rules! runtimes {
    ($callback:ident $(, $($args:tt)+)?) => {
        $crate::runtimes! { [$callback] $(, $($args)+)? }
    };
    // The callback as a path in brackets, as for `strategies!`.
    ([$($callback:tt)+] $(, $($args:tt)+)?) => {
        $($callback)+! {
            $($($args)+ ;)?
            TokioCurrentThread tokio_current_thread,
            TokioMultiThread tokio_multi_thread,
            AsyncStd async_std,
            Smol smol,
        }
    };
}

macro_rules! strategy_kind {
    ($($variant:ident $name:ident $doc:literal),* $(,)?) => {
        /// One of the strategies, by its report name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum StrategyKind {
            $(
                #[doc = $doc]
                $variant,
            )*
        }

        impl StrategyKind {
            /// Every strategy, in the order reports list them.
            pub const ALL: &'static [StrategyKind] = &[$(StrategyKind::$variant),*];

            /// The name used in reports, test names and on the command line.
            pub const fn name(self) -> &'static str {
                match self {
                    $(StrategyKind::$variant => stringify!($name),)*
                }
            }
        }
    };
}

strategies!(strategy_kind);

impl StrategyKind {
    /// The strategy with this report name.
    pub fn from_name(name: &str) -> Option<StrategyKind> {
        StrategyKind::ALL.iter().copied().find(|k| k.name() == name)
    }
}

impl fmt::Display for StrategyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RuntimeKind;

    macro_rules! runtime_list {
        ($($variant:ident $module:ident),* $(,)?) => {
            [$(RuntimeKind::$variant),*]
        };
    }

    #[test]
    fn the_runtime_list_is_the_enum_in_the_same_order() {
        assert_eq!(runtimes!(runtime_list), RuntimeKind::ALL);
    }

    #[test]
    fn names_are_unique_and_round_trip() {
        for (i, s) in StrategyKind::ALL.iter().enumerate() {
            assert_eq!(StrategyKind::from_name(s.name()), Some(*s));
            assert!(StrategyKind::ALL[..i].iter().all(|t| t.name() != s.name()));
        }
    }
}
