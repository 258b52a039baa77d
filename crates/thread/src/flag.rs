//! The stop flag blocking work checks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A shared "please stop" flag: set once by whoever wants the work to stop,
/// read by the work whenever it can afford to look.
///
/// It is an `Arc<AtomicBool>`: cloning it is one reference-count increment,
/// and every clone sees the same flag, so the work can hand a clone to the
/// threads it starts and they stop with it. The flag never goes back to
/// unset.
///
/// # Memory ordering
///
/// [`stop`](StopFlag::stop) is a `Release` store and
/// [`is_stopped`](StopFlag::is_stopped) an `Acquire` load: once the work sees
/// `true`, it also sees everything the stopping thread wrote before calling
/// `stop` (a reason, a new deadline, …). On x86-64 an acquire load is an
/// ordinary load, so checking the flag in a hot loop costs about as much as
/// reading a `bool`.
///
/// ```
/// use cancel_thread::StopFlag;
///
/// let flag = StopFlag::new();
/// let seen_by_child = flag.clone();
/// assert!(!seen_by_child.is_stopped());
/// flag.stop();
/// assert!(seen_by_child.is_stopped());
/// ```
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A new flag, not set.
    pub fn new() -> StopFlag {
        StopFlag::default()
    }

    /// Asks the work to stop: sets the flag for every clone. Harmless to
    /// repeat, and harmless after the work has ended.
    pub fn stop(&self) {
        // Release: what the stopper wrote before this is visible to an
        // Acquire load that sees `true`.
        self.0.store(true, Ordering::Release);
    }

    /// `true` once [`stop`](StopFlag::stop) was called on this flag or any
    /// clone of it.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_flag_that_stays_set() {
        let flag = StopFlag::new();
        let clone = flag.clone();
        assert!(!flag.is_stopped());
        clone.stop();
        clone.stop();
        assert!(flag.is_stopped() && clone.is_stopped());
    }

    #[test]
    fn a_stop_is_seen_by_another_thread() {
        let flag = StopFlag::new();
        let seen = std::thread::spawn({
            let flag = flag.clone();
            move || {
                while !flag.is_stopped() {
                    std::thread::yield_now();
                }
            }
        });
        flag.stop();
        seen.join().unwrap();
    }
}
