//! How failures of the work come back to the caller.

use std::any::Any;

/// A failure of the work, reported by a strategy instead of a hang or a
/// process abort (invariant I7).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The work panicked while it was running.
    #[error("the work panicked: {0}")]
    WorkPanicked(String),
    /// The work's cleanup (its `Drop`, or its async cleanup) panicked while
    /// the work was being stopped.
    #[error("the work's cleanup panicked while it was being stopped: {0}")]
    CleanupPanicked(String),
    /// The work vanished without finishing or being stopped by us, for
    /// example because its runtime shut down first.
    #[error("the work was lost: {0}")]
    Lost(String),
}

/// The message of a panic payload: the `&str` or `String` given to `panic!`,
/// or a placeholder for any other payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_reads_str_and_string_payloads() {
        let p = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        assert_eq!(panic_message(&*p), "plain");
        let p = std::panic::catch_unwind(|| panic!("formatted {}", 7)).unwrap_err();
        assert_eq!(panic_message(&*p), "formatted 7");
        let p = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
        assert_eq!(panic_message(&*p), "a panic with a non-string payload");
    }
}
