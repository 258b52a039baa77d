//! loom models of the concurrent core: every interleaving of the locks and
//! atomics in `src/node.rs`, up to a preemption bound, for each race the
//! core must win.
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" cargo test -p cancel-scope --release
//! ```
//!
//! `src/node.rs` is compiled here a second time, with a `sync` module whose
//! `Mutex` and atomics are loom's. loom has no `Weak`, so reference counts
//! are std's and go unpermuted; every state they guard is behind a loom
//! lock or atomic. Deadlines (a std thread and condvar) are not modelled:
//! the timer only calls `Node::cancel`, which is.
#![cfg(loom)]
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    missing_debug_implementations
)]

mod sync {
    pub(crate) use loom::sync::atomic::{AtomicU8, Ordering};
    pub(crate) use loom::sync::{Mutex, MutexGuard};
}

#[path = "../src/cause.rs"]
mod cause;
#[path = "../src/node.rs"]
mod node;

mod wake {
    //! The lib's wake-up minus its queue and backstop thread (std code,
    //! covered by the unit tests): every job of a cancel run at once.

    pub(crate) fn run(jobs: crate::node::Jobs) {
        let mut buf = Vec::new();
        for job in jobs.first.into_iter().chain(jobs.rest) {
            job.run(&mut buf);
        }
    }

    pub(crate) fn help() {}
}

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Poll, Wake, Waker};

use cause::{Cancelled, Cause};
use node::Node;

/// Bounded so the whole file runs in well under a minute in release mode.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting() -> (Arc<Count>, Waker) {
    let count = Arc::new(Count::default());
    (Arc::clone(&count), Waker::from(count))
}

fn message(node: &Node) -> Option<String> {
    node.cause().map(|c| c.to_string())
}

/// A waiter that registers while a cancel runs is either ready at once or
/// woken exactly once: a wake-up is never lost.
#[test]
fn cancel_racing_registration_never_loses_a_wake() {
    model(|| {
        let node = Node::root();
        let (count, waker) = counting();
        let canceller = {
            let node = Arc::clone(&node);
            loom::thread::spawn(move || {
                node.cancel(Cause::new(Cancelled));
            })
        };
        let mut slot = None;
        let first = node.poll_cancelled(&mut slot, &waker);
        canceller.join().unwrap();
        let woken = count.0.load(Ordering::SeqCst);
        match first {
            Poll::Ready(()) => assert_eq!(woken, 0, "ready at once, never registered"),
            Poll::Pending => assert_eq!(woken, 1, "registered, so woken once"),
        }
        assert!(node.poll_cancelled(&mut slot, &waker).is_ready());
    });
}

/// A waiter dropped while a cancel runs leaves nothing behind and is woken
/// at most once.
#[test]
fn a_waiter_dropped_during_a_cancel_is_harmless() {
    model(|| {
        let node = Node::root();
        let (count, waker) = counting();
        let mut slot = None;
        assert!(node.poll_cancelled(&mut slot, &waker).is_pending());
        let canceller = {
            let node = Arc::clone(&node);
            loom::thread::spawn(move || {
                node.cancel(Cause::new(Cancelled));
            })
        };
        if let Some(slot) = slot {
            node.forget_waiter(slot);
        }
        canceller.join().unwrap();
        assert!(count.0.load(Ordering::SeqCst) <= 1);
        assert_eq!(node.counts(), (0, 0));
    });
}

/// A child made while its parent is cancelled ends up cancelled, whichever
/// goes first, with the parent's cause; and so does a waiter on it.
#[test]
fn child_creation_racing_a_cancel_is_always_cancelled() {
    model(|| {
        let root = Node::root();
        let canceller = {
            let root = Arc::clone(&root);
            loom::thread::spawn(move || {
                root.cancel(Cause::new("stop"));
            })
        };
        let child = Node::child(&root);
        let (count, waker) = counting();
        let mut slot = None;
        let first = child.poll_cancelled(&mut slot, &waker);
        canceller.join().unwrap();
        assert!(child.is_cancelled());
        assert_eq!(message(&child).as_deref(), Some("stop"));
        if first.is_pending() {
            assert_eq!(count.0.load(Ordering::SeqCst), 1);
        }
    });
}

/// A child whose last handle is dropped while its parent is cancelled
/// detaches cleanly: no deadlock, no slot left behind, no panic.
#[test]
fn child_drop_racing_a_cancel_detaches_cleanly() {
    model(|| {
        let root = Node::root();
        let child = Node::child(&root);
        let grandchild = Node::child(&child);
        let dropper = loom::thread::spawn(move || {
            drop(child);
        });
        root.cancel(Cause::new(Cancelled));
        dropper.join().unwrap();
        assert!(
            grandchild.is_cancelled(),
            "reached through the dropped child"
        );
        assert_eq!(root.counts(), (0, 0));
    });
}

