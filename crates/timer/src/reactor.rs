//! Deadlines woken by a tokio runtime's own reactor, with no second thread.
//!
//! Each runtime gets one nonblocking `timerfd`, registered with its I/O
//! driver through `AsyncFd`, and one task that reads it and wakes what is
//! due. The runtime's thread parked in `epoll_wait` is the thread the
//! expiry wakes: where the timer thread must wake first and then wake the
//! runtime's thread (two wake-ups, the cost `ARCHITECTURE.md` measures), this
//! is one, as async-io's timer is on async-std and smol.
//!
//! Reactors are found by the runtime's `Id`. When the runtime shuts down it
//! drops the task, which closes the reactor: every entry is woken and
//! arms again elsewhere, and nothing may be inserted any more.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Waker;
use std::time::Instant;

use ::tokio::io::Interest;
use ::tokio::io::unix::AsyncFd;
use ::tokio::runtime::{Handle, Id, RuntimeFlavor};
use rustix::fd::OwnedFd;

use crate::driver::{Key, Timers, arm_timerfd};

/// One runtime's deadlines and the timerfd its reactor watches.
pub(crate) struct Reactor {
    timers: Timers,
    fd: AsyncFd<OwnedFd>,
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("armed", &self.timers.len())
            .finish_non_exhaustive()
    }
}

/// The live reactors, by runtime.
static REACTORS: Mutex<Vec<(Id, Arc<Reactor>)>> = Mutex::new(Vec::new());

fn reactors() -> MutexGuard<'static, Vec<(Id, Arc<Reactor>)>> {
    // Only a failed allocation or tokio's "IO is disabled" panics under it.
    REACTORS.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Reactor {
    /// Arms a deadline that wakes `waker` at `at` or later; `None` once the
    /// runtime has shut down.
    pub(crate) fn insert(&self, at: Instant, waker: &Waker) -> Option<Key> {
        self.timers
            .insert(at, waker, |at| arm_timerfd(self.fd.get_ref(), at))
    }

    /// Replaces the waker of `key`; `false` if the entry is gone.
    pub(crate) fn update(&self, key: Key, waker: &Waker) -> bool {
        self.timers.update(key, waker)
    }

    /// Removes `key`'s entry, if it is still there.
    pub(crate) fn remove(&self, key: Key) {
        self.timers.remove(key);
    }
}

/// The reactor of the tokio runtime whose context this thread is in,
/// started on first use. `None` outside a tokio runtime, on a multi-thread
/// runtime outside its tasks, or where no timerfd can be made.
///
/// # Panics
///
/// Inside a tokio runtime built without I/O (`enable_io`), as tokio's own
/// I/O types do.
pub(crate) fn current() -> Option<Arc<Reactor>> {
    let handle = Handle::try_current().ok()?;
    // The expiry wakes a thread parked in the runtime's I/O driver: a
    // current-thread runtime's own thread, or a multi-thread runtime's
    // worker. A multi-thread runtime's `block_on` thread is neither (it is
    // outside any task): the worker would have to run the reactor's task and
    // then wake it, which the timer thread does sooner.
    if handle.runtime_flavor() != RuntimeFlavor::CurrentThread && ::tokio::task::try_id().is_none()
    {
        return None;
    }
    let id = handle.id();
    let mut live = reactors();
    if let Some((_, reactor)) = live.iter().find(|(at, _)| *at == id) {
        return Some(Arc::clone(reactor));
    }
    use rustix::time::{TimerfdClockId, TimerfdFlags, timerfd_create};
    // Nonblocking: the task reads it only when the reactor says it is ready.
    let fd = timerfd_create(
        TimerfdClockId::Monotonic,
        TimerfdFlags::CLOEXEC | TimerfdFlags::NONBLOCK,
    )
    .ok()?;
    #[allow(unsafe_code)]
    // SAFETY: an `OwnedFd` is an open descriptor that stays open and the
    // same for as long as it is owned, here by the `AsyncFd`.
    let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.ok()?;
    let reactor = Arc::new(Reactor {
        timers: Timers::new(),
        fd,
    });
    live.push((id, Arc::clone(&reactor)));
    drop(live);
    // Detached: it lives as long as the runtime, which drops it at shutdown.
    drop(handle.spawn(drive(id, Arc::clone(&reactor))));
    Some(reactor)
}

/// How many deadlines every live reactor holds.
pub(crate) fn armed() -> usize {
    reactors().iter().map(|(_, r)| r.timers.len()).sum()
}

/// The runtime's task: waits for the timerfd to expire and wakes what is due.
fn drive(id: Id, reactor: Arc<Reactor>) -> impl Future<Output = ()> + Send + 'static {
    // Made before the future: a task dropped before its first poll (a
    // runtime that shuts down first) must close the reactor too.
    let close = Close(id, Arc::clone(&reactor));
    async move {
        let _close = close;
        run(&reactor).await;
    }
}

/// Waits for the timerfd to expire and wakes what is due, until the runtime
/// shuts down.
async fn run(reactor: &Reactor) {
    loop {
        // An error means the runtime is shutting down.
        let Ok(mut ready) = reactor.fd.readable().await else {
            return;
        };
        let mut expirations = [0_u8; 8];
        // `try_io` clears the readiness when the read would block, so the
        // next `readable` waits for the next expiry.
        match ready.try_io(|fd| {
            rustix::io::read(fd.get_ref(), &mut expirations).map_err(std::io::Error::from)
        }) {
            Ok(_) => reactor
                .timers
                .fire(|at| arm_timerfd(reactor.fd.get_ref(), at)),
            Err(_would_block) => {}
        }
    }
}

/// Closes the reactor when its task is dropped: the runtime is gone, so no
/// deadline may wait on it.
struct Close(Id, Arc<Reactor>);

impl Drop for Close {
    fn drop(&mut self) {
        let removed = {
            let mut live = reactors();
            let at = live
                .iter()
                .position(|(id, r)| *id == self.0 && Arc::ptr_eq(r, &self.1));
            at.map(|at| live.swap_remove(at))
        };
        // The registry's reference is dropped outside its lock.
        drop(removed);
        self.1.timers.close();
    }
}
