//! The concurrent core: one `Node` per scope, shared by its handles.
//!
//! # How it stays correct
//!
//! - **One bit decides.** `CANCELLED` in `state` is only ever set with the
//!   node's lock held, right after the cause is stored, and never cleared.
//!   `is_cancelled` is one `Acquire` load of it, at any depth of the tree,
//!   because a cancel sets it eagerly on every live descendant before it
//!   returns.
//! - **Registration checks under the lock.** A waiter, a child or a linked
//!   scope is only added to a node's lists with the lock held and the bit
//!   clear. A cancel sets the bit and takes the lists in the same critical
//!   section, so everything added before is taken, and everything that comes
//!   after sees the bit (a child is then born cancelled, a waiter is ready).
//! - **One lock at a time.** No code path holds two nodes' locks at once:
//!   a cancel takes a node's children out under its lock, lets go, then
//!   visits them; a child detaches from its parent without holding its own.
//!   So there is no lock order to get wrong.
//! - **Slots stay valid until the cancel.** A waiter or a child remembers its
//!   slot in its node's lists; removing it is only done while the node is not
//!   cancelled (checked under the lock), because a cancel takes the lists
//!   away and later slots would belong to no one.
//! - **Wakers are woken outside every lock** (by `crate::wake`), so a cancel
//!   holds each node's lock only to flip its bit and take its lists.
//!
//! Parents hold children weakly (`Weak` in a slab); children hold their
//! parents strongly, so a parent reachable from a live child stays
//! cancellable. A node whose last handle is dropped frees its slot in each
//! parent at once: children that come and go never grow a parent.

use std::mem;
use std::sync::{Arc, Weak};
use std::task::{Poll, Waker};

use crate::cause::Cause;
use crate::sync::{AtomicU8, Mutex, MutexGuard, Ordering};

/// Set, with the lock held, once the node is cancelled; never cleared.
const CANCELLED: u8 = 1;

/// The shared state of a scope and all its clones.
pub(crate) struct Node {
    state: AtomicU8,
    /// The node's slot in its parent's children (fixed at creation).
    slot: u32,
    /// The one parent of a child; a linked node keeps its parents in
    /// `Extra::links` instead.
    parent: Option<Arc<Node>>,
    /// Everything else, allocated only when first needed, so a child that
    /// nobody waits on costs its parent one slot and itself 32 bytes.
    inner: Mutex<Option<Box<Extra>>>,
}

#[derive(Default)]
struct Extra {
    /// Set together with `CANCELLED`.
    cause: Option<Cause>,
    /// Live children, held weakly; taken by the cancel.
    children: Slab<Weak<Node>>,
    /// Wakers of pending `cancelled()` futures; taken by the cancel.
    waiters: Slab<Waker>,
    /// A linked node's parents and its slot in each (kept after a cancel,
    /// to detach from the parents that are still live).
    links: Vec<(Arc<Node>, u32)>,
}

/// A vector of optional entries with a free list: stable slots, O(1)
/// insert and remove, and no growth while entries come and go.
struct Slab<T> {
    entries: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    fn insert(&mut self, value: T) -> u32 {
        if let Some(slot) = self.free.pop() {
            self.entries[slot as usize] = Some(value);
            return slot;
        }
        // Four billion live entries would need far more memory than any
        // process has; running out of slots is not a case to handle.
        let slot = u32::try_from(self.entries.len()).expect("fewer than 2^32 entries");
        self.entries.push(Some(value));
        slot
    }

    fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        self.entries.get_mut(slot as usize)?.as_mut()
    }

    fn remove(&mut self, slot: u32) -> Option<T> {
        let value = self.entries.get_mut(slot as usize)?.take();
        if value.is_some() {
            self.free.push(slot);
        }
        value
    }

    fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    /// Takes every entry out, keeping the allocation (a cancel should not
    /// pay for freeing it; the node's drop does).
    fn drain(&mut self) -> impl Iterator<Item = T> + '_ {
        self.free.clear();
        self.entries.drain(..).flatten()
    }
}

impl Node {
    fn new(parent: Option<Arc<Node>>, slot: u32, state: u8, extra: Option<Box<Extra>>) -> Node {
        Node {
            state: AtomicU8::new(state),
            slot,
            parent,
            inner: Mutex::new(extra),
        }
    }

    /// A node with no parent.
    pub(crate) fn root() -> Arc<Node> {
        Arc::new(Node::new(None, 0, 0, None))
    }

    /// A node cancelled from birth, with `cause`.
    fn born_cancelled(cause: Option<Cause>) -> Arc<Node> {
        let extra = Box::new(Extra {
            cause,
            ..Extra::default()
        });
        Arc::new(Node::new(None, 0, CANCELLED, Some(extra)))
    }

    fn lock(&self) -> MutexGuard<'_, Option<Box<Extra>>> {
        // No code runs user callbacks under this lock except `Waker::clone`;
        // if one panicked, the lists are still consistent: carry on.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One atomic load.
    #[inline]
    pub(crate) fn is_cancelled(&self) -> bool {
        self.state.load(Ordering::Acquire) & CANCELLED != 0
    }

    /// The cause, once cancelled.
    pub(crate) fn cause(&self) -> Option<Cause> {
        if !self.is_cancelled() {
            return None;
        }
        // The cause was stored before the bit, under the lock.
        self.lock().as_ref().and_then(|extra| extra.cause.clone())
    }