/// Two cancels with different causes: exactly one wins, and every node of
/// the tree carries its cause.
#[test]
fn racing_cancels_agree_on_one_cause() {
    model(|| {
        let root = Node::root();
        let child = Node::child(&root);
        let other = {
            let child = Arc::clone(&child);
            loom::thread::spawn(move || child.cancel(Cause::new("child")))
        };
        let root_won = root.cancel(Cause::new("root"));
        let child_won = other.join().unwrap();
        assert!(root_won, "nothing else cancels the root");
        let expected = if child_won { "child" } else { "root" };
        assert_eq!(message(&child).as_deref(), Some(expected));
        assert_eq!(message(&root).as_deref(), Some("root"));
    });
}

/// A linked node made while one parent is cancelled is cancelled in the
/// end, and detaches from the other parent when dropped.
#[test]
fn linking_racing_a_parent_cancel() {
    model(|| {
        let a = Node::root();
        let b = Node::root();
        let canceller = {
            let b = Arc::clone(&b);
            loom::thread::spawn(move || {
                b.cancel(Cause::new("b"));
            })
        };
        let linked = Node::linked([&a, &b]);
        canceller.join().unwrap();
        assert!(linked.is_cancelled());
        assert_eq!(message(&linked).as_deref(), Some("b"));
        assert!(!a.is_cancelled());
        drop(linked);
        assert_eq!(a.counts(), (0, 0));
    });
}

/// Both parents of a linked node cancelled at once: it is cancelled once,
/// with one of their causes, and its waiter woken once.
#[test]
fn linked_parents_cancelled_together() {
    model(|| {
        let a = Node::root();
        let b = Node::root();
        let linked = Node::linked([&a, &b]);
        let (count, waker) = counting();
        let mut slot = None;
        assert!(linked.poll_cancelled(&mut slot, &waker).is_pending());
        let other = {
            let b = Arc::clone(&b);
            loom::thread::spawn(move || {
                b.cancel(Cause::new("b"));
            })
        };
        a.cancel(Cause::new("a"));
        other.join().unwrap();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        let cause = message(&linked);
        assert!(matches!(cause.as_deref(), Some("a" | "b")), "{cause:?}");
    });
}

/// A waiter registering on a child while its parent's cancel marks the
/// child without its lock: ready at once, or woken exactly once by the job
/// the marking leaves.
#[test]
fn marking_racing_registration_never_loses_a_wake() {
    model(|| {
        let root = Node::root();
        let child = Node::child(&root);
        let (count, waker) = counting();
        let canceller = {
            let root = Arc::clone(&root);
            loom::thread::spawn(move || {
                root.cancel(Cause::new("stop"));
            })
        };
        let mut slot = None;
        let first = child.poll_cancelled(&mut slot, &waker);
        canceller.join().unwrap();
        let woken = count.0.load(Ordering::SeqCst);
        match first {
            Poll::Ready(()) => assert_eq!(woken, 0),
            Poll::Pending => assert_eq!(woken, 1),
        }
        assert_eq!(message(&child).as_deref(), Some("stop"));
    });
}

/// A grandchild made while the cancel of its grandparent marks its parent:
/// always cancelled in the end, with the grandparent's cause.
#[test]
fn grandchild_creation_racing_a_marking_is_always_cancelled() {
    model(|| {
        let root = Node::root();
        let child = Node::child(&root);
        let canceller = {
            let root = Arc::clone(&root);
            loom::thread::spawn(move || {
                root.cancel(Cause::new("stop"));
            })
        };
        let grandchild = Node::child(&child);
        canceller.join().unwrap();
        assert!(grandchild.is_cancelled());
        assert_eq!(message(&grandchild).as_deref(), Some("stop"));
    });
}

/// The cause of a marked child read while the marking runs: nothing yet,
/// or the right cause; never another.
#[test]
fn cause_read_during_a_marking_is_none_or_right() {
    model(|| {
        let root = Node::root();
        let child = Node::child(&root);
        let canceller = {
            let root = Arc::clone(&root);
            loom::thread::spawn(move || {
                root.cancel(Cause::new("stop"));
            })
        };
        let seen = message(&child);
        assert!(matches!(seen.as_deref(), None | Some("stop")), "{seen:?}");
        if child.is_cancelled() {
            // Whoever sees the bit sees a cause.
            assert_eq!(message(&child).as_deref(), Some("stop"));
        }
        canceller.join().unwrap();
        assert_eq!(message(&child).as_deref(), Some("stop"));
    });
}

/// A child cancelled on its own while its parent's cancel marks it: one of
/// the two causes, agreed on by every reader.
#[test]
fn own_cancel_racing_a_marking_agree_on_one_cause() {
    model(|| {
        let root = Node::root();
        let child = Node::child(&root);
        let grandchild = Node::child(&child);
        let other = {
            let child = Arc::clone(&child);
            loom::thread::spawn(move || child.cancel(Cause::new("child")))
        };
        root.cancel(Cause::new("root"));
        let child_won = other.join().unwrap();
        let expected = if child_won { "child" } else { "root" };
        assert_eq!(message(&child).as_deref(), Some(expected));
        assert_eq!(message(&grandchild).as_deref(), Some(expected));
    });
}
