//! The `child` workload: a wait on a child process that would run for
//! [`NATURAL`] (`sleep`), cancelled while the work waits.
//!
//! Observed from outside the work, in `/proc`: a thread reads
//! `/proc/<pid>/stat` in a loop from before the cancel on, and stamps when
//! the child first shows as a zombie (state `Z`: it exited, nobody has
//! collected its status yet) and when its entry is gone (it was reaped).
//! The release is the reap: a killed child that is never waited for stays
//! a zombie, holding its pid and its entry in the process table. The
//! child is known by its pid and its start time, so a pid taken by a
//! later process is not mistaken for it, and killed by the observer only
//! through its pidfd, which cannot reach another process.
//!
//! The work, in each form:
//!
//! - forced: a plain future awaiting the runtime's `Child` (tokio's, or
//!   async-process's on async-std and smol), spawned with `kill_on_drop`;
//!   dropping it sends `SIGKILL`, and the runtime reaps the child in the
//!   background (tokio's orphan queue when a driver next sees a
//!   `SIGCHLD`, see [`nudges`];
//!   async-process's reaper thread);
//! - cooperative: the stop raced against the wait (a wait is cancel safe);
//!   when the stop wins, the work kills the child and awaits the wait, so
//!   the child is reaped before the work returns;
//! - blocking: `std::process::Child::wait` on the thread, with an on-stop
//!   hook that kills the child through its pidfd; the blocked `wait`
//!   returns and reaps it.
//!
//! The floor, `child_kill`, is the same child killed and reaped the way
//! the form's work does it, with no strategy around it (see [`Floor`]).

use std::fmt;
use std::io;
use std::os::fd::{AsFd as _, OwnedFd};
use std::pin::pin;
use std::process::ExitStatus;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cancel_conformance::{Play, Stop, Subject};
use cancel_contract::{CancelHandle, Cancellation};
use cancel_harness::runtime::real_io::{ChildSpec, Io};
use cancel_harness::runtime::{Runtime, RuntimeHandle};
use futures_lite::FutureExt as _;
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::process::{
    Pid, PidfdFlags, Signal, WaitId, WaitIdOptions, pidfd_open, pidfd_send_signal, waitid,
};

use crate::{Form, Row, WAIT_LIMIT, Workload, beside, bounded, runtime, yield_until};

/// How often a runtime waiting for a child's reap is woken by its timer
/// (see `Watcher::finish_on`).
const TICK: Duration = Duration::from_millis(1);

/// How long a watcher waits for a reap before it runs another child
/// (see [`nudges`]): hundreds of times a reap's usual time.
const NUDGE_AFTER: Duration = Duration::from_millis(500);

static NUDGES: AtomicUsize = AtomicUsize::new(0);

/// How many times, in this process, a cancelled child was still not reaped
/// half a second after its cancel, so that the watcher ran another child.
///
/// Seen in a soak of 28 000 cancels with two tests running at once: a
/// child tokio killed on drop (`kill_on_drop`) stayed a zombie past the
/// wait limit, with its runtime woken every millisecond. tokio drains its
/// orphan queue when a driver sees a `SIGCHLD` notification it has not
/// consumed yet; the likely way to miss one is a notification consumed
/// between the drop's kill and its push onto the queue (by a driver on
/// another thread), after which the child waits for the process's next
/// `SIGCHLD`. Another child's exit is one.
pub fn nudges() -> usize {
    NUDGES.load(Ordering::Relaxed)
}

/// How long the child runs when nothing stops it: far beyond [`WAIT_LIMIT`],
/// so a child that was not killed shows as one, never as one that ended.
pub const NATURAL: Duration = Duration::from_secs(30);

/// The child: `sleep` for [`NATURAL`], its standard streams null, killed
/// when its runtime `Child` is dropped if `kill_on_drop`.
pub fn spec(kill_on_drop: bool) -> ChildSpec {
    ChildSpec {
        program: "sleep".to_owned(),
        args: vec![NATURAL.as_secs().to_string()],
        kill_on_drop,
    }
}

