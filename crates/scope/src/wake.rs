//! Waking the waiters a cancel took, outside every lock.

use std::task::Waker;

/// Wakes every waker of one cancel.
pub(crate) fn wake_all(wakers: Vec<Waker>) {
    for waker in wakers {
        waker.wake();
    }
}
