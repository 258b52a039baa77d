//! The one timer thread of the process and the deadlines it holds.
//!
//! Deadlines live in a `BTreeMap` keyed by (deadline, sequence number), each
//! with the waker to wake; the first key is the earliest deadline. A future
//! removes its own entry when it is dropped or completes, so nothing outlives
//! the future that armed it. The thread wakes at the earliest deadline, takes
//! every entry that is due out of the map and wakes them with no lock held.
//!
//! How the thread waits is what makes the timer precise (the crate docs and
//! `ARCHITECTURE.md` give the measurements):
//!
//! - **Linux and Android: a `timerfd`**, read by the thread and armed by
//!   whoever inserts a new earliest deadline. A timerfd's expiry is a
//!   high-resolution timer with no slack, so the thread runs within
//!   microseconds of the deadline, where a sleep or a condition variable
//!   ends up to the thread's timer slack (50 µs by default) late.
//! - **Elsewhere, or where a timerfd cannot be made: a condition variable**
//!   waited on with a timeout, its thread's timer slack set to 1 ns on Linux.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::Waker;
use std::time::{Duration, Instant};

/// One armed deadline: when, and a number that orders equal deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    at: Instant,
    seq: u64,
}

impl Key {
    /// The deadline.
    pub(crate) fn at(self) -> Instant {
        self.at
    }
}

struct Driver {
    timers: Timers,
    wait: Wait,
}

/// Armed deadlines, each with the waker to wake, earliest first: the thread's
/// and each runtime reactor's (`crate::reactor`).
pub(crate) struct Timers {
    state: Mutex<State>,
}

struct State {
    entries: BTreeMap<Key, Waker>,
    seq: u64,
    /// No entry may be inserted: whoever fires these is gone.
    closed: bool,
}

impl Timers {
    pub(crate) const fn new() -> Timers {
        Timers {
            state: Mutex::new(State {
                entries: BTreeMap::new(),
                seq: 0,
                closed: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics under this lock but a failed allocation; carry on.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms a deadline that wakes `waker` at `at` or later; `arm(at)` runs,
    /// under the lock, when `at` is the new earliest. `None` once closed.
    pub(crate) fn insert(
        &self,
        at: Instant,
        waker: &Waker,
        arm: impl FnOnce(Instant),
    ) -> Option<Key> {
        let mut state = self.lock();
        if state.closed {
            return None;
        }
        state.seq += 1;
        let key = Key { at, seq: state.seq };
        let earliest = state
            .entries
            .first_key_value()
            .is_none_or(|(k, _)| key < *k);
        state.entries.insert(key, waker.clone());
        // Only a new earliest deadline changes when the timer must wake;
        // arming under the lock keeps arming in the map's order.
        if earliest {
            arm(at);
        }
        Some(key)
    }

    /// Replaces the waker of `key`; `false` if the entry is gone (it fired,
    /// or the timers closed).
    pub(crate) fn update(&self, key: Key, waker: &Waker) -> bool {
        let mut state = self.lock();
        match state.entries.get_mut(&key) {
            Some(old) => {
                if !old.will_wake(waker) {
                    old.clone_from(waker);
                }
                true
            }
            None => false,
        }
    }

    /// Removes `key`'s entry, if it is still there. Whoever waits is not
    /// woken: if it was armed for this deadline it wakes once for nothing.
    pub(crate) fn remove(&self, key: Key) {
        let waker = self.lock().entries.remove(&key);
        // Dropped outside the lock: a waker's drop may run arbitrary code.
        drop(waker);
    }

    /// How many deadlines are armed.
    pub(crate) fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Takes every due entry out (calling `rearm` with the next deadline,
    /// under the lock) and wakes them outside it.
    pub(crate) fn fire(&self, rearm: impl FnOnce(Instant)) {
        let mut due = Vec::new();
        {
            let mut state = self.lock();
            let now = Instant::now();
            while let Some(entry) = state.entries.first_entry() {
                if entry.key().at > now {
                    break;
                }
                due.push(entry.remove());
            }
            if let Some((next, _)) = state.entries.first_key_value() {
                rearm(next.at);
            }
        }
        // Wakers run arbitrary code (a task may drop another deadline):
        // never with the lock held.
        for waker in due {
            waker.wake();
        }
    }

    /// Refuses every later insert and wakes every entry: their futures
    /// poll again and arm elsewhere.
    #[cfg_attr(
        not(all(feature = "tokio", any(target_os = "linux", target_os = "android"))),
        allow(dead_code)
    )]
    pub(crate) fn close(&self) {
        let entries = {
            let mut state = self.lock();
            state.closed = true;
            std::mem::take(&mut state.entries)
        };
        for waker in entries.into_values() {
            waker.wake();
        }
    }
}

/// How the thread waits for the earliest deadline.
enum Wait {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Timerfd(rustix::fd::OwnedFd),
    Condvar(Condvar),
}

static DRIVER: OnceLock<Driver> = OnceLock::new();

/// The driver, its thread started on first use.
///
/// # Panics
///
/// Panics if the operating system refuses to start the thread.
fn driver() -> &'static Driver {
    DRIVER.get_or_init(|| {
        // The thread calls `driver()` too, which waits until this returns.
        std::thread::Builder::new()
            .name("cancel-timer".into())
            .spawn(run)
            .expect("the operating system refused to start the cancel-timer thread");
        Driver {
            timers: Timers::new(),
            wait: Wait::new(),
        }
    })
}

impl Wait {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn new() -> Wait {
        use rustix::time::{TimerfdClockId, TimerfdFlags, timerfd_create};
        // `Instant` is CLOCK_MONOTONIC on Linux: the same clock.
        match timerfd_create(TimerfdClockId::Monotonic, TimerfdFlags::CLOEXEC) {
            Ok(fd) => Wait::Timerfd(fd),
            // A sandbox may forbid it: fall back to the portable wait.
            Err(_) => Wait::Condvar(Condvar::new()),
        }
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn new() -> Wait {
        Wait::Condvar(Condvar::new())
    }

    /// `at` is the new earliest deadline: make the thread wake for it.
    /// Called with the state locked, so arming follows the map's order.
    fn arm(&self, at: Instant) {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Wait::Timerfd(fd) => arm_timerfd(fd, at),
            Wait::Condvar(cv) => cv.notify_one(),
        }
    }

    /// The thread fired what was due and `at` is the next deadline: a
    /// timerfd is armed for it; a condition variable's thread computes its
    /// own wait.
    fn rearm(&self, at: Instant) {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Wait::Timerfd(fd) => arm_timerfd(fd, at),
            Wait::Condvar(_) => {}
        }
    }
}

/// Arms `fd` to expire once, `at` or later: a relative time, which the kernel
/// counts from the call, so the expiry is never before `at`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn arm_timerfd(fd: &rustix::fd::OwnedFd, at: Instant) {
    use rustix::time::{Itimerspec, TimerfdTimerFlags, Timespec, timerfd_settime};
    // A zero value disarms a timerfd: a due deadline gets the least delay.
    let after = at
        .saturating_duration_since(Instant::now())
        .max(Duration::from_nanos(1));
    let spec = Itimerspec {
        it_interval: Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: Timespec {
            tv_sec: i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: after.subsec_nanos().into(),
        },
    };
    // The value is always valid (seconds ≥ 0, nanoseconds < 1e9); the kernel
    // saturates a distant one. A failure would leave the old expiry armed,
    // after which the thread re-arms from the map.
    let _ = timerfd_settime(fd, TimerfdTimerFlags::empty(), &spec);
}

