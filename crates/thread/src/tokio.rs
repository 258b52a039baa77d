//! Blocking work on tokio's blocking pool: `tokio::task::spawn_blocking`,
//! raced with `tokio::time::timeout`.
//!
//! Must be used from inside a tokio runtime with its time driver enabled.
//!
//! # `abort` cannot stop it
//!
//! `JoinHandle::abort` only stops a `spawn_blocking` closure that has not
//! started yet. Once it runs, `abort` returns at once and the closure runs on
//! to its end, its output still delivered to the `JoinHandle` (the unit
//! test `abort_cannot_stop_a_started_spawn_blocking_closure` shows it). That
//! is why the work here gets a flag: setting it is the only stop there is.
//!
//! # Paused time
//!
//! With tokio's paused test clock (`start_paused`, `tokio::time::pause`) on
//! the current-thread scheduler, time does not advance at all while a
//! `spawn_blocking` closure is alive: tokio inhibits auto-advance so that
//! blocking work is not overtaken by virtual time, and the paused clock only
//! ever moves by auto-advance or `tokio::time::advance`. A timeout on blocking
//! work that ends only when its flag is set therefore never fires: the timer
//! waits for the work, the work waits for the flag. Test blocking work in real
//! time, or advance the clock by hand. (The unit test
//! `paused_time_stands_still_while_a_blocking_closure_runs` shows it.)
//!
//! ```
//! use std::time::Duration;
//! use cancel_thread::Cancellation;
//!
//! #[tokio::main]
//! async fn main() {
//!     let handle = cancel_thread::tokio::start(|flag| {
//!         while !flag.is_stopped() {
//!             std::thread::sleep(Duration::from_millis(1));
//!         }
//!         None::<u64>
//!     });
//!     assert_eq!(handle.cancel().await, Ok(Cancellation::Stopped));
//! }
//! ```

use std::time::Duration;

use cancel_contract::{Cancellation, Capabilities, Error, Outcome, panic_message};
use tokio::task::{JoinError, JoinHandle};

use crate::{StopFlag, StopOnDrop};

/// What a thread with a stop flag does on tokio.
pub const CAPABILITIES: Capabilities = crate::CAPABILITIES;

/// Runs `work` on tokio's blocking pool until it returns or `timeout`
/// passes; on timeout, sets its flag and waits until it has returned.
///
/// Returns [`Outcome::Completed`] when the work returned `Some(v)`, even after
/// the deadline, and [`Outcome::TimedOut`] when it returned `None` after the
/// flag was set. `Duration::ZERO` sets the flag at the next timer tick unless
/// the work has already returned; `Duration::MAX` never times out (tokio
/// clamps the deadline instead of overflowing).
///
/// A panic in the work, or in its `Drop`, comes back as
/// [`Error::WorkPanicked`].
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as `spawn_blocking` does.
///
/// # Cancel safety
///
/// Dropping the returned future sets the flag but cannot wait: the work may
/// still be running until it next looks at its flag.
pub async fn run_with_timeout<W, T>(timeout: Duration, work: W) -> Result<Outcome<T>, Error>
where
    W: FnOnce(&StopFlag) -> Option<T> + Send + 'static,
    T: Send + 'static,
{
    run_until(tokio::time::sleep(timeout), work).await
}

/// Runs `work` on tokio's blocking pool until it returns or `until` completes; then sets
/// its flag and waits until it has returned. [`run_with_timeout`] is this
/// with `tokio::time::sleep(timeout)` as `until`; a precise deadline is `cancel_timer::tokio::sleep(d)`.
///
/// # Cancel safety
///
/// As [`run_with_timeout`].
pub async fn run_until<U, W, T>(until: U, work: W) -> Result<Outcome<T>, Error>
where
    U: Future,
    W: FnOnce(&StopFlag) -> Option<T> + Send + 'static,
    T: Send + 'static,
{
    let flag = StopFlag::new();
    let stop_if_dropped = StopOnDrop::new(&flag);
    let mut task = tokio::task::spawn_blocking({
        let flag = flag.clone();
        move || work(&flag)
    });
    // The JoinHandle is polled before `until`: a result already there wins.
    let joined = match crate::before(&mut task, until).await {
        Some(joined) => joined,
        None => {
            flag.stop();
            // `abort` would do nothing to a running closure: wait for it to see the flag.
            task.await
        }
    };
    // The work has returned: nothing is left to stop.
    stop_if_dropped.defuse();
    ended(joined, &flag).map(Outcome::from)
}

/// Starts `work` on tokio's blocking pool and returns a handle whose `cancel`
/// sets its flag and waits until it has returned.
///
/// # Panics
///
/// Panics if called outside a tokio runtime, as `spawn_blocking` does.
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
    let task = tokio::task::spawn_blocking({
        let flag = flag.clone();
        move || work(&flag)
    });
    ThreadHandle {
        flag,
        task: Some(task),
    }
}

/// A handle to work started with [`start`].
///
/// Dropping it sets the flag and detaches the blocking task without waiting;
/// [`detach`](ThreadHandle::detach) lets the work run on instead.
#[derive(Debug)]
pub struct ThreadHandle<T> {
    flag: StopFlag,
    // `Some` until joined or detached.
    task: Option<JoinHandle<Option<T>>>,
}