/// What `/proc` says of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Alive, with its state letter (`S` sleeping, `R` running, …).
    Alive(char),
    /// Exited and not yet reaped (`Z`): its parent has not collected its
    /// status.
    Zombie,
    /// No entry (or another process's under its pid): it was reaped.
    Gone,
}

/// One line of `/proc/<pid>/stat`, the fields this module reads.
#[derive(Debug, Clone, Copy)]
struct Stat {
    state: char,
    ppid: u32,
    /// Clock ticks after boot: with the pid, who the process is.
    start: u64,
}

/// Reads `/proc/<pid>/stat`; `None` when there is no such process.
fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Parses a `stat` line: `pid (comm) state ppid … starttime …`, where
/// `comm` may hold spaces and parentheses, so fields count from its last
/// `)`.
fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    // After the state and the ppid, starttime is the 18th field (field 22
    // of the line).
    let start = fields.nth(17)?.parse().ok()?;
    Some(Stat { state, ppid, start })
}

/// A process known by its pid and start time, so that a later process
/// that takes the pid is not it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ident {
    pid: u32,
    start: u64,
}

impl Ident {
    /// The process's id.
    pub fn pid(self) -> u32 {
        self.pid
    }

    /// What `/proc` says of it now.
    pub fn state(self) -> State {
        match stat(self.pid) {
            Some(s) if s.start == self.start && s.state == 'Z' => State::Zombie,
            Some(s) if s.start == self.start => State::Alive(s.state),
            _ => State::Gone,
        }
    }
}

/// A child of this process, watched from outside its owner: its identity
/// and a pidfd, through which it can be killed without the risk of killing
/// whatever process has its pid later.
///
/// Dropping it kills the process if it is still alive, so no error path
/// leaves a child running; reaping stays its owner's job.
pub struct Proc {
    ident: Ident,
    pidfd: OwnedFd,
}

impl fmt::Debug for Proc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proc").field("ident", &self.ident).finish()
    }
}

impl Proc {
    /// The process `pid`, which must be alive and a child of this process.
    pub fn of(pid: u32) -> Result<Proc, String> {
        let raw = i32::try_from(pid).map_err(|_| format!("pid {pid} is out of range"))?;
        let id = Pid::from_raw(raw).ok_or_else(|| format!("pid {pid} is not a process id"))?;
        let before = stat(pid).ok_or_else(|| format!("process {pid} is not in /proc"))?;
        let pidfd =
            pidfd_open(id, PidfdFlags::empty()).map_err(|e| format!("no pidfd for {pid}: {e}"))?;
        // The pidfd names whoever had the pid when it was opened: the same
        // start time after the open means it names the process just read.
        let after = stat(pid).ok_or_else(|| format!("process {pid} went before its pidfd"))?;
        if after.start != before.start {
            return Err(format!("pid {pid} changed hands while its pidfd opened"));
        }
        if after.ppid != std::process::id() {
            return Err(format!("process {pid} is not a child of this process"));
        }
        Ok(Proc {
            ident: Ident {
                pid,
                start: after.start,
            },
            pidfd,
        })
    }

    /// Who it is.
    pub fn ident(&self) -> Ident {
        self.ident
    }

    /// What `/proc` says of it now.
    pub fn state(&self) -> State {
        self.ident.state()
    }

    /// Sends it `SIGKILL` through its pidfd (an error once it was reaped).
    pub fn kill(&self) -> io::Result<()> {
        Ok(pidfd_send_signal(&self.pidfd, Signal::KILL)?)
    }

    /// Reaps it if it has exited, as its owner would, without waiting:
    /// for a child whose owner never will (a dropped
    /// `std::process::Child`). `true` when it was reaped here.
    pub fn reap(&self) -> io::Result<bool> {
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG;
        Ok(waitid(WaitId::PidFd(self.pidfd.as_fd()), options)?.is_some())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.state(), State::Alive(_)) {
            // Only a failed observation gets here with the child alive:
            // kill it so it does not run on for its natural length.
            let _ = self.kill();
        }
    }
}

/// The children of this process `/proc` lists now, with their states.
pub fn children() -> Vec<(u32, State)> {
    let me = std::process::id();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .filter(|(_, s)| s.ppid == me)
        .map(|(pid, s)| {
            let state = if s.state == 'Z' {
                State::Zombie
            } else {
                State::Alive(s.state)
            };
            (pid, state)
        })
        .collect()
}

