//! Deadlines without a runtime: one timer thread for the whole process,
//! started on the first deadline, sleeping on a condition variable until the
//! earliest deadline in a binary heap.
//!
//! The heap holds scopes weakly: a scope whose handles are all gone is not
//! kept alive by its deadline, and its entry is skipped when it comes due.
//! Such entries (and those of scopes cancelled early) are swept out whenever
//! the heap has doubled since the last sweep, so a loop that makes scopes
//! with long timeouts and drops them keeps the heap at most about twice the
//! number of live deadlines.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Instant;

use crate::cause::Cause;
use crate::node::Node;

/// The fewest entries at which a sweep is worth it.
const MIN_SWEEP: usize = 64;

struct Timer {
    state: Mutex<State>,
    wake: Condvar,
}

struct State {
    heap: BinaryHeap<Entry>,
    /// Sweep dead entries once the heap reaches this size.
    sweep_at: usize,
    started: bool,
    /// Breaks ties between equal deadlines, first scheduled first.
    seq: u64,
}

struct Entry {
    at: Instant,
    seq: u64,
    node: Weak<Node>,
}

impl Entry {
    fn is_live(&self) -> bool {
        self.node.upgrade().is_some_and(|node| !node.is_cancelled())
    }
}

// `BinaryHeap` is a max-heap: the earliest deadline must compare greatest.
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<Timer> = OnceLock::new();
    TIMER.get_or_init(|| Timer {
        state: Mutex::new(State {
            heap: BinaryHeap::new(),
            sweep_at: MIN_SWEEP,
            started: false,
            seq: 0,
        }),
        wake: Condvar::new(),
    })
}

fn lock(timer: &Timer) -> MutexGuard<'_, State> {
    // Nothing panics under this lock but a failed allocation; carry on.
    timer.state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Cancels `node` with `DeadlineExceeded` at `at`: at once if `at` has
/// passed, otherwise from the timer thread.
///
/// # Panics
///
/// Panics if the timer thread is not running yet and the operating system
/// refuses to start it, as `std::thread::spawn` does.
pub(crate) fn cancel_at(node: &Arc<Node>, at: Instant) {
    if node.is_cancelled() {
        return;
    }
    if at <= Instant::now() {
        node.cancel(Cause::deadline_exceeded());
        return;
    }
    let timer = timer();
    let mut state = lock(timer);
    if !state.started {
        std::thread::Builder::new()
            .name("cancel-scope-timer".into())
            .spawn(run)
            .expect("the operating system refused to start the cancel-scope timer thread");
        state.started = true;
    }
    if state.heap.len() >= state.sweep_at {
        state.heap.retain(Entry::is_live);
        state.sweep_at = (state.heap.len() * 2).max(MIN_SWEEP);
    }
    state.seq += 1;
    let entry = Entry {
        at,
        seq: state.seq,
        node: Arc::downgrade(node),
    };
    let earliest = state.heap.peek().is_none_or(|top| at < top.at);
    state.heap.push(entry);
    drop(state);
    // Only a new earliest deadline changes how long the thread must sleep.
    if earliest {
        timer.wake.notify_one();
    }
}

/// The timer thread: fires what is due, then sleeps until the next deadline.
fn run() {
    let timer = timer();
    let mut state = lock(timer);
    loop {
        let now = Instant::now();
        let mut due = Vec::new();
        while state.heap.peek().is_some_and(|top| top.at <= now) {
            if let Some(entry) = state.heap.pop() {
                due.push(entry.node);
            }
        }
        if !due.is_empty() {
            // Cancels wake tasks: never with the timer's lock held.
            drop(state);
            for node in due.iter().filter_map(Weak::upgrade) {
                node.cancel(Cause::deadline_exceeded());
            }
            drop(due);
            state = lock(timer);
            continue;
        }
        state = match state.heap.peek().map(|top| top.at) {
            Some(at) => {
                let wait = at.saturating_duration_since(now);
                timer
                    .wake
                    .wait_timeout(state, wait)
                    .map_or_else(|e| e.into_inner().0, |(s, _)| s)
            }
            None => timer.wake.wait(state).unwrap_or_else(|e| e.into_inner()),
        };
    }
}

/// How many entries the heap holds (for tests).
#[cfg(all(test, not(loom)))]
pub(crate) fn pending() -> usize {
    lock(timer()).heap.len()
}
