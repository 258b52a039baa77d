//! Unit tests of the scope: synchronous, with counting wakers, so they
//! observe exactly what was woken and what was freed.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use super::*;

/// A waker that counts its wakes.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<Count>, Waker) {
    let count = Arc::new(Count::default());
    let waker = Waker::from(Arc::clone(&count));
    (count, waker)
}

fn poll<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

#[test]
fn cancel_reaches_every_descendant_and_never_a_parent() {
    let root = CancelScope::new();
    let child = root.child();
    let grandchild = child.child();
    let sibling = root.child();
    child.cancel();
    assert!(child.is_cancelled() && grandchild.is_cancelled());
    assert!(!root.is_cancelled() && !sibling.is_cancelled());
    root.cancel();
    assert!(sibling.is_cancelled());
    // The grandchild kept the cause of the cancel that reached it first.
    assert!(grandchild.cause().is_some_and(|c| c.is::<Cancelled>()));
}

#[test]
fn the_first_cause_wins_and_children_carry_it() {
    let root = CancelScope::new();
    let child = root.child();
    assert!(root.cause().is_none());
    assert!(root.cancel_with("first"));
    assert!(!root.cancel_with("second"));
    assert!(!root.cancel());
    assert_eq!(
        root.cause().map(|c| c.to_string()).as_deref(),
        Some("first")
    );
    assert_eq!(
        child.cause().map(|c| c.to_string()).as_deref(),
        Some("first")
    );
    // Born after the cancel: cancelled, with the same cause.
    let late = root.child();
    assert!(late.is_cancelled());
    assert_eq!(
        late.cause().map(|c| c.to_string()).as_deref(),
        Some("first")
    );
}

#[test]
fn a_typed_cause_can_be_downcast() {
    #[derive(Debug, PartialEq)]
    struct Shutdown(u32);
    impl fmt::Display for Shutdown {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "shutdown {}", self.0)
        }
    }
    impl std::error::Error for Shutdown {}
    let scope = CancelScope::new();
    scope.cancel_with(Shutdown(3));
    let cause = scope.cause().expect("cancelled");
    assert_eq!(cause.downcast_ref::<Shutdown>(), Some(&Shutdown(3)));
    assert!(!cause.is_deadline_exceeded());
}

#[test]
fn cancelled_wakes_each_waiter_once_and_stays_ready() {
    let scope = CancelScope::new();
    let child = scope.child();
    let (count, waker) = counting();
    let mut on_scope = scope.cancelled();
    let mut on_child = child.cancelled();
    assert!(poll(&mut on_scope, &waker).is_pending());
    assert!(poll(&mut on_child, &waker).is_pending());
    // A second poll with the same waker does not register it twice.
    assert!(poll(&mut on_scope, &waker).is_pending());
    assert_eq!(scope.node.counts(), (1, 1));
    scope.cancel();
    assert_eq!(
        count.0.load(Ordering::SeqCst),
        2,
        "one wake per waiting future"
    );
    assert!(poll(&mut on_scope, &waker).is_ready());
    assert!(poll(&mut on_child, &waker).is_ready());
    assert!(poll(&mut on_child, &waker).is_ready());
}

#[test]
fn a_new_waker_replaces_the_old_one() {
    let scope = CancelScope::new();
    let (old_count, old) = counting();
    let (new_count, new) = counting();
    let mut fut = scope.cancelled();
    assert!(poll(&mut fut, &old).is_pending());
    assert!(poll(&mut fut, &new).is_pending());
    scope.cancel();
    assert_eq!(old_count.0.load(Ordering::SeqCst), 0);
    assert_eq!(new_count.0.load(Ordering::SeqCst), 1);
}