/// What the watcher saw of one child after it started looking.
#[derive(Debug, Clone, Copy)]
pub struct Watched {
    /// When it saw the child had exited (its pidfd readable).
    pub exited: Option<Instant>,
    /// When it first saw the child's entry gone: it was reaped.
    pub reaped: Option<Instant>,
    /// Its state when the watcher stopped looking.
    pub last: State,
}

/// A thread that waits for the child to exit on its pidfd, then reads its
/// `/proc` entry until it is gone, each for at most [`WAIT_LIMIT`].
#[derive(Debug)]
struct Watcher {
    seen: mpsc::Receiver<Watched>,
}

impl Watcher {
    /// Starts watching `proc`.
    fn start(proc: &Proc) -> Result<Watcher, String> {
        let ident = proc.ident();
        let pidfd = proc
            .pidfd
            .try_clone()
            .map_err(|e| format!("no pidfd for the watcher: {e}"))?;
        let (tx, seen) = mpsc::channel();
        std::thread::Builder::new()
            .name("child-watch".into())
            .spawn(move || {
                let watched = watch(ident, &pidfd);
                // Closed before the report: whoever reads it may count the
                // process's descriptors next.
                drop(pidfd);
                let _ = tx.send(watched);
            })
            .map_err(|e| format!("no thread to watch the child: {e}"))?;
        Ok(Watcher { seen })
    }

    /// What it saw, once it stopped looking.
    fn finish(self) -> Result<Watched, String> {
        self.seen
            .recv_timeout(WAIT_LIMIT + Duration::from_secs(1))
            .map_err(|_| "the watcher reported nothing".to_owned())
    }

    /// [`finish`](Watcher::finish) from a runtime: on its blocking pool, so
    /// the runtime's own threads are free to run the reaper meanwhile.
    ///
    /// The runtime's timer wakes it every [`TICK`] while it waits, as a
    /// program with any timer would be woken. If the child is still not
    /// reaped after [`NUDGE_AFTER`], another child is run and waited for,
    /// once: its `SIGCHLD` is what tokio's orphan queue waits for (see
    /// [`nudges`]).
    async fn finish_on<H: RuntimeHandle>(self, rt: &H) -> Result<Watched, String> {
        let start = Instant::now();
        let mut nudged = false;
        let mut watched = pin!(rt.spawn_blocking(move || self.finish()));
        loop {
            if let Some(watched) = rt.timeout(TICK, watched.as_mut()).await {
                return watched;
            }
            if !nudged && start.elapsed() > NUDGE_AFTER {
                nudged = true;
                NUDGES.fetch_add(1, Ordering::Relaxed);
                // A failure to run it leaves the wait as it was.
                let _ = rt
                    .spawn_blocking(|| std::process::Command::new("true").status())
                    .await;
            }
        }
    }
}

/// What [`Watcher`]'s thread does: sleep in `poll` on the pidfd, which
/// wakes it when the child exits (the pidfd is readable from then on,
/// reaped or not), then read `/proc` in a loop until the entry is gone. A
/// loop from the start would take a core from the exit it waits for.
fn watch(ident: Ident, pidfd: &OwnedFd) -> Watched {
    let begin = Instant::now();
    let limit = Timespec {
        tv_sec: WAIT_LIMIT.as_secs() as i64,
        tv_nsec: 0,
    };
    let mut fds = [PollFd::new(pidfd, PollFlags::IN)];
    let exited = loop {
        match poll(&mut fds, Some(&limit)) {
            Ok(0) => break None,
            Ok(_) => break Some(Instant::now()),
            // A signal cut the sleep short: sleep again, within the limit.
            Err(rustix::io::Errno::INTR) if begin.elapsed() < WAIT_LIMIT => {}
            Err(_) => break None,
        }
    };
    if exited.is_none() {
        return Watched {
            exited,
            reaped: None,
            last: ident.state(),
        };
    }
    loop {
        let state = ident.state();
        if state == State::Gone {
            return Watched {
                exited,
                reaped: Some(Instant::now()),
                last: state,
            };
        }
        if begin.elapsed() > WAIT_LIMIT {
            return Watched {
                exited,
                reaped: None,
                last: state,
            };
        }
        // Another read at once: a sleep would add its own wake-up to what
        // is timed. Exit to reap is short; the yield leaves the core to
        // the reaper if it needs it.
        std::thread::yield_now();
    }
}

