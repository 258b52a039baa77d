//! Waking the waiters of a cancel, outside every lock, without making the
//! canceller pay for all of them.
//!
//! A cancel leaves jobs ([`Job`]): wake a waiter of the cancelled scope, or
//! take and wake the waiters of a descendant it marked. A cancel with at
//! most [`CHUNK`] jobs runs them on the caller's thread. A larger one runs
//! `CHUNK` and leaves the rest in a process-wide queue. Every `cancelled()`
//! future that then finds its scope cancelled (it was woken, or polled for
//! the first time) runs one more chunk from the queue before it returns
//! `Ready` ([`help`]): the wake-ups spread over the threads the executor
//! runs its tasks on, and grow geometrically (64, then 64 × 64, …), instead
//! of running one by one on the canceller's thread.
//!
//! Tasks might not be polled (an executor that stopped, a task leaked), so
//! a backstop thread, started with the first queued chunk, checks once a
//! millisecond: if the queue is not empty and no chunk was taken since its
//! last look, it wakes everything left itself. No waiter waits on another
//! task's good behaviour for more than about two milliseconds.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, Once};
use std::time::Duration;

use crate::node::{Job, Jobs};

/// How many jobs one cancel runs itself, and one helper runs per turn.
pub(crate) const CHUNK: usize = 64;

/// How often the backstop looks for a queue nobody is draining.
const BACKSTOP_TICK: Duration = Duration::from_millis(1);

/// Jobs still to run, first in, first out: tasks are woken in the order
/// their scopes were made, the order a canceller usually joins them in.
static QUEUE: Mutex<VecDeque<Job>> = Mutex::new(VecDeque::new());
/// `QUEUE.len()`, readable without the lock: the fast path of [`help`].
static QUEUED: AtomicUsize = AtomicUsize::new(0);
/// Chunks taken so far, so the backstop can tell a stalled queue.
static TAKEN: AtomicU64 = AtomicU64::new(0);
/// Wakes the backstop when a chunk is queued.
static QUEUED_SIGNAL: Condvar = Condvar::new();
static BACKSTOP: Once = Once::new();

fn queue() -> MutexGuard<'static, VecDeque<Job>> {
    // Nothing but moves of jobs happens under this lock.
    QUEUE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs the jobs of one cancel: [`CHUNK`] now, the rest queued for the
/// woken tasks (and the backstop) to run.
pub(crate) fn run(jobs: Jobs) {
    let Jobs { first, rest } = jobs;
    let mut buf = Vec::new();
    if let Some(job) = first {
        job.run(&mut buf);
    }
    if rest.len() < CHUNK {
        run_all(rest);
        return;
    }
    // A deque reuses the vector's buffer and gives up its front in O(CHUNK).
    let mut rest = VecDeque::from(rest);
    let now: Vec<Job> = rest.drain(..CHUNK - 1).collect();
    let mut queued = queue();
    if queued.is_empty() {
        *queued = rest;
    } else {
        queued.extend(rest);
    }
    QUEUED.store(queued.len(), Ordering::Release);
    drop(queued);
    start_backstop();
    QUEUED_SIGNAL.notify_one();
    run_all(now);
}

fn run_all(jobs: impl IntoIterator<Item = Job>) {
    let mut buf = Vec::new();
    for job in jobs {
        job.run(&mut buf);
    }
}

/// Runs one chunk of the queue, if anything is queued: one relaxed load
/// when nothing is.
#[inline]
pub(crate) fn help() {
    if QUEUED.load(Ordering::Relaxed) != 0 {
        run_chunk(CHUNK);
    }
}

/// Takes up to `n` jobs off the queue and runs them, outside the lock.
fn run_chunk(n: usize) {
    let mut queued = queue();
    let len = queued.len();
    if len == 0 {
        return;
    }
    let chunk: Vec<Job> = queued.drain(..n.min(len)).collect();
    QUEUED.store(queued.len(), Ordering::Release);
    drop(queued);
    TAKEN.fetch_add(1, Ordering::Relaxed);
    run_all(chunk);
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
            run_chunk(usize::MAX);
        }
        seen = TAKEN.load(Ordering::Relaxed);
    }
}
