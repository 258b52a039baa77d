//! Blocking work on its own `std::thread`, no runtime: every function here
//! blocks the calling thread.
//!
//! `run_with_timeout` waits on a channel with `recv_timeout`; on timeout it
//! sets the flag and `join`s the thread, so it returns only once the work
//! has. `start` returns a [`ThreadHandle`] whose `cancel` does the same.
//!
//! ```
//! use std::time::Duration;
//! use cancel_thread::Outcome;
//! use cancel_thread::std_thread;
//!
//! let outcome = std_thread::run_with_timeout(Duration::from_millis(5), |flag| {
//!     while !flag.is_stopped() {
//!         std::thread::sleep(Duration::from_millis(1));
//!     }
//!     // Cleanup runs here, on the work's thread, before the timeout is reported.
//!     None::<u8>
//! });
//! assert_eq!(outcome, Ok(Outcome::TimedOut));
//! ```

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use cancel_contract::{Cancellation, Capabilities, Error, Outcome, panic_message};

use crate::StopFlag;

/// What a thread with a stop flag does (the same on every runtime).
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` on a new thread until it returns or `timeout` passes; on
/// timeout, sets its flag and waits until it has returned.
///
/// Returns [`Outcome::Completed`] when the work returned `Some(v)`, even after
/// the deadline (its output exists, so it wins), and [`Outcome::TimedOut`]
/// when it returned `None` after the flag was set. `Duration::ZERO` sets the
/// flag at once unless the work has already returned; `Duration::MAX` never
/// times out (`recv_timeout` waits without a deadline when `now + timeout`
/// would overflow). Neither panics.
///
/// A panic in the work, or in its `Drop`, comes back as
/// [`Error::WorkPanicked`]; `None` returned before the deadline, when nobody
/// asked for a stop, as [`Error::Lost`].
///
/// # Panics
///
/// Panics if the operating system cannot start a thread, as
/// [`std::thread::spawn`] does.
pub fn run_with_timeout<W, T>(timeout: Duration, work: W) -> Result<Outcome<T>, Error>
where
    W: FnOnce(&StopFlag) -> Option<T> + Send + 'static,
    T: Send + 'static,
{
    let flag = StopFlag::new();
    // The thread never sends: its sender is dropped when the work has returned
    // or unwound, and that disconnect is the "it ended" signal either way.
    let (ended_tx, ended_rx) = mpsc::channel::<()>();
    let thread = std::thread::spawn({
        let flag = flag.clone();
        move || {
            let _ended = ended_tx;
            work(&flag)
        }
    });
    if let Err(RecvTimeoutError::Timeout) = ended_rx.recv_timeout(timeout) {
        flag.stop();
    }
    // Join either way: the work has not *stopped* until its thread returned.
    joined(thread.join(), &flag).map(Outcome::from)
}

/// Starts `work` on a new thread and returns a handle whose `cancel` sets
/// its flag and waits until it has returned.
///
/// # Panics
///
/// Panics if the operating system cannot start a thread, as
/// [`std::thread::spawn`] does.
pub fn start<W, T>(work: W) -> ThreadHandle<T>
where
    W: FnOnce(&StopFlag) -> Option<T> + Send + 'static,
    T: Send + 'static,
{
    start_with(StopFlag::new(), work)
}

/// Like [`start`], but with the flag you give: tasks started with clones
/// of one flag all stop when it is set once. The handle's `request_stop`
/// and `Drop` set this flag, so they stop every task that shares it.
pub fn start_with<W, T>(flag: StopFlag, work: W) -> ThreadHandle<T>
where
    W: FnOnce(&StopFlag) -> Option<T> + Send + 'static,
    T: Send + 'static,
{
    let thread = std::thread::spawn({
        let flag = flag.clone();
        move || work(&flag)
    });
    ThreadHandle {
        flag,
        thread: Some(thread),
    }
}

/// A handle to work started with [`start`].
///
/// Dropping it sets the flag and lets the thread go without waiting for it;
/// [`detach`](ThreadHandle::detach) lets the work run on instead.
#[derive(Debug)]
pub struct ThreadHandle<T> {
    flag: StopFlag,
    // `Some` until joined or detached.
    thread: Option<JoinHandle<Option<T>>>,
}

impl<T> ThreadHandle<T> {
    /// The work's flag, to stop it from elsewhere or to hand to other work.
    pub fn signal(&self) -> &StopFlag {
        &self.flag
    }

    /// Asks the work to stop without waiting: sets its flag. Harmless to
    /// repeat, and after the work has ended.
    pub fn request_stop(&self) {
        self.flag.stop();
    }

    /// `true` once the work's thread has returned, finished or stopped.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Sets the flag and blocks until the work has returned.
    ///
    /// Returns [`Cancellation::Finished`] if the work returned `Some(v)` (it
    /// had its output before it saw the flag, or never looked), and
    /// [`Cancellation::Stopped`] if it returned `None`.
    pub fn cancel(self) -> Result<Cancellation<T>, Error> {
        self.request_stop();
        self.join()
    }

    /// Blocks until the work returns on its own, or because a stop was
    /// requested earlier, without asking it to stop.
    pub fn join(mut self) -> Result<Cancellation<T>, Error> {
        let Some(thread) = self.thread.take() else {
            return Err(Error::Lost("the thread was already joined".into()));
        };
        joined(thread.join(), &self.flag)
    }

    /// Lets the work run on without a handle: unlike dropping the handle,
    /// this does not set the flag. Keep a clone of [`signal`](ThreadHandle::signal)
    /// to stop it later.
    pub fn detach(mut self) {
        // Dropping a std JoinHandle detaches the thread.
        drop(self.thread.take());
    }
}

impl<T> Drop for ThreadHandle<T> {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            // Ask the work to stop, then let the thread finish on its own.
            self.flag.stop();
            drop(thread);
        }
    }
}

/// What `JoinHandle::join` returned, in the contract's terms.
fn joined<T>(
    join: std::thread::Result<Option<T>>,
    flag: &StopFlag,
) -> Result<Cancellation<T>, Error> {
    match join {
        Ok(returned) => crate::ended(returned, flag),
        Err(payload) => Err(Error::WorkPanicked(panic_message(&*payload))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cancel_harness::probe::Probe;

    /// Work that sleeps in 1 ms slices until its flag is set, owning `guard`.
    fn until_stopped<G: Send + 'static>(guard: G) -> impl FnOnce(&StopFlag) -> Option<u64> + Send {
        move |flag| {
            let _guard = guard;
            while !flag.is_stopped() {
                std::thread::sleep(Duration::from_millis(1));
            }
            None
        }
    }

    #[test]
    fn work_that_returns_in_time_completes() {
        let outcome = run_with_timeout(Duration::from_secs(60), |_| Some(3));
        assert_eq!(outcome, Ok(Outcome::Completed(3)));
    }

    #[test]
    fn a_timeout_returns_only_after_the_work_has_returned() {
        let probe = Probe::new();
        let outcome = run_with_timeout(Duration::from_millis(5), until_stopped(probe.guard()));
        assert_eq!(outcome, Ok(Outcome::TimedOut));
        assert!(probe.dropped.is_set());
        assert_eq!(probe.alive(), 0);
    }

    #[test]
    fn output_returned_after_the_stop_still_wins() {
        // The work waits until it *is* stopped, then returns its output anyway.
        let outcome = run_with_timeout(Duration::ZERO, |flag| {
            while !flag.is_stopped() {
                std::thread::yield_now();
            }
            Some(5)
        });
        assert_eq!(outcome, Ok(Outcome::Completed(5)));
    }

    #[test]
    fn edge_durations_do_not_panic() {
        let probe = Probe::new();
        let outcome = run_with_timeout(Duration::ZERO, until_stopped(probe.guard()));
        assert_eq!(outcome, Ok(Outcome::TimedOut));
        let outcome = run_with_timeout(Duration::MAX, |_| {
            std::thread::sleep(Duration::from_millis(2));
            Some(4)
        });
        assert_eq!(outcome, Ok(Outcome::Completed(4)));
    }

    #[test]
    fn a_panic_in_the_work_is_an_error() {
        let outcome = run_with_timeout(Duration::MAX, |_| -> Option<u8> { panic!("boom") });
        assert_eq!(outcome, Err(Error::WorkPanicked("boom".into())));
        let handle = start(|_| -> Option<u8> { panic!("bang") });
        assert_eq!(handle.join(), Err(Error::WorkPanicked("bang".into())));
    }

    #[test]
    fn none_without_a_stop_is_lost_work() {
        let outcome = run_with_timeout(Duration::MAX, |_| None::<u8>);
        assert!(matches!(outcome, Err(Error::Lost(_))), "{outcome:?}");
    }

    #[test]
    fn cancel_stops_the_work_and_waits_for_it() {
        let probe = Probe::new();
        let handle = start(until_stopped(probe.guard()));
        handle.request_stop();
        assert_eq!(handle.cancel(), Ok(Cancellation::Stopped));
        assert!(probe.dropped.is_set());
    }

    #[test]
    fn cancel_after_the_work_finished_returns_its_output() {
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let handle = start(move |_| {
            let _done = done_tx;
            Some(12)
        });
        // Disconnected once the work has returned.
        assert!(done_rx.recv().is_err());
        assert_eq!(handle.cancel(), Ok(Cancellation::Finished(12)));
    }

    #[test]
    fn dropping_the_handle_sets_the_flag() {
        let (ended_tx, ended_rx) = mpsc::channel::<()>();
        let handle = start(until_stopped(ended_tx));
        let flag = handle.signal().clone();
        drop(handle);
        assert!(flag.is_stopped());
        // The work sees the flag and returns: its sender is dropped.
        assert!(ended_rx.recv().is_err());
    }

    #[test]
    fn a_detached_thread_runs_on_until_its_flag_is_set() {
        let (ended_tx, ended_rx) = mpsc::channel::<()>();
        let handle = start(until_stopped(ended_tx));
        let flag = handle.signal().clone();
        handle.detach();
        assert!(!flag.is_stopped());
        assert_eq!(
            ended_rx.recv_timeout(Duration::from_millis(20)),
            Err(RecvTimeoutError::Timeout)
        );
        flag.stop();
        assert_eq!(ended_rx.recv(), Err(mpsc::RecvError));
    }
}
