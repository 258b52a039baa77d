//! Deadlines without a runtime, on `cancel-timer`'s one timer thread: each
//! deadline is an `Alarm` whose waker cancels its scope, so a deadline fires
//! within microseconds of its time (a timerfd on Linux), not up to the
//! thread's timer slack late as a condition variable's timed wait would.
//!
//! The alarms are kept here with their scopes, held weakly: a scope whose
//! handles are all gone is not kept alive by its deadline. Alarms of such
//! scopes, of scopes cancelled early and of deadlines that fired are swept
//! out whenever the list has doubled since the last sweep (dropping an
//! alarm removes its deadline from the timer), so a loop that makes scopes
//! with long timeouts and drops them keeps at most about twice the number
//! of live deadlines.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Wake, Waker};
use std::time::Instant;

use cancel_timer::Alarm;

use crate::cause::Cause;
use crate::node::Node;

/// The fewest alarms at which a sweep is worth it.
const MIN_SWEEP: usize = 64;

struct Alarms {
    live: Vec<(Weak<Node>, Alarm)>,
    /// Sweep once the list reaches this size.
    sweep_at: usize,
}

/// What the timer wakes at a deadline: the scope, cancelled if still there.
struct Expire(Weak<Node>);

impl Wake for Expire {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(node) = self.0.upgrade() {
            node.cancel(Cause::deadline_exceeded());
        }
    }
}

fn alarms() -> MutexGuard<'static, Alarms> {
    static ALARMS: Mutex<Alarms> = Mutex::new(Alarms {
        live: Vec::new(),
        sweep_at: MIN_SWEEP,
    });
    // Nothing panics under this lock but a failed allocation; carry on.
    ALARMS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An alarm is kept while its scope lives and is not cancelled. One past
/// its deadline is kept too: the timer thread may not have fired it yet, and
/// dropping it would take the deadline out of the timer; once fired, its
/// scope is cancelled and it goes at the next sweep.
fn is_live(node: &Weak<Node>) -> bool {
    node.upgrade().is_some_and(|n| !n.is_cancelled())
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
    let weak = Arc::downgrade(node);
    let alarm = cancel_timer::wake_at(at, &Waker::from(Arc::new(Expire(weak.clone()))));
    let mut swept = Vec::new();
    {
        let mut alarms = alarms();
        if alarms.live.len() >= alarms.sweep_at {
            let (keep, gone) = std::mem::take(&mut alarms.live)
                .into_iter()
                .partition(|(n, _)| is_live(n));
            alarms.live = keep;
            swept = gone;
            alarms.sweep_at = (alarms.live.len() * 2).max(MIN_SWEEP);
        }
        alarms.live.push((weak, alarm));
    }
    // Dropped outside our lock: each takes the timer's to remove itself.
    drop(swept);
}

/// How many alarms are kept (for tests).
#[cfg(all(test, not(loom)))]
pub(crate) fn pending() -> usize {
    alarms().live.len()
}