#[test]
fn a_dropped_future_unregisters_its_waker() {
    let scope = CancelScope::new();
    let (count, waker) = counting();
    for _ in 0..100 {
        let mut fut = scope.cancelled();
        assert!(poll(&mut fut, &waker).is_pending());
    }
    assert_eq!(scope.node.counts(), (0, 0));
    scope.cancel();
    assert_eq!(count.0.load(Ordering::SeqCst), 0, "nobody left to wake");
}

#[test]
fn dropped_children_leave_their_parent_as_it_was() {
    let root = CancelScope::new();
    let keep = root.child();
    for _ in 0..10_000 {
        let child = root.child();
        let _grandchild = child.child();
    }
    assert_eq!(root.node.counts().0, 1, "only the child still held");
    // The slots of dropped children are reused, not appended.
    let again: Vec<_> = (0..3).map(|_| root.child()).collect();
    assert_eq!(root.node.counts().0, 4);
    drop(again);
    drop(keep);
    assert_eq!(root.node.counts().0, 0);
}

#[test]
fn a_child_keeps_its_parent_cancellable() {
    let root = CancelScope::new();
    let middle = root.child();
    let leaf = middle.child();
    drop(middle);
    root.cancel();
    assert!(
        leaf.is_cancelled(),
        "reached through a parent with no handle left"
    );
}

#[test]
fn linked_scopes_follow_any_parent() {
    let a = CancelScope::new();
    let b = CancelScope::new();
    let both = CancelScope::linked([&a, &b]);
    let (count, waker) = counting();
    let mut fut = both.cancelled();
    assert!(poll(&mut fut, &waker).is_pending());
    b.cancel_with("b went first");
    assert!(both.is_cancelled());
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    a.cancel_with("a later");
    assert_eq!(
        both.cause().map(|c| c.to_string()).as_deref(),
        Some("b went first")
    );
    assert!(!CancelScope::linked([]).is_cancelled());
}

#[test]
fn a_linked_scope_detaches_from_every_parent_when_dropped() {
    let a = CancelScope::new();
    let b = CancelScope::new();
    for _ in 0..1_000 {
        let _linked = CancelScope::linked([&a, &b]);
    }
    assert_eq!(a.node.counts().0, 0);
    assert_eq!(b.node.counts().0, 0);
    // Detaching from a cancelled parent is harmless.
    let linked = CancelScope::linked([&a, &b]);
    a.cancel();
    drop(linked);
    assert_eq!(b.node.counts().0, 0);
}

#[test]
fn linking_a_cancelled_parent_is_born_cancelled() {
    let a = CancelScope::new();
    let b = CancelScope::new();
    b.cancel_with("gone");
    let linked = CancelScope::linked([&a, &b]);
    assert_eq!(
        linked.cause().map(|c| c.to_string()).as_deref(),
        Some("gone")
    );
    assert!(!a.is_cancelled());
    drop(linked);
    assert_eq!(a.node.counts().0, 0);
}

#[test]
fn drop_guard_cancels_unless_disarmed() {
    let scope = CancelScope::new();
    drop(scope.clone().drop_guard());
    assert!(scope.is_cancelled());
    let scope = CancelScope::new();
    let guard = scope.clone().drop_guard();
    assert!(!guard.scope().is_cancelled());
    let back = guard.disarm();
    assert!(!back.is_cancelled() && !scope.is_cancelled());
}

#[test]
fn run_until_cancelled_prefers_ready_output() {
    let scope = CancelScope::new();
    scope.cancel();
    let waker = Waker::noop();
    let ready = pin!(scope.run_until_cancelled(std::future::ready(5)));
    assert_eq!(
        ready.poll(&mut Context::from_waker(waker)),
        Poll::Ready(Some(5))
    );
    let never = pin!(scope.run_until_cancelled(std::future::pending::<u8>()));
    assert_eq!(
        never.poll(&mut Context::from_waker(waker)),
        Poll::Ready(None)
    );
}