/// Arms a deadline on the timer thread that wakes `waker` at `at` or later.
pub(crate) fn insert(at: Instant, waker: &Waker) -> Key {
    let driver = driver();
    driver
        .timers
        .insert(at, waker, |at| driver.wait.arm(at))
        .expect("the timer thread's deadlines never close")
}

/// Replaces the waker of `key` on the timer thread; `false` if it fired.
pub(crate) fn update(key: Key, waker: &Waker) -> bool {
    driver().timers.update(key, waker)
}

/// Removes `key`'s entry from the timer thread, if it is still there.
pub(crate) fn remove(key: Key) {
    if let Some(driver) = DRIVER.get() {
        driver.timers.remove(key);
    }
}

/// How many deadlines the timer thread holds now.
pub(crate) fn armed() -> usize {
    DRIVER.get().map_or(0, |d| d.timers.len())
}

fn fire(driver: &Driver) {
    driver.timers.fire(|at| driver.wait.rearm(at));
}

/// The timer thread.
fn run() {
    let driver = driver();
    match &driver.wait {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        Wait::Timerfd(fd) => loop {
            let mut expirations = [0_u8; 8];
            // Blocks until the timer expires. Interrupted: read again; any
            // other error cannot happen on a blocking timerfd, but if it
            // did, polling the map each millisecond keeps every deadline.
            match rustix::io::read(fd, &mut expirations) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
            fire(driver);
        },
        Wait::Condvar(cv) => {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            {
                // A condition variable's timed wait ends up to the thread's
                // timer slack late (50 µs by default): ask for the least.
                let _ = rustix::thread::set_current_timer_slack(std::num::NonZeroU64::new(1));
            }
            loop {
                fire(driver);
                // The next deadline, read under the lock the wait releases:
                // an insert after `fire` notifies this wait.
                let state = driver.timers.lock();
                let next = state.entries.first_key_value().map(|(k, _)| k.at);
                let _state = match next {
                    Some(at) => {
                        let wait = at.saturating_duration_since(Instant::now());
                        cv.wait_timeout(state, wait)
                            .map_or_else(|e| e.into_inner().0, |(s, _)| s)
                    }
                    None => cv.wait(state).unwrap_or_else(PoisonError::into_inner),
                };
            }
        }
    }
}