    /// A child of `parent`: cancelled with it, never the reverse.
    pub(crate) fn child(parent: &Arc<Node>) -> Arc<Node> {
        let mut guard = parent.lock();
        if parent.is_cancelled() {
            let cause = guard.as_ref().and_then(|extra| extra.cause.clone());
            drop(guard);
            return Node::born_cancelled(cause);
        }
        let children = &mut guard.get_or_insert_with(Box::default).children;
        // Reserve the slot first: the child must know it before it exists.
        let slot = children.insert(Weak::new());
        let child = Arc::new(Node::new(Some(Arc::clone(parent)), slot, 0, None));
        if let Some(entry) = children.get_mut(slot) {
            *entry = Arc::downgrade(&child);
        }
        child
    }

    /// A node cancelled when any of `parents` is (and never the reverse).
    pub(crate) fn linked<'a>(parents: impl IntoIterator<Item = &'a Arc<Node>>) -> Arc<Node> {
        let node = Node::root();
        let weak = Arc::downgrade(&node);
        let mut links = Vec::new();
        let mut cancelled_by = None;
        for parent in parents {
            let mut guard = parent.lock();
            if parent.is_cancelled() {
                // The first cancelled parent gives its cause; the others
                // need not know this node.
                cancelled_by = Some(guard.as_ref().and_then(|extra| extra.cause.clone()));
                break;
            }
            let slot = guard
                .get_or_insert_with(Box::default)
                .children
                .insert(weak.clone());
            drop(guard);
            links.push((Arc::clone(parent), slot));
        }
        // A parent cancelled meanwhile may already have cancelled `node`;
        // the links are still needed to detach from the others on drop.
        node.lock().get_or_insert_with(Box::default).links = links;
        if let Some(cause) = cancelled_by {
            node.cancel(cause.unwrap_or_else(|| Cause::new(crate::Cancelled)));
        }
        node
    }

    /// Cancels this node and every live descendant with `cause`, then wakes
    /// their waiters. Returns `false` if it was already cancelled (the first
    /// cause wins, and its cancel reaches the descendants).
    pub(crate) fn cancel(&self, cause: Cause) -> bool {
        let mut wakers = Vec::new();
        let mut pending = Vec::new();
        if !self.cancel_one(&cause, &mut wakers, &mut pending) {
            return false;
        }
        // Depth-first without recursion: a deep chain cannot overflow the stack.
        while let Some(child) = pending.pop() {
            child.cancel_one(&cause, &mut wakers, &mut pending);
            // Dropping `child` here may drop the last handle of a node,
            // which locks its parent: no lock is held at this point.
        }
        crate::wake::wake_all(wakers);
        true
    }

    /// Flips this node's bit; moves its waiters to `wakers` and its live
    /// children to `pending`. `false` if it was already cancelled.
    fn cancel_one(&self, cause: &Cause, wakers: &mut Vec<Waker>, pending: &mut Vec<Arc<Node>>) -> bool {
        let mut guard = self.lock();
        if self.state.load(Ordering::Relaxed) & CANCELLED != 0 {
            return false;
        }
        let extra = guard.get_or_insert_with(Box::default);
        extra.cause = Some(cause.clone());
        wakers.extend(extra.waiters.drain());
        // A child whose last handle is being dropped right now cannot be
        // upgraded: it is leaving, and needs no cancel. Its `Weak` is
        // dropped here, under the lock, which frees nothing but a count.
        pending.extend(extra.children.drain().filter_map(|weak| weak.upgrade()));
        // Release: whoever sees the bit sees the cause and the emptied lists.
        self.state.fetch_or(CANCELLED, Ordering::Release);
        drop(guard);
        true
    }

    /// Polls a `cancelled()` future: ready once cancelled, otherwise its
    /// waker is registered (or refreshed) in `slot`.
    pub(crate) fn poll_cancelled(&self, slot: &mut Option<u32>, waker: &Waker) -> Poll<()> {
        if self.is_cancelled() {
            // A registered waker went with the lists the cancel took.
            *slot = None;
            // Woken, so lend a hand with the wake-ups of a large cancel.
            crate::wake::help();
            return Poll::Ready(());
        }
        let mut guard = self.lock();
        if self.is_cancelled() {
            *slot = None;
            return Poll::Ready(());
        }
        let waiters = &mut guard.get_or_insert_with(Box::default).waiters;
        match slot.and_then(|s| waiters.get_mut(s)) {
            Some(registered) => {
                if !registered.will_wake(waker) {
                    registered.clone_from(waker);
                }
            }
            None => *slot = Some(waiters.insert(waker.clone())),
        }
        Poll::Pending
    }

    /// Forgets the waker of a `cancelled()` future that is dropped unfinished.
    pub(crate) fn forget_waiter(&self, slot: u32) {
        if self.is_cancelled() {
            crate::wake::help();
            return;
        }
        let mut guard = self.lock();
        // After a cancel the slot is in lists that were taken away.
        if self.is_cancelled() {
            return;
        }
        if let Some(extra) = guard.as_mut() {
            let waker = extra.waiters.remove(slot);
            drop(guard);
            // A waker's drop runs outside the lock.
            drop(waker);
        }
    }

    /// Frees `slot` in this node's children (a child's last handle is gone).
    fn detach(&self, slot: u32) {
        let mut guard = self.lock();
        // A cancelled node has no children list any more (see `forget_waiter`).
        if self.is_cancelled() {
            return;
        }
        let weak = guard.as_mut().and_then(|extra| extra.children.remove(slot));
        drop(guard);
        drop(weak);
    }

    /// How many children and waiters this node holds.
    #[allow(dead_code, reason = "for the unit tests and the loom models only")]
    pub(crate) fn counts(&self) -> (usize, usize) {
        self.lock()
            .as_ref()
            .map_or((0, 0), |extra| (extra.children.len(), extra.waiters.len()))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(parent) = &self.parent {
            parent.detach(self.slot);
        }
        let extra = self.inner.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(extra) = extra.as_mut() {
            for (parent, slot) in mem::take(&mut extra.links) {
                parent.detach(slot);
            }
        }
    }
}
