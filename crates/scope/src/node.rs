//! The concurrent core: one `Node` per scope, shared by its handles.
//!
//! # How it stays correct
//!
//! - **One bit decides, one load reads it.** `CANCELLED` in `state` is set
//!   once and never cleared; `is_cancelled` is one `Acquire` load of it, at
//!   any depth, because a cancel sets it on every live descendant before it
//!   returns.
//! - **The scope cancelled by a call stores its cause under its lock.** It
//!   flips the bit, stores the cause and takes its waiters and children in
//!   one critical section, so a reader that sees the bit and then locks sees
//!   the cause.
//! - **Descendants are marked without their lock.** A parent's cancel sets
//!   `CANCELLED | INHERITED` on each child with one `fetch_or`; the child's
//!   cause is then its parent's (`cause()` walks up). It locks a child only
//!   if the child has children to visit (`HAS_CHILDREN`), and leaves a job
//!   to take and wake its waiters if it has any (`HAS_WAITERS`). A linked
//!   scope, which has no single parent, is cancelled the locked way.
//! - **Adding meets marking in one read-modify-write.** A waiter, a child or
//!   a linked scope is added with the node's lock held, right after a
//!   `fetch_or` of `HAS_WAITERS` / `HAS_CHILDREN` that also reads
//!   `CANCELLED`. The `fetch_or`s on one atomic are totally ordered: either
//!   the adder sees `CANCELLED` (the waiter is ready, the child born
//!   cancelled), or the marker sees the `HAS_` bit and then locks the node,
//!   after the adder has let go, and finds what was added.
//! - **One lock at a time.** No code path holds two nodes' locks at once, so
//!   there is no lock order to get wrong.
//! - **Slots stay valid until the cancel.** A waiter or a child remembers its
//!   slot in its node's lists; removing it is only done while the node is not
//!   cancelled (checked under the lock), because a cancel takes the lists
//!   away. A waiter dropped after its node was marked stays in the list and
//!   is woken once for nothing.
//! - **Wakers are woken outside every lock** (by `crate::wake`), and not all
//!   by the canceller.
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

/// Set once the node is cancelled; never cleared.
const CANCELLED: u8 = 1;
/// Set with `CANCELLED` when a parent's cancel marked the node: its cause
/// is its parent's.
const INHERITED: u8 = 2;
/// Set, with the lock held, before the first child or linked node is added.
const HAS_CHILDREN: u8 = 4;
/// Set, with the lock held, before a waiter is added.
const HAS_WAITERS: u8 = 8;

/// What a cancel leaves to do after its marking: wake one waker, or take a
/// marked node's waiters and wake them. Run by `crate::wake`, the first
/// ones by the canceller, the rest by woken tasks.
pub(crate) enum Job {
    /// A waiter of the cancelled node itself.
    Wake(Waker),
    /// A node its parent's cancel marked, which has (or had) waiters.
    WakeWaiters(Arc<Node>),
}

/// The jobs of one cancel: the first inline, so a cancel with one waiter
/// allocates nothing.
#[derive(Default)]
pub(crate) struct Jobs {
    pub(crate) first: Option<Job>,
    pub(crate) rest: Vec<Job>,
}

impl Jobs {
    fn push(&mut self, job: Job) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(job);
        } else {
            self.rest.push(job);
        }
    }
}

impl Job {
    /// Does the job; `buf` is scratch space reused across jobs.
    pub(crate) fn run(self, buf: &mut Vec<Waker>) {
        match self {
            Job::Wake(waker) => waker.wake(),
            Job::WakeWaiters(node) => node.wake_waiters(buf),
        }
    }
}

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
    /// The node's own cause, stored in the critical section that set
    /// `CANCELLED`; `None` for a node marked by its parent (`INHERITED`).
    cause: Option<Cause>,
    /// Live children, held weakly; taken by the cancel.
    children: Slab<Weak<Node>>,
    /// Wakers of pending `cancelled()` futures; taken by the cancel (or, for
    /// a marked node, by a job of its parent's cancel).
    waiters: Waiters,
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
    fn drain(&mut self) -> impl DoubleEndedIterator<Item = T> + '_ {
        self.free.clear();
        self.entries.drain(..).flatten()
    }
}