/// The work: start the child, publish its pid on `pid`, wait for it.
#[derive(Debug)]
pub struct ChildWait<I> {
    pid: Arc<AtomicU32>,
    io: std::marker::PhantomData<fn() -> I>,
}

impl<I: Io> ChildWait<I> {
    /// Work waiting on a child through `I`'s processes, publishing its pid
    /// on `pid` once it started.
    pub fn new(pid: Arc<AtomicU32>) -> Self {
        ChildWait {
            pid,
            io: std::marker::PhantomData,
        }
    }
}

impl<I: Io + 'static> Play for ChildWait<I> {
    type Output = io::Result<ExitStatus>;

    async fn forced<H: RuntimeHandle>(self, _rt: H) -> io::Result<ExitStatus> {
        // `kill_on_drop`: dropping this future drops the `Child`, which
        // kills the process; the runtime reaps it in the background.
        let mut child = I::spawn_child(&spec(true))?;
        self.pid
            .store(I::child_id(&child).unwrap_or(0), Ordering::SeqCst);
        I::wait(&mut child).await
    }

    async fn until<H, S, K, C>(
        self,
        _rt: H,
        stop: S,
        _child: Option<K>,
    ) -> Option<io::Result<ExitStatus>>
    where
        H: RuntimeHandle,
        S: Future<Output = ()> + Send + 'static,
        K: FnOnce() -> C + Send + 'static,
        C: Future<Output = ()> + Send + 'static,
    {
        let mut child = match I::spawn_child(&spec(false)) {
            Ok(c) => c,
            Err(e) => return Some(Err(e)),
        };
        self.pid
            .store(I::child_id(&child).unwrap_or(0), Ordering::SeqCst);
        let stop = pin!(stop);
        // The stop races the wait; a wait that loses is dropped, which
        // leaves the child as it was (waits are cancel safe).
        let first = async { Some(I::wait(&mut child).await) }
            .or(async {
                stop.await;
                None
            })
            .await;
        match first {
            Some(status) => Some(status),
            None => {
                // Told to stop: kill, then wait, which reaps the child
                // before the work returns.
                let _ = I::kill(&mut child);
                let _ = I::wait(&mut child).await;
                None
            }
        }
    }

    fn blocking<S: Stop>(self, stop: S) -> Option<io::Result<ExitStatus>> {
        let mut child = match spec(false).command().spawn() {
            Ok(c) => c,
            Err(e) => return Some(Err(e)),
        };
        let pidfd = match pidfd_open(Pid::from_child(&child), PidfdFlags::empty()) {
            Ok(fd) => fd,
            Err(e) => {
                // No way to kill it on a stop: end it now rather than wait
                // deaf to the stop for its natural length.
                let _ = child.kill();
                let _ = child.wait();
                return Some(Err(e.into()));
            }
        };
        // A blocked `wait` never looks at the flag: killing the child makes
        // it return. Through the pidfd: once `wait` has reaped the child,
        // its pid may be someone else's.
        let _hook = stop.on_stop(move || {
            let _ = pidfd_send_signal(&pidfd, Signal::KILL);
        });
        self.pid.store(child.id(), Ordering::SeqCst);
        let status = child.wait();
        if stop.is_stopped() {
            None
        } else {
            Some(status)
        }
    }
}

/// One cancel of one child: when the cancel was issued and returned, what
/// the child's state was when it returned, and what the watcher saw.
#[derive(Debug)]
pub struct Cancelled {
    /// When the cancel was issued.
    pub cancel_at: Instant,
    /// When the cancel returned.
    pub returned_at: Instant,
    /// The child's state read just after the cancel returned.
    pub at_return: State,
    /// What the watcher saw.
    pub watched: Watched,
    /// Who the child was.
    pub ident: Ident,
}