#[test]
fn edge_timeouts_never_panic() {
    let scope = CancelScope::new();
    let never = scope.with_timeout(Duration::MAX);
    let now = scope.with_timeout(Duration::ZERO);
    assert!(!never.is_cancelled());
    assert!(now.is_cancelled());
    assert!(now.cause().is_some_and(|c| c.is_deadline_exceeded()));
    let past = scope.with_deadline(
        Instant::now()
            .checked_sub(Duration::from_millis(1))
            .unwrap_or_else(Instant::now),
    );
    assert!(past.is_cancelled());
    assert!(
        !scope.is_cancelled(),
        "a child's deadline never cancels its parent"
    );
}

#[test]
fn a_deadline_fires_from_the_timer_thread_and_not_before() {
    let scope = CancelScope::new();
    let start = Instant::now();
    let timed = scope.with_timeout(Duration::from_millis(30));
    let (tx, rx) = std::sync::mpsc::channel();
    let watcher = timed.clone();
    std::thread::spawn(move || {
        // Blocks on the future with a thread-parking waker: no runtime.
        futures_lite::future::block_on(watcher.cancelled());
        let _ = tx.send(Instant::now());
    });
    let fired = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the deadline fired");
    assert!(
        fired.duration_since(start) >= Duration::from_millis(30),
        "never early"
    );
    assert!(timed.cause().is_some_and(|c| c.is_deadline_exceeded()));
}

#[test]
fn the_earliest_of_several_deadlines_wins_and_an_early_cancel_beats_both() {
    let scope = CancelScope::new();
    scope.cancel_after(Duration::from_secs(3600));
    scope.cancel_after(Duration::ZERO);
    assert!(scope.cause().is_some_and(|c| c.is_deadline_exceeded()));
    let early = CancelScope::new();
    early.cancel_after(Duration::from_secs(3600));
    early.cancel_with("beaten");
    assert_eq!(
        early.cause().map(|c| c.to_string()).as_deref(),
        Some("beaten")
    );
}

#[test]
fn dropped_scopes_with_long_deadlines_are_swept_from_the_timer() {
    for _ in 0..10_000 {
        let _ = CancelScope::new().with_timeout(Duration::from_secs(3600));
    }
    // Other tests add a few live deadlines of their own; the heap stays
    // near twice the live ones, not at ten thousand.
    assert!(timer::pending() < 1_000, "{} entries", timer::pending());
    // Sweeping an alarm takes its deadline out of the timer thread too.
    assert!(
        cancel_timer::armed() < 1_000,
        "{} deadlines armed",
        cancel_timer::armed()
    );
}

/// A waker that, woken by the timer thread, says so and then holds that
/// thread until released: while it is held, no deadline fires.
struct Hold {
    entered: std::sync::Mutex<Option<std::sync::mpsc::Sender<()>>>,
    release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl Wake for Hold {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let entered = self.entered.lock().map(|mut e| e.take());
        if let Ok(Some(entered)) = entered {
            let _ = entered.send(());
        }
        if let Ok(release) = self.release.lock() {
            // Bounded: a failed test must not hold the timer for good.
            let _ = release.recv_timeout(Duration::from_secs(10));
        }
    }
}

/// A deadline that has passed but that the timer thread has not fired yet
/// must survive a sweep: dropping its alarm would take it out of the timer
/// and the scope would never be cancelled. The timer thread is held while
/// the deadline passes and a crowd of new deadlines makes the list sweep.
#[test]
fn a_sweep_keeps_a_deadline_that_has_passed_but_not_fired() {
    let (entered_tx, entered) = std::sync::mpsc::channel();
    let (release, release_rx) = std::sync::mpsc::channel();
    let hold = Arc::new(Hold {
        entered: std::sync::Mutex::new(Some(entered_tx)),
        release: std::sync::Mutex::new(release_rx),
    });
    let _hold = cancel_timer::wake_at(Instant::now(), &Waker::from(hold));
    entered
        .recv_timeout(Duration::from_secs(10))
        .expect("the timer thread woke the hold");

    let start = Instant::now();
    let late = CancelScope::new().with_timeout(Duration::from_millis(1));
    while start.elapsed() <= Duration::from_millis(2) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        !late.is_cancelled(),
        "nothing fires while the timer is held"
    );
    // More new alarms than the list holds before it sweeps (at most twice
    // what it holds now, or 64).
    let crowd: Vec<CancelScope> = (0..timer::pending() * 2 + 65)
        .map(|_| CancelScope::new().with_timeout(Duration::from_secs(3600)))
        .collect();

    release.send(()).expect("the hold is waiting");
    let wait = Instant::now();
    while !late.is_cancelled() && wait.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        late.cause().is_some_and(|c| c.is_deadline_exceeded()),
        "the passed deadline was lost in the sweep"
    );
    drop(crowd);
}