impl<T: Send + 'static> ThreadHandle<T> {
    /// The work's flag, to stop it from elsewhere or to hand to other work.
    pub fn signal(&self) -> &StopFlag {
        &self.flag
    }

    /// Asks the work to stop without waiting: sets its flag. Harmless to
    /// repeat, and after the work has ended.
    pub fn request_stop(&self) {
        self.flag.stop();
    }

    /// `true` once the work has returned, finished or stopped.
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits until the work returns on its own, or because a stop was
    /// requested earlier, without asking it to stop.
    ///
    /// # Cancel safety
    ///
    /// Dropping this future drops the handle, which sets the flag.
    pub async fn join(mut self) -> Result<Cancellation<T>, Error> {
        // Await in place: if this future is dropped, `Drop` still sets the flag.
        let Some(task) = self.task.as_mut() else {
            return Err(Error::Lost("the task was already joined".into()));
        };
        let joined = task.await;
        self.task = None;
        ended(joined, &self.flag)
    }

    /// Lets the work run on without a handle: unlike dropping the handle,
    /// this does not set the flag. Keep a clone of [`signal`](ThreadHandle::signal)
    /// to stop it later.
    pub fn detach(mut self) {
        // Dropping a tokio JoinHandle detaches the task.
        drop(self.task.take());
    }
}

impl<T> Drop for ThreadHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Ask the work to stop, then let the task finish on its own.
            self.flag.stop();
            drop(task);
        }
    }
}

cancel_contract::delegate_cancel_handle!(ThreadHandle, cancel = stop_then_join);

/// What the blocking task's `JoinHandle` gave, in the contract's terms.
fn ended<T>(
    joined: Result<Option<T>, JoinError>,
    flag: &StopFlag,
) -> Result<Cancellation<T>, Error> {
    match joined {
        Ok(returned) => crate::ended(returned, flag),
        Err(e) if e.is_panic() => Err(Error::WorkPanicked(panic_message(&*e.into_panic()))),
        // We never abort; only a runtime shutting down cancels a blocking task.
        Err(_) => Err(Error::Lost(
            "the tokio runtime shut down before the blocking work ran".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, mpsc};

    use cancel_harness::probe::Probe;
    use tokio::sync::oneshot;

    #[tokio::test]
    async fn abort_cannot_stop_a_started_spawn_blocking_closure() {
        let probe = Probe::new();
        let guard = probe.guard();
        let (started_tx, started_rx) = oneshot::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let p = Arc::clone(&probe);
        let task = tokio::task::spawn_blocking(move || {
            let _guard = guard;
            started_tx.send(()).unwrap();
            // Blocks until the test lets it go; nothing else can interrupt it.
            release_rx.recv().unwrap();
            p.completed.set();
            7
        });
        started_rx.await.unwrap();

        task.abort();
        // `abort` has returned, and the closure is still running: it has not
        // completed, its state is alive, the task is not finished.
        assert!(!task.is_finished());
        assert!(!probe.completed.is_set());
        assert_eq!(probe.alive(), 1);

        release_tx.send(()).unwrap();
        // It runs to its end, and the abort did not even cost its output.
        assert_eq!(task.await.unwrap(), 7);
        assert!(probe.completed.is_set());
        assert_eq!(probe.alive(), 0);
    }

    #[tokio::test]
    async fn the_flag_stops_what_abort_cannot() {
        let probe = Probe::new();
        let guard = probe.guard();
        let outcome = run_with_timeout(Duration::from_millis(5), move |flag| {
            let _guard = guard;
            while !flag.is_stopped() {
                std::thread::sleep(Duration::from_millis(1));
            }
            None::<u8>
        })
        .await;
        assert_eq!(outcome, Ok(Outcome::TimedOut));
        assert_eq!(probe.alive(), 0);
    }

    #[tokio::test]
    async fn output_returned_after_the_stop_still_wins() {
        let outcome = run_with_timeout(Duration::ZERO, |flag| {
            while !flag.is_stopped() {
                std::thread::yield_now();
            }
            Some(5)
        })
        .await;
        assert_eq!(outcome, Ok(Outcome::Completed(5)));
        let outcome = run_with_timeout(Duration::MAX, |_| Some(6)).await;
        assert_eq!(outcome, Ok(Outcome::Completed(6)));
    }

    #[tokio::test]
    async fn panics_and_handle_drops() {
        let handle = start(|_| -> Option<u8> { panic!("boom") });
        assert_eq!(handle.join().await, Err(Error::WorkPanicked("boom".into())));

        let (ended_tx, ended_rx) = oneshot::channel::<()>();
        let handle = start(move |flag| {
            let _ended = ended_tx;
            while !flag.is_stopped() {
                std::thread::sleep(Duration::from_millis(1));
            }
            None::<u8>
        });
        drop(handle);
        // The work saw the flag and returned: its sender is gone.
        assert!(ended_rx.await.is_err());
    }

    #[test]
    fn paused_time_stands_still_while_a_blocking_closure_runs() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            let (release_tx, release_rx) = mpsc::channel::<()>();
            let blocking = tokio::task::spawn_blocking(move || release_rx.recv().unwrap());
            let start = tokio::time::Instant::now();
            let timer = tokio::spawn(tokio::time::sleep(Duration::from_millis(1)));

            // Give the runtime real time to park while the closure runs: a
            // helper thread wakes us 20 ms later.
            let (woke_tx, woke_rx) = oneshot::channel();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                woke_tx.send(()).unwrap();
            });
            woke_rx.await.unwrap();
            // 20 ms of real time, and the paused clock has not moved at all:
            // a 1 ms timer has not fired.
            assert_eq!(tokio::time::Instant::now(), start);
            assert!(!timer.is_finished());

            // Once the blocking closure has returned, the clock moves again.
            release_tx.send(()).unwrap();
            blocking.await.unwrap();
            timer.await.unwrap();
            assert!(tokio::time::Instant::now() > start);
        });
    }
}