impl Cancelled {
    /// Cancel → the child's entry gone (reaped); up to when the watcher
    /// gave up if it never went.
    pub fn latency(&self) -> Duration {
        let end = self.watched.reaped.unwrap_or(self.cancel_at + WAIT_LIMIT);
        end.saturating_duration_since(self.cancel_at)
    }

    /// The child was reaped when the cancel returned.
    pub fn reaped_by_return(&self) -> bool {
        self.at_return == State::Gone
    }
}

/// Waits on `rt` until `proc` sleeps in its `sleep`: started, and waited on.
async fn until_asleep<H: RuntimeHandle>(rt: &H, proc: &Proc) -> Result<(), String> {
    if yield_until(rt, || proc.state() == State::Alive('S')).await {
        Ok(())
    } else {
        Err(format!(
            "the child was not asleep {WAIT_LIMIT:?} after its start: {:?}",
            proc.state()
        ))
    }
}

/// Starts the work under `S` on `rt`, waits until its child sleeps, cancels
/// it, and watches the child until it is reaped. The cancel must return
/// `Stopped`.
pub fn cancel_one<S: Subject<R>, R: Runtime>(rt: &R) -> Result<Cancelled, String> {
    let h = rt.handle();
    rt.block_on(async {
        let pid = Arc::new(AtomicU32::new(0));
        let handle = S::start(&h, ChildWait::<R::Handle>::new(Arc::clone(&pid)));
        if !yield_until(&h, || pid.load(Ordering::SeqCst) != 0).await {
            return Err("the work never started its child".to_owned());
        }
        let proc = Proc::of(pid.load(Ordering::SeqCst))?;
        until_asleep(&h, &proc).await?;
        let watcher = Watcher::start(&proc)?;
        let cancel_at = Instant::now();
        let result = bounded(&h, "the cancel", handle.cancel()).await?;
        let returned_at = Instant::now();
        let at_return = proc.state();
        let watched = watcher.finish_on(&h).await?;
        match result {
            Ok(Cancellation::Stopped) => Ok(Cancelled {
                cancel_at,
                returned_at,
                at_return,
                watched,
                ident: proc.ident(),
            }),
            Ok(Cancellation::Finished(out)) => Err(format!("the work finished instead: {out:?}")),
            Err(e) => Err(format!("the cancel failed: {e}")),
        }
    })
}

/// Drops one child spawned with `kill_on_drop` on `rt` and keeps the
/// runtime busy until it is reaped, so the runtime's reaper is set up as it
/// is in a process that has dropped a child before.
///
/// tokio sets up its orphan queue's `SIGCHLD` listener only after its
/// driver wakes with an orphan queued: the first child a process drops
/// stays a zombie while the runtime sleeps, until something else wakes it
/// (`tokio_reaps_the_first_dropped_child_only_when_its_driver_wakes`).
pub fn warm_up<R: Runtime>(rt: &R) -> Result<(), String> {
    let h = rt.handle();
    rt.block_on(async {
        let child = R::Handle::spawn_child(&spec(true))
            .map_err(|e| format!("the warm-up child did not start: {e}"))?;
        let proc = Proc::of(R::Handle::child_id(&child).ok_or("the warm-up child has no pid")?)?;
        until_asleep(&h, &proc).await?;
        // The child is killed here; yields keep the runtime's driver
        // turning until it has been reaped.
        drop(child);
        if yield_until(&h, || proc.state() == State::Gone).await {
            Ok(())
        } else {
            Err(format!(
                "the warm-up child was not reaped within {WAIT_LIMIT:?}: {:?}",
                proc.state()
            ))
        }
    })
}

/// The bare ways a child is killed and reaped, with no strategy around
/// them: what a figure is read against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Floor {
    /// The runtime's `Child`, spawned with `kill_on_drop`, dropped by the
    /// canceller: the runtime reaps it in the background. Drop → reaped.
    Drop,
    /// The runtime's `Child` killed and awaited by the canceller on the
    /// runtime. Kill → reaped.
    KillWait,
    /// A `std::process::Child` waited on by a thread of its own, killed
    /// from the canceller's thread. Kill → reaped.
    StdKillWait,
}