#[test]
fn futures_are_send_and_scopes_are_send_and_sync() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>(_: &T) {}
    let scope = CancelScope::new();
    send_sync(&scope);
    send(&scope.cancelled());
    send(&scope.clone().cancelled_owned());
    send(&scope.run_until_cancelled(std::future::ready(())));
}

#[test]
fn a_child_costs_its_parent_one_slot_and_itself_a_small_node() {
    // The child's own allocation: `ArcInner<Node>`, two counters and the node.
    assert_eq!(std::mem::size_of::<node::Node>(), 32);
}

#[test]
fn a_large_cancel_wakes_a_chunk_itself_and_woken_futures_wake_more() {
    let scope = CancelScope::new();
    let (count, waker) = counting();
    let n = 5 * wake::CHUNK;
    let mut futures: Vec<_> = (0..n).map(|_| scope.cancelled()).collect();
    for fut in &mut futures {
        assert!(poll(fut, &waker).is_pending());
    }
    scope.cancel();
    let woken = count.0.load(Ordering::SeqCst);
    assert!(
        woken >= wake::CHUNK,
        "the canceller woke a chunk itself: {woken}"
    );
    // A woken future, polled, wakes one more chunk before it is ready
    // (unless the backstop already woke everything: then all are woken).
    assert!(poll(&mut futures[0], &waker).is_ready());
    let after = count.0.load(Ordering::SeqCst);
    assert!(after >= 2 * wake::CHUNK, "{after}");
    drop(futures);
}

#[test]
fn the_backstop_wakes_what_no_task_takes() {
    let scope = CancelScope::new();
    let (count, waker) = counting();
    let n = 20 * wake::CHUNK;
    let mut futures: Vec<_> = (0..n).map(|_| scope.cancelled()).collect();
    for fut in &mut futures {
        assert!(poll(fut, &waker).is_pending());
    }
    // Nobody polls the woken futures: the backstop must wake the rest.
    scope.cancel();
    let start = Instant::now();
    while count.0.load(Ordering::SeqCst) < n && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(
        count.0.load(Ordering::SeqCst),
        n,
        "every waiter woken exactly once"
    );
    drop(futures);
}

#[test]
fn several_waiters_on_one_scope_come_and_go() {
    let scope = CancelScope::new();
    let (count, waker) = counting();
    let mut a = scope.cancelled();
    let mut b = scope.cancelled();
    let mut c = scope.cancelled();
    for fut in [&mut a, &mut b, &mut c] {
        assert!(poll(fut, &waker).is_pending());
    }
    drop(a); // the inline slot
    drop(c); // a slab slot
    let mut d = scope.cancelled();
    let mut e = scope.cancelled();
    assert!(poll(&mut d, &waker).is_pending());
    assert!(poll(&mut e, &waker).is_pending());
    assert_eq!(scope.node.counts(), (0, 3));
    scope.cancel();
    assert_eq!(count.0.load(Ordering::SeqCst), 3, "b, d and e, once each");
    for fut in [&mut b, &mut d, &mut e] {
        assert!(poll(fut, &waker).is_ready());
    }
}
