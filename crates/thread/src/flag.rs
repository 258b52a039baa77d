//! The stop flag blocking work checks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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
///
/// # Hooks, for work that cannot check
///
/// Some blocking calls never return to look at a flag: a long SQL query, a
/// read on a socket, a wait on a child process. The work can register an
/// [`on_stop`](StopFlag::on_stop) hook that makes such a call return (an
/// interrupt handle, a socket shutdown, a kill): [`stop`](StopFlag::stop)
/// runs it. The flag stays one atomic load to check.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use cancel_thread::StopFlag;
///
/// let flag = StopFlag::new();
/// let interrupted = Arc::new(AtomicBool::new(false));
/// let hook = flag.on_stop({
///     let interrupted = Arc::clone(&interrupted);
///     move || interrupted.store(true, Ordering::SeqCst)
/// });
/// flag.stop();
/// assert!(interrupted.load(Ordering::SeqCst));
/// drop(hook);
/// ```
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<Inner>);

#[derive(Default)]
struct Inner {
    stopped: AtomicBool,
    hooks: Mutex<Hooks>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopFlag")
            .field("stopped", &self.stopped.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// A hook: run once, by whoever stops the flag first.
type Hook = Box<dyn FnOnce() + Send>;

/// The hooks registered and not yet run or unregistered, by key.
#[derive(Default)]
struct Hooks {
    next: u64,
    waiting: Vec<(u64, Hook)>,
}

impl StopFlag {
    /// A new flag, not set.
    pub fn new() -> StopFlag {
        StopFlag::default()
    }

    /// Asks the work to stop: sets the flag for every clone, then runs the
    /// hooks registered with [`on_stop`](StopFlag::on_stop), on this
    /// thread. Harmless to repeat, and harmless after the work has ended.
    pub fn stop(&self) {
        // Release: what the stopper wrote before this is visible to an
        // Acquire load that sees `true`.
        self.0.stopped.store(true, Ordering::Release);
        // Set before the hooks are taken: a hook registered after this lock
        // sees the flag set and runs itself, so each hook runs exactly once.
        let hooks = std::mem::take(&mut lock(&self.0.hooks).waiting);
        // Run outside the lock: a hook may take its time or touch the flag.
        hooks.into_iter().for_each(|(_, hook)| hook());
    }

    /// `true` once [`stop`](StopFlag::stop) was called on this flag or any
    /// clone of it.
    pub fn is_stopped(&self) -> bool {
        self.0.stopped.load(Ordering::Acquire)
    }

    /// Registers `hook` to run once when the flag is stopped: at once, on
    /// this thread, if it already is; otherwise by the thread that calls
    /// [`stop`](StopFlag::stop).
    ///
    /// Dropping the returned [`OnStop`] unregisters a hook that has not run
    /// yet, so a hook that interrupts a resource never fires after the work
    /// is done with it. (A hook whose `stop` already began may still be
    /// running when the guard drops.)
    #[must_use = "dropping the guard unregisters the hook at once"]
    pub fn on_stop(&self, hook: impl FnOnce() + Send + 'static) -> OnStop {
        let mut hooks = lock(&self.0.hooks);
        if self.is_stopped() {
            drop(hooks);
            hook();
            return OnStop { flag: None, key: 0 };
        }
        let key = hooks.next;
        hooks.next += 1;
        hooks.waiting.push((key, Box::new(hook)));
        OnStop {
            flag: Some(self.clone()),
            key,
        }
    }
}

/// Locks the hooks, whatever a panicking hook left: the list itself is
/// never left half-changed.
fn lock(hooks: &Mutex<Hooks>) -> std::sync::MutexGuard<'_, Hooks> {
    hooks
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A hook registered by [`StopFlag::on_stop`]; dropping it unregisters the
/// hook if it has not run.
#[derive(Debug)]
pub struct OnStop {
    flag: Option<StopFlag>,
    key: u64,
}

impl Drop for OnStop {
    fn drop(&mut self) {
        if let Some(flag) = self.flag.take() {
            lock(&flag.0.hooks).waiting.retain(|(k, _)| *k != self.key);
        }
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

    #[test]
    fn a_hook_runs_once_on_stop_and_not_after_its_guard_drops() {
        use std::sync::atomic::AtomicUsize;
        let flag = StopFlag::new();
        let runs = Arc::new(AtomicUsize::new(0));
        let count = |runs: &Arc<AtomicUsize>| {
            let runs = Arc::clone(runs);
            move || {
                runs.fetch_add(1, Ordering::SeqCst);
            }
        };
        let kept = flag.on_stop(count(&runs));
        drop(flag.on_stop(count(&runs)));
        assert_eq!(runs.load(Ordering::SeqCst), 0);
        flag.clone().stop();
        flag.stop();
        assert_eq!(runs.load(Ordering::SeqCst), 1, "the kept hook, once");
        drop(kept);
        // Registered after the stop: runs at once, on this thread.
        let _late = flag.on_stop(count(&runs));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn racing_stops_and_registrations_run_every_hook_exactly_once() {
        use std::sync::atomic::AtomicUsize;
        for _ in 0..200 {
            let flag = StopFlag::new();
            let runs = Arc::new(AtomicUsize::new(0));
            let registrar = std::thread::spawn({
                let (flag, runs) = (flag.clone(), Arc::clone(&runs));
                move || {
                    (0..50)
                        .map(|_| {
                            let runs = Arc::clone(&runs);
                            flag.on_stop(move || {
                                runs.fetch_add(1, Ordering::SeqCst);
                            })
                        })
                        .collect::<Vec<_>>()
                }
            });
            flag.stop();
            let guards = registrar.join().unwrap();
            assert_eq!(runs.load(Ordering::SeqCst), 50);
            drop(guards);
        }
    }
}
