//! Waking the waiters of a cancel, outside every lock, without making the
//! canceller pay for all of them.
//!
//! A cancel with at most [`CHUNK`] waiters wakes them on the caller's
//! thread. A larger one wakes the first `CHUNK` and leaves the rest in a
//! process-wide queue. Every `cancelled()` future that then finds its scope
//! cancelled (it was woken, or polled for the first time) wakes one more
//! chunk from the queue before it returns `Ready` ([`help`]): the wake-ups
//! spread over the threads the executor runs its tasks on, and grow
//! geometrically (64, then 64 × 64, …), instead of running one by one on the
//! canceller's thread.
//!
//! Tasks might not be polled (an executor that stopped, a task leaked), so
//! a backstop thread, started with the first queued chunk, checks once a
//! millisecond: if the queue is not empty and no chunk was taken since its
//! last look, it wakes everything left itself. No waiter waits on another
//! task's good behaviour for more than about two milliseconds.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, Once};
use std::task::Waker;
use std::time::Duration;

/// How many wakers one cancel wakes itself, and one helper wakes per turn.
pub(crate) const CHUNK: usize = 64;

/// How often the backstop looks for a queue nobody is draining.
const BACKSTOP_TICK: Duration = Duration::from_millis(1);

/// Wakers still to wake.
static QUEUE: Mutex<Vec<Waker>> = Mutex::new(Vec::new());
/// `QUEUE.len()`, readable without the lock: the fast path of [`help`].
static QUEUED: AtomicUsize = AtomicUsize::new(0);
/// Chunks taken so far, so the backstop can tell a stalled queue.
static TAKEN: AtomicU64 = AtomicU64::new(0);
/// Wakes the backstop when a chunk is queued.
static QUEUED_SIGNAL: Condvar = Condvar::new();
static BACKSTOP: Once = Once::new();

fn queue() -> MutexGuard<'static, Vec<Waker>> {
    // Nothing but moves of wakers happens under this lock.
    QUEUE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Wakes every waker of one cancel: the first [`CHUNK`] now, the rest
/// queued for the woken tasks (and the backstop) to wake.
pub(crate) fn wake_all(mut wakers: Vec<Waker>) {
    if wakers.len() > CHUNK {
        // The tail, so the rest need not move.
        let now = wakers.split_off(wakers.len() - CHUNK);
        let mut queued = queue();
        if queued.is_empty() {
            *queued = wakers;
        } else {
            queued.append(&mut wakers);
        }
        QUEUED.store(queued.len(), Ordering::Release);
        drop(queued);
        start_backstop();
        QUEUED_SIGNAL.notify_one();
        wakers = now;
    }
    for waker in wakers {
        waker.wake();
    }
}

/// Wakes one chunk of the queue, if anything is queued: one relaxed load
/// when nothing is.
#[inline]
pub(crate) fn help() {
    if QUEUED.load(Ordering::Relaxed) != 0 {
        wake_chunk(CHUNK);
    }
}

/// Takes up to `n` wakers off the queue and wakes them, outside the lock.
fn wake_chunk(n: usize) {
    let mut queued = queue();
    let len = queued.len();
    if len == 0 {
        return;
    }
    let chunk = queued.split_off(len.saturating_sub(n));
    QUEUED.store(queued.len(), Ordering::Release);
    drop(queued);
    TAKEN.fetch_add(1, Ordering::Relaxed);
    for waker in chunk {
        waker.wake();
    }
}

fn start_backstop() {
    BACKSTOP.call_once(|| {
        // Without the thread, tasks still drain the queue; only a stalled
        // queue would wait. A process that cannot start one thread has
        // bigger problems, but this is no reason to panic in a cancel.
        let _ = std::thread::Builder::new()
            .name("cancel-scope-wake".into())
            .spawn(backstop);
    });
}

/// Sleeps while the queue is empty; while it is not, wakes everything left
/// whenever a tick passes with no chunk taken.
fn backstop() {
    let mut seen = TAKEN.load(Ordering::Relaxed);
    loop {
        let mut queued = queue();
        while queued.is_empty() {
            queued = QUEUED_SIGNAL
                .wait(queued)
                .unwrap_or_else(|e| e.into_inner());
        }
        drop(queued);
        std::thread::sleep(BACKSTOP_TICK);
        let now = TAKEN.load(Ordering::Relaxed);
        if now == seen {
            wake_chunk(usize::MAX);
        }
        seen = TAKEN.load(Ordering::Relaxed);
    }
}