impl Floor {
    /// The bare mechanism of `form`'s own release: forced work's child is
    /// dropped, cooperative work kills and awaits its runtime child,
    /// blocking work's thread is blocked in std's `wait` when the child is
    /// killed.
    pub const fn of(form: Form) -> Floor {
        match form {
            Form::Forced => Floor::Drop,
            Form::Cooperative => Floor::KillWait,
            Form::Blocking => Floor::StdKillWait,
        }
    }

    /// Its name in details.
    pub const fn name(self) -> &'static str {
        match self {
            Floor::Drop => "the runtime's Child dropped with kill_on_drop",
            Floor::KillWait => "the runtime's Child killed and awaited",
            Floor::StdKillWait => "std's Child killed while a thread waits on it",
        }
    }

    /// One sample on `rt`: the bare release → the child's entry gone.
    pub fn sample<R: Runtime>(self, rt: &R) -> Result<Duration, String> {
        match self {
            Floor::Drop | Floor::KillWait => runtime_floor(rt, self),
            Floor::StdKillWait => std_floor(),
        }
    }
}

/// [`Floor::Drop`] and [`Floor::KillWait`] on `rt`.
fn runtime_floor<R: Runtime>(rt: &R, floor: Floor) -> Result<Duration, String> {
    let h = rt.handle();
    rt.block_on(async {
        let mut child = R::Handle::spawn_child(&spec(floor == Floor::Drop))
            .map_err(|e| format!("the floor's child did not start: {e}"))?;
        let proc = match R::Handle::child_id(&child).ok_or_else(|| "no pid".to_owned()) {
            Ok(pid) => Proc::of(pid),
            Err(e) => Err(e),
        };
        let proc = match proc {
            Ok(p) => p,
            Err(e) => {
                let _ = R::Handle::kill(&mut child);
                return Err(format!("the floor's child: {e}"));
            }
        };
        until_asleep(&h, &proc).await?;
        let watcher = Watcher::start(&proc)?;
        let t0 = Instant::now();
        if floor == Floor::Drop {
            // The bare release of forced work: the handle dropped.
            drop(child);
        } else {
            R::Handle::kill(&mut child).map_err(|e| format!("the floor's kill failed: {e}"))?;
            bounded(&h, "the floor's wait", R::Handle::wait(&mut child))
                .await?
                .map_err(|e| format!("the floor's wait failed: {e}"))?;
        }
        let watched = watcher.finish_on(&h).await?;
        let reaped = watched.reaped.ok_or_else(|| {
            format!(
                "the floor's child was not reaped within {WAIT_LIMIT:?}: {:?}",
                watched.last
            )
        })?;
        Ok(reaped.saturating_duration_since(t0))
    })
}

/// [`Floor::StdKillWait`]: a thread blocked in std's `wait`, the child
/// killed from this one.
fn std_floor() -> Result<Duration, String> {
    let mut child = spec(false)
        .command()
        .spawn()
        .map_err(|e| format!("the floor's child did not start: {e}"))?;
    let proc = match Proc::of(child.id()) {
        Ok(p) => p,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
    };
    let waiter = std::thread::Builder::new()
        .name("child-floor".into())
        .spawn(move || child.wait())
        .map_err(|e| format!("no thread for the floor's wait: {e}"))?;
    let start = Instant::now();
    while proc.state() != State::Alive('S') {
        if start.elapsed() > WAIT_LIMIT {
            return Err("the floor's child never slept".to_owned());
        }
        std::thread::yield_now();
    }
    let watcher = Watcher::start(&proc)?;
    let t0 = Instant::now();
    proc.kill()
        .map_err(|e| format!("the floor's kill failed: {e}"))?;
    let watched = watcher.finish()?;
    // The waiter returns once the child is reaped, which the watcher saw.
    let _ = waiter.join();
    let reaped = watched
        .reaped
        .ok_or("the floor's child was not reaped in time")?;
    Ok(reaped.saturating_duration_since(t0))
}