/// The waiters of a node: the first inline (most scopes have one waiter
/// at a time, and a cancel then touches no list buffer), the rest in a slab.
#[derive(Default)]
struct Waiters {
    first: Option<Waker>,
    rest: Slab<Waker>,
}

/// The slot of `Waiters::first`.
const FIRST: u32 = u32::MAX;

impl Waiters {
    fn insert(&mut self, waker: Waker) -> u32 {
        if self.first.is_none() {
            self.first = Some(waker);
            return FIRST;
        }
        self.rest.insert(waker)
    }

    fn get_mut(&mut self, slot: u32) -> Option<&mut Waker> {
        match slot {
            FIRST => self.first.as_mut(),
            slot => self.rest.get_mut(slot),
        }
    }

    fn remove(&mut self, slot: u32) -> Option<Waker> {
        match slot {
            FIRST => self.first.take(),
            slot => self.rest.remove(slot),
        }
    }

    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    fn drain(&mut self) -> impl Iterator<Item = Waker> + '_ {
        self.first.take().into_iter().chain(self.rest.drain())
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

    /// The cause, once cancelled: the node's own, or, for a node its parent
    /// marked, its parent's (and so on up).
    pub(crate) fn cause(&self) -> Option<Cause> {
        let mut node = self;
        loop {
            if !node.is_cancelled() {
                return None;
            }
            // An own cause is stored under the lock in the same critical
            // section that set the bit.
            if let Some(cause) = node.lock().as_ref().and_then(|extra| extra.cause.clone()) {
                return Some(cause);
            }
            // No own cause: a parent marked this node (`INHERITED`), after
            // its own cause was stored. Children keep their parent alive.
            node = node.parent.as_deref()?;
        }
    }

    /// A child of `parent`: cancelled with it, never the reverse.
    pub(crate) fn child(parent: &Arc<Node>) -> Arc<Node> {
        let mut guard = parent.lock();
        // One read-modify-write decides against a marking cancel: either it
        // sees `HAS_CHILDREN` (and locks, after us, to take the child) or we
        // see `CANCELLED` (and the child is born cancelled).
        let prev = parent.state.fetch_or(HAS_CHILDREN, Ordering::AcqRel);
        if prev & CANCELLED != 0 {
            drop(guard);
            return Node::born_cancelled(parent.cause());
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
            // As in `child`: one read-modify-write against a marking cancel.
            let prev = parent.state.fetch_or(HAS_CHILDREN, Ordering::AcqRel);
            if prev & CANCELLED != 0 {
                drop(guard);
                // The first cancelled parent gives its cause; the others
                // need not know this node.
                cancelled_by = Some(parent.cause());
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
            node.cancel(cause.unwrap_or_else(Cause::cancelled));
        }
        node
    }

    /// Cancels this node with `cause`, marks every live descendant, and
    /// has their waiters woken. Returns `false` if it was already cancelled
    /// (the first cause wins, and its cancel reaches the descendants).
    pub(crate) fn cancel(&self, cause: Cause) -> bool {
        let mut jobs = Jobs::default();
        let mut pending = Vec::new();
        if !self.cancel_locked(cause.clone(), &mut jobs, &mut pending) {
            return false;
        }
        // Depth-first without recursion: a deep chain cannot overflow the
        // stack. Children are pushed in reverse, so they are marked, and
        // their tasks woken, in the order they were made (the order their
        // handles are usually joined in).
        while let Some(child) = pending.pop() {
            Node::mark(child, &cause, &mut jobs, &mut pending);
        }
        crate::wake::run(jobs);
        true
    }

    /// The cancel of a node that stores its own cause: with its lock held,
    /// flips the bit, stores `cause`, takes its waiters (as jobs) and its
    /// live children (to `pending`). `false` if it was already cancelled.
    fn cancel_locked(&self, cause: Cause, jobs: &mut Jobs, pending: &mut Vec<Arc<Node>>) -> bool {
        let mut guard = self.lock();
        let prev = self.state.fetch_or(CANCELLED, Ordering::AcqRel);
        if prev & CANCELLED != 0 {
            return false;
        }
        let extra = guard.get_or_insert_with(Box::default);
        // Readers of the cause lock first, so they see it with the bit.
        extra.cause = Some(cause);
        for waker in extra.waiters.drain() {
            jobs.push(Job::Wake(waker));
        }
        pending.reserve(extra.children.len());
        // A child whose last handle is being dropped right now cannot be
        // upgraded: it is leaving, and needs no cancel.
        pending.extend(
            extra
                .children
                .drain()
                .rev()
                .filter_map(|weak| weak.upgrade()),
        );
        // Most children are leaves with one waiter: one job each.
        jobs.rest.reserve(pending.len());
        true
    }

    /// Marks `node`, cancelled by its parent's cancel, without its lock
    /// unless it has children to visit: one read-modify-write for a leaf.
    /// Its waiters are woken by a job, later, under its lock.
    fn mark(node: Arc<Node>, cause: &Cause, jobs: &mut Jobs, pending: &mut Vec<Arc<Node>>) {
        if node.parent.is_none() {
            // A linked node has no single parent to take its cause from:
            // it stores this cancel's, the way its root does.
            node.cancel_locked(cause.clone(), jobs, pending);
            return;
        }
        let prev = node.state.fetch_or(CANCELLED | INHERITED, Ordering::AcqRel);
        if prev & CANCELLED != 0 {
            // Cancelled already: that cancel visits its subtree.
            return;
        }
        if prev & HAS_CHILDREN != 0 {
            // A child being added now holds the lock until it is in the list.
            if let Some(extra) = node.lock().as_mut() {
                pending.extend(
                    extra
                        .children
                        .drain()
                        .rev()
                        .filter_map(|weak| weak.upgrade()),
                );
            }
        }
        if prev & HAS_WAITERS != 0 {
            jobs.push(Job::WakeWaiters(node));
        }
    }

    /// Takes the waiters of a marked node and wakes them (a job of its
    /// parent's cancel), reusing `buf` across nodes.
    fn wake_waiters(&self, buf: &mut Vec<Waker>) {
        if let Some(extra) = self.lock().as_mut() {
            buf.extend(extra.waiters.drain());
        }
        for waker in buf.drain(..) {
            waker.wake();
        }
    }

    /// Polls a `cancelled()` future: ready once cancelled, otherwise its
    /// waker is registered (or refreshed) in `slot`.
    pub(crate) fn poll_cancelled(&self, slot: &mut Option<u32>, waker: &Waker) -> Poll<()> {
        if self.is_cancelled() {
            // A registered waker is (or was) woken by the cancel's jobs.
            *slot = None;
            // Woken, so lend a hand with the wake-ups of a large cancel.
            crate::wake::help();
            return Poll::Ready(());
        }
        let mut guard = self.lock();
        // One read-modify-write decides against a marking cancel: either it
        // sees `HAS_WAITERS` (and its job locks, after us, to take the
        // waker) or we see `CANCELLED`.
        let prev = self.state.fetch_or(HAS_WAITERS, Ordering::AcqRel);
        if prev & CANCELLED != 0 {
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
        // After a cancel the waker belongs to the cancel's jobs (a spurious
        // wake at worst), and the slot may be gone.
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
        if self.is_cancelled() {
            return;
        }
        let mut guard = self.lock();
        // A cancelled node's children are taken by its cancel; the slot may
        // be gone.
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