/// Whether a cancel of `form`'s work reaps the child before the cancel
/// returns. Every form kills and reaps it; forced work's reap is the
/// runtime's, in the background, so it may come after the cancel returned.
const fn predicted_reaped_by_return(form: Form) -> Option<bool> {
    match form {
        Form::Forced => None,
        Form::Cooperative | Form::Blocking => Some(true),
    }
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// Runs the workload under `S` on `R`, `samples` cancels.
pub(crate) fn observe<S: Subject<R>, R: Runtime>(samples: usize) -> Row {
    let failed = |why: String| Row::failed::<S, R>(Workload::Child, why);
    let form = Form::of::<S, R>();
    let rt = match runtime::<R>() {
        Ok(rt) => rt,
        Err(e) => return failed(e),
    };
    if let Err(e) = warm_up(&rt) {
        return failed(e);
    }
    let floor = Floor::of(form);
    let taken = beside(samples, || cancel_one::<S, R>(&rt), || floor.sample(&rt));
    let (cancels, floors) = match taken {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    let n = cancels.len();
    let reaped = cancels
        .iter()
        .filter(|c| c.watched.reaped.is_some())
        .count();
    let zombies = cancels
        .iter()
        .filter(|c| c.watched.last == State::Zombie)
        .count();
    let running = n - reaped - zombies;
    let by_return = cancels.iter().filter(|c| c.reaped_by_return()).count();
    let released = reaped == n;
    let pass = released
        && match predicted_reaped_by_return(form) {
            Some(true) => by_return == n,
            Some(false) => by_return == 0,
            None => true,
        };
    let latest_after = cancels
        .iter()
        .filter_map(|c| Some(c.watched.reaped?.saturating_duration_since(c.returned_at)))
        .max()
        .unwrap_or_default();
    let exit_to_reap: Vec<Duration> = cancels
        .iter()
        .filter_map(|c| {
            Some(
                c.watched
                    .reaped?
                    .saturating_duration_since(c.watched.exited?),
            )
        })
        .collect();
    let outcome = if !released {
        if zombies > 0 && running == 0 {
            "zombie left".to_owned()
        } else if running > 0 && zombies == 0 {
            "child left running".to_owned()
        } else {
            format!("{zombies} zombies, {running} left running")
        }
    } else if by_return == n {
        "child reaped".to_owned()
    } else {
        "killed; reaped after the cancel".to_owned()
    };
    let mut detail = format!(
        "{form} work; {n} cancels, each of a wait on a child asleep in `sleep {}`: {reaped} \
         reaped, {zombies} left zombies and {running} left running within {WAIT_LIMIT:?}; {by_return} \
         of {n} reaped when the cancel returned",
        NATURAL.as_secs()
    );
    if by_return < reaped {
        detail.push_str(&format!(", the rest up to {} after it", us(latest_after)));
    }
    if let Some(longest) = exit_to_reap.iter().max() {
        detail.push_str(&format!(
            "; a zombie for up to {} between exit and reap",
            us(*longest)
        ));
    }
    detail.push_str(&format!("; floor: {}", floor.name()));
    Row {
        outcome,
        released,
        pass,
        detail,
        latency: cancels.iter().map(Cancelled::latency).collect(),
        floor: Some("child_kill"),
        floor_samples: floors,
        ..Row::ran::<S, R>(Workload::Child)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse_past_odd_names() {
        let line = "4242 (a (b) c) S 17 4242 4242 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 \
                    987654 5 6 7";
        let s = parse_stat(line).expect("parses");
        assert_eq!((s.state, s.ppid, s.start), ('S', 17, 987_654));
        assert!(parse_stat("4242 (x) Z").is_none());
    }

    #[test]
    fn this_process_reads_as_alive_and_its_parent_is_not_a_child() {
        let me = stat(std::process::id()).expect("this process is in /proc");
        let ident = Ident {
            pid: std::process::id(),
            start: me.start,
        };
        assert!(matches!(ident.state(), State::Alive(_)));
        let other = Ident {
            start: me.start + 1,
            ..ident
        };
        assert_eq!(
            other.state(),
            State::Gone,
            "another start time is another process"
        );
        assert!(Proc::of(me.ppid).is_err(), "the parent is not our child");
    }
}
