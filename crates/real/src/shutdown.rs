//! Graceful shutdown under load: a hyper server on loopback with many
//! requests in flight is told to stop, and what happened to every request
//! and every task it started is observed from outside.
//!
//! [`run`] starts a server one of three ways ([`Way`]), sends it
//! [`Load::requests`] concurrent requests from keep-alive clients (one
//! connection each, HTTP/1), [`Load::stragglers`] of them slower than the
//! grace, and gives the shutdown signal once every request has reached its
//! handler, so the shutdown lands in the middle of the load. It returns
//! what the clients saw ([`Observed`]: answers per status, requests lost,
//! connections tried after the signal and refused), what was left of the
//! server when its shutdown returned (a live counter every spawned task and
//! every handler holds a guard of), and the time to quiescence, signal →
//! shutdown returned.
//!
//! The three ways, each a server function written as a user would write it:
//!
//! - [`Way::TokenAndTracker`], tokio's own guide: a `CancellationToken`
//!   stops the accept loop and tells every connection to close after its
//!   request, a `TaskTracker` holds every connection task, and a second
//!   token, cancelled when the grace has passed, stops the stragglers, each
//!   answering `503`;
//! - [`Way::Scope`], the same shape on `cancel-scope`: the connections'
//!   scope is cancelled with a cause, the requests' scope (its parent) gets
//!   `cancel_after(grace)`, so the deadline is the scope's own and each
//!   straggler's `503` says why from the scope's cause; the tracker still
//!   counts the tasks;
//! - [`Way::Abort`], the server without a plan: every connection task in a
//!   `JoinSet`, `shutdown()` on the signal, so every request still in
//!   flight is lost.
//!
//! Every wait is bounded by [`WAIT_LIMIT`]: a server that never quiesces
//! is an error, never a hang.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use cancel_harness::runtime::{Runtime, TokioMultiThread};
use cancel_scope::CancelScope;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::WAIT_LIMIT;
use crate::http::{Body, get, get_keep_alive, serve_connection, serve_connection_until, text};

/// How a server shuts down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Way {
    /// tokio-util's `CancellationToken` and `TaskTracker`, a second token
    /// for the stragglers once the grace has passed.
    TokenAndTracker,
    /// `cancel-scope`: a cause on the connections' scope, a deadline on
    /// the requests' scope; a `TaskTracker` counts the tasks.
    Scope,
    /// Every connection task in a `JoinSet`, aborted on the signal.
    Abort,
}

impl Way {
    /// Every way, in report order.
    pub const ALL: [Way; 3] = [Way::TokenAndTracker, Way::Scope, Way::Abort];

    /// The name in reports: `token + tracker`, `scope`, `abort`.
    pub const fn name(self) -> &'static str {
        match self {
            Way::TokenAndTracker => "token + tracker",
            Way::Scope => "scope",
            Way::Abort => "abort",
        }
    }

    /// Whether the way is meant to lose nothing: it lets requests in
    /// flight finish and answers the stragglers.
    pub const fn is_graceful(self) -> bool {
        match self {
            Way::TokenAndTracker | Way::Scope => true,
            Way::Abort => false,
        }
    }
}

impl fmt::Display for Way {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The load a server is shut down under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// Concurrent requests, each from its own keep-alive client on its own
    /// connection (HTTP/1 answers one request at a time per connection).
    pub requests: usize,
    /// How many of them are stragglers, spread evenly: their work takes
    /// [`STRAGGLER_WORK`], far longer than any grace, so only a stop ends
    /// it.
    pub stragglers: usize,
    /// How long the other requests' work takes, from their handler's start.
    /// Shorter than `grace`, so a graceful shutdown lets them finish.
    pub work: Duration,
    /// How long the requests in flight get after the signal before the
    /// stragglers are stopped. Below [`WAIT_LIMIT`].
    pub grace: Duration,
}

/// How long a straggler's work takes if nothing stops it: longer than any
/// grace [`Load::check`] accepts.
pub const STRAGGLER_WORK: Duration = Duration::from_secs(30);

/// The most requests a run takes: each holds two descriptors (the client's
/// socket and the server's) and a place in the listener's backlog.
pub const MAX_REQUESTS: usize = 10_000;

/// Connections tried after the signal, to see that the server stopped
/// accepting: one at the signal, the rest spread over the grace.
pub const PROBES: usize = 10;

impl Load {
    /// The lab's load: a thousand requests, one in ten a straggler.
    pub const LAB: Load = Load {
        requests: 1_000,
        stragglers: 100,
        work: Duration::from_millis(100),
        grace: Duration::from_millis(500),
    };

    /// `Ok` when the load can run, else what is wrong with it.
    pub fn check(&self) -> Result<(), String> {
        if self.requests == 0 || self.requests > MAX_REQUESTS {
            return Err(format!(
                "{} requests: give 1 to {MAX_REQUESTS}",
                self.requests
            ));
        }
        if self.stragglers > self.requests {
            return Err(format!(
                "{} stragglers among {} requests: there cannot be more stragglers than requests",
                self.stragglers, self.requests
            ));
        }
        if self.grace >= WAIT_LIMIT {
            return Err(format!(
                "a grace of {:?}: give less than {WAIT_LIMIT:?}, the longest any wait may take",
                self.grace
            ));
        }
        if self.work >= self.grace {
            return Err(format!(
                "work of {:?} with a grace of {:?}: the work must be shorter than the grace, or \
                 requests that are not stragglers would be stopped too",
                self.work, self.grace
            ));
        }
        Ok(())
    }

    /// Whether request `i` (of `0..requests`) is a straggler: exactly
    /// `stragglers` of them are, spread evenly.
    pub fn is_straggler(&self, i: usize) -> bool {
        let n = self.requests.max(1);
        (i + 1) * self.stragglers / n > i * self.stragglers / n
    }
}

/// What one run saw.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The way the server shut down.
    pub way: Way,
    /// The load it ran under.
    pub load: Load,
    /// Requests that had reached their handler when the signal came (all
    /// of them, unless some never arrived within [`WAIT_LIMIT`]).
    pub reached_at_signal: usize,
    /// Of those, requests whose handler had not yet answered.
    pub in_flight_at_signal: usize,
    /// Answers with status 200.
    pub ok: usize,
    /// Answers with status 503.
    pub unavailable: usize,
    /// Answers with any other status.
    pub other: usize,
    /// The distinct bodies of the 503s: why the stragglers were stopped.
    pub unavailable_reasons: Vec<String>,
    /// Requests lost: the client saw the connection closed with no
    /// response.
    pub lost: usize,
    /// The distinct errors the lost requests' clients saw.
    pub lost_errors: Vec<String>,
    /// Keep-alive clients whose connection the server closed after their
    /// answer.
    pub closed_by_server: usize,
    /// Tasks and handlers the server started that still existed when its
    /// shutdown returned: connection tasks, and handlers in them.
    pub alive_after: usize,
    /// Connections tried after the signal ([`PROBES`]).
    pub probes: usize,
    /// Of those, connections refused.
    pub refused: usize,
    /// Of those, connections the kernel took before the listener closed
    /// and that then closed with no answer (never accepted by the server).
    pub unanswered: usize,
    /// Of those, connections served after the signal: never, when the
    /// server stops accepting.
    pub answered_after_signal: usize,
    /// Signal → the server's shutdown returned.
    pub quiescence: Duration,
}

impl Observed {
    /// What the way promises, checked: the graceful ways lose nothing,
    /// answer exactly the stragglers 503 and everyone else 200, leave
    /// nothing alive and, with stragglers, take at least the grace; abort
    /// leaves nothing alive and loses at least the stragglers. No way
    /// serves a connection made after the signal. `Err` says what broke.
    pub fn check(&self) -> Result<(), String> {
        let load = &self.load;
        let mut wrong = Vec::new();
        if self.reached_at_signal != load.requests {
            wrong.push(format!(
                "only {} of {} requests reached their handler before the signal",
                self.reached_at_signal, load.requests
            ));
        }
        if self.alive_after != 0 {
            wrong.push(format!(
                "{} tasks or handlers alive after the shutdown returned",
                self.alive_after
            ));
        }
        if self.answered_after_signal != 0 {
            wrong.push(format!(
                "{} connections made after the signal were served",
                self.answered_after_signal
            ));
        }
        if self.other != 0 {
            wrong.push(format!("{} answers neither 200 nor 503", self.other));
        }
        if self.way.is_graceful() {
            if self.lost != 0 {
                wrong.push(format!(
                    "{} requests lost ({})",
                    self.lost,
                    self.lost_errors.join("; ")
                ));
            }
            if self.unavailable != load.stragglers {
                wrong.push(format!(
                    "{} answered 503, {} stragglers",
                    self.unavailable, load.stragglers
                ));
            }
            if self.ok != load.requests - load.stragglers {
                wrong.push(format!(
                    "{} answered 200, {} requests are not stragglers",
                    self.ok,
                    load.requests - load.stragglers
                ));
            }
            if self.closed_by_server != self.ok + self.unavailable {
                wrong.push(format!(
                    "the server closed {} of {} answered keep-alive connections",
                    self.closed_by_server,
                    self.ok + self.unavailable
                ));
            }
            if load.stragglers > 0 && self.quiescence < load.grace {
                wrong.push(format!(
                    "quiesced after {:?}, before the grace of {:?} ran out with stragglers in flight",
                    self.quiescence, load.grace
                ));
            }
        } else {
            if self.lost < load.stragglers || self.lost == 0 {
                wrong.push(format!(
                    "{} requests lost: the stragglers ({}) at least were in flight",
                    self.lost, load.stragglers
                ));
            }
            if self.ok + self.lost + self.unavailable != load.requests {
                wrong.push(format!(
                    "{} answered and {} lost of {} requests",
                    self.ok + self.unavailable,
                    self.lost,
                    load.requests
                ));
            }
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(format!("{}: {}", self.way, wrong.join("; ")))
        }
    }
}

/// Runs a server under `load` on a fresh tokio multi-thread runtime, shuts
/// it down `way` once every request has reached its handler, and returns
/// what the clients and the server's live counter saw. `Err` when the load
/// is invalid or the run could not be observed (a bind, a runtime, a wait
/// past [`WAIT_LIMIT`]).
pub fn run(way: Way, load: &Load) -> Result<Observed, String> {
    load.check()?;
    descriptors::ensure(2 * load.requests + PROBES + 64)?;
    let rt = crate::runtime::<TokioMultiThread>()?;
    rt.block_on(observe(way, *load))
}

/// The server's shared counters, read by the run.
#[derive(Debug, Default)]
struct Counters {
    /// Handlers started.
    started: AtomicUsize,
    /// Handlers that returned their response.
    answered: AtomicUsize,
    /// Guards alive: connection tasks and handlers that still exist.
    live: AtomicUsize,
    /// Cancelled once `started` reaches the load's requests: every
    /// request's work starts then, and the signal is given.
    all_arrived: CancellationToken,
    /// When `all_arrived` was cancelled.
    arrived_at: OnceLock<Instant>,
}

/// A guard every connection task and every handler holds: the server's
/// live count is how many exist.
#[derive(Debug)]
struct Live(Arc<Counters>);

impl Live {
    fn new(counters: &Arc<Counters>) -> Live {
        counters.live.fetch_add(1, Ordering::SeqCst);
        Live(Arc::clone(counters))
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a server function reports about its own shutdown.
#[derive(Debug)]
struct Served {
    /// When the signal came, as the accept loop saw it.
    signalled: Instant,
}

/// What every handler shares: the load and the server's counters.
#[derive(Debug, Clone)]
struct Handler {
    load: Load,
    counters: Arc<Counters>,
}

impl Handler {
    /// The work of one request: it starts once every request has arrived
    /// (a burst), then takes the load's work, or [`STRAGGLER_WORK`] for
    /// `/slow`, a straggler's, counted from that moment (not from when
    /// each handler is next polled, which under load comes later).
    fn work(&self, req: &Request<Incoming>) -> impl Future<Output = ()> + Send + use<> {
        let takes = if req.uri().path() == "/slow" {
            STRAGGLER_WORK
        } else {
            self.load.work
        };
        let counters = Arc::clone(&self.counters);
        async move {
            all_arrived(&counters).await;
            let from = counters
                .arrived_at
                .get()
                .copied()
                .unwrap_or_else(Instant::now);
            tokio::time::sleep_until((from + takes).into()).await;
        }
    }

    /// Wraps one request's answer: counts it started and answered, and
    /// holds a live guard while it exists.
    fn counted<F: Future<Output = Response<Body>>>(
        &self,
        answer: F,
    ) -> impl Future<Output = Response<Body>> + use<F> {
        let live = Live::new(&self.counters);
        let counters = Arc::clone(&self.counters);
        let requests = self.load.requests;
        async move {
            let _live = live;
            if counters.started.fetch_add(1, Ordering::SeqCst) + 1 == requests {
                let _ = counters.arrived_at.set(Instant::now());
                counters.all_arrived.cancel();
            }
            let response = answer.await;
            counters.answered.fetch_add(1, Ordering::SeqCst);
            response
        }
    }
}

/// Every request has reached its handler, or [`WAIT_LIMIT`] passed (the
/// run then reports how many had).
async fn all_arrived(counters: &Counters) {
    let _ = tokio::time::timeout(WAIT_LIMIT, counters.all_arrived.cancelled()).await;
}

/// The body of a straggler's 503 in the token way: the token carries no
/// reason, so the server writes its own.
const GRACE_PASSED: &str = "shutting down: the grace period passed";

/// Why the server shuts down, the cause the scope way cancels with.
#[derive(Debug, Clone, Copy)]
struct ShuttingDown;

impl fmt::Display for ShuttingDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("shutting down")
    }
}

impl StdError for ShuttingDown {}

/// tokio's guide: a token for the shutdown, a tracker for the tasks, a
/// second token for the stragglers once the grace has passed.
async fn serve_with_token(
    listener: TcpListener,
    signal: impl Future<Output = ()>,
    grace: Duration,
    handler: Handler,
) -> Served {
    let shutdown = CancellationToken::new(); // stop accepting, close connections
    let stragglers = CancellationToken::new(); // the grace has passed
    let tracker = TaskTracker::new();
    let mut signal = pin!(signal);
    let signalled = loop {
        tokio::select! {
            // The signal first: once it has come, accept nothing more.
            biased;
            () = &mut signal => break Instant::now(),
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let live = Live::new(&handler.counters);
                let (shutdown, stragglers, handler) = (shutdown.clone(), stragglers.clone(), handler.clone());
                tracker.spawn(async move {
                    let _live = live;
                    let answer = |req: Request<Incoming>| {
                        let (work, stragglers) = (handler.work(&req), stragglers.clone());
                        handler.counted(async move {
                            tokio::select! {
                                () = work => text(StatusCode::OK, "done"),
                                // Dropping the work is its stop; the client gets a defined answer.
                                () = stragglers.cancelled() => text(StatusCode::SERVICE_UNAVAILABLE, GRACE_PASSED),
                            }
                        })
                    };
                    let _ = serve_connection_until(stream, answer, shutdown.cancelled_owned()).await;
                });
            }
        }
    };
    drop(listener); // new connections are refused from here on
    shutdown.cancel();
    tracker.close(); // `wait` returns once the last task has ended
    if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
        stragglers.cancel(); // the grace is over: each answers 503
        let _ = tokio::time::timeout(WAIT_LIMIT, tracker.wait()).await;
    }
    Served { signalled }
}

/// The same shape on `cancel-scope`: the connections' scope is a child of
/// the requests' scope, so stopping the requests would close the
/// connections too, never the reverse.
async fn serve_with_scope(
    listener: TcpListener,
    signal: impl Future<Output = ()>,
    grace: Duration,
    handler: Handler,
) -> Served {
    let requests = CancelScope::new(); // cancelled at the deadline: the stragglers stop
    let connections = requests.child(); // cancelled on the signal: close after the request
    let tracker = TaskTracker::new();
    let mut signal = pin!(signal);
    let signalled = loop {
        tokio::select! {
            // The signal first: once it has come, accept nothing more.
            biased;
            () = &mut signal => break Instant::now(),
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let live = Live::new(&handler.counters);
                let (requests, connections, handler) = (requests.clone(), connections.clone(), handler.clone());
                tracker.spawn(async move {
                    let _live = live;
                    let answer = |req: Request<Incoming>| {
                        let (work, requests) = (handler.work(&req), requests.clone());
                        handler.counted(async move {
                            match requests.run_until_cancelled(work).await {
                                Some(()) => text(StatusCode::OK, "done"),
                                // Stopped: the scope's cause says why.
                                None => text(StatusCode::SERVICE_UNAVAILABLE, why(&requests)),
                            }
                        })
                    };
                    let _ = serve_connection_until(stream, answer, connections.cancelled_owned()).await;
                });
            }
        }
    };
    drop(listener); // new connections are refused from here on
    connections.cancel_with(ShuttingDown);
    requests.cancel_after(grace); // the deadline is the scope's own
    tracker.close();
    let _ = tokio::time::timeout(WAIT_LIMIT, tracker.wait()).await;
    Served { signalled }
}

/// A straggler's 503 body in the scope way, from its scope's cause.
fn why(requests: &CancelScope) -> String {
    match requests.cause() {
        Some(cause) if cause.is_deadline_exceeded() => {
            format!("{ShuttingDown}: the grace period passed ({cause})")
        }
        Some(cause) => cause.to_string(),
        None => "stopped".to_owned(),
    }
}

/// No plan: every connection task in a `JoinSet`, all aborted on the signal.
async fn serve_with_abort(
    listener: TcpListener,
    signal: impl Future<Output = ()>,
    handler: Handler,
) -> Served {
    let mut tasks = JoinSet::new();
    let mut signal = pin!(signal);
    let signalled = loop {
        tokio::select! {
            // The signal first, as in the other ways.
            biased;
            () = &mut signal => break Instant::now(),
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let live = Live::new(&handler.counters);
                let handler = handler.clone();
                tasks.spawn(async move {
                    let _live = live;
                    let answer = |req: Request<Incoming>| {
                        let work = handler.work(&req);
                        handler.counted(async move {
                            work.await;
                            text(StatusCode::OK, "done")
                        })
                    };
                    let _ = serve_connection(stream, answer).await;
                });
            }
        }
    };
    drop(listener); // new connections are refused from here on
    // Aborts every task (dropping its connection and the request in it)
    // and waits until each has ended.
    let _ = tokio::time::timeout(WAIT_LIMIT, tasks.shutdown()).await;
    Served { signalled }
}

/// A loopback listener whose backlog holds `burst` connections at once.
///
/// `TcpListener::bind`'s backlog is std's, 128: a thousand clients
/// connecting at once overflow it, and the kernel drops the connections
/// beyond it for the client to retry a second later. The kernel caps the
/// backlog at its own limit (`net.core.somaxconn`).
fn listen(burst: usize) -> std::io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    socket.listen(u32::try_from(burst).unwrap_or(u32::MAX))
}

/// One run on the current runtime.
async fn observe(way: Way, load: Load) -> Result<Observed, String> {
    let listener = listen(load.requests + PROBES).map_err(|e| format!("listen: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let counters = Arc::new(Counters::default());
    let handler = Handler {
        load,
        counters: Arc::clone(&counters),
    };
    // Told when the signal has come, for the probes.
    let signalled = CancellationToken::new();
    // Requests started and not yet answered, read as the signal is given.
    let at_signal: Arc<OnceLock<(usize, usize)>> = Arc::default();
    let signal = {
        let (counters, signalled, at_signal) = (
            Arc::clone(&counters),
            signalled.clone(),
            Arc::clone(&at_signal),
        );
        async move {
            all_arrived(&counters).await;
            let started = counters.started.load(Ordering::SeqCst);
            let answered = counters.answered.load(Ordering::SeqCst);
            let _ = at_signal.set((started, started.saturating_sub(answered)));
            signalled.cancel();
        }
    };
    let clients: Vec<_> = (0..load.requests)
        .map(|i| {
            let path = if load.is_straggler(i) { "/slow" } else { "/" };
            tokio::spawn(get_keep_alive(addr, path, WAIT_LIMIT))
        })
        .collect();
    let returned = CancellationToken::new();
    let probes = tokio::spawn(probe(addr, signalled.clone(), returned.clone(), load.grace));
    let server = async {
        let served = match way {
            Way::TokenAndTracker => serve_with_token(listener, signal, load.grace, handler).await,
            Way::Scope => serve_with_scope(listener, signal, load.grace, handler).await,
            Way::Abort => serve_with_abort(listener, signal, handler).await,
        };
        // Read at once: what is alive the moment the shutdown returned.
        let alive = counters.live.load(Ordering::SeqCst);
        let at = Instant::now();
        returned.cancel();
        (served, at, alive)
    };
    let bound = 3 * WAIT_LIMIT;
    let (served, returned, alive_after) = tokio::time::timeout(bound, server)
        .await
        .map_err(|_| format!("the server did not shut down within {bound:?}"))?;
    let (reached, in_flight) = at_signal.get().copied().unwrap_or_default();
    let mut seen = Observed {
        way,
        load,
        reached_at_signal: reached,
        in_flight_at_signal: in_flight,
        ok: 0,
        unavailable: 0,
        other: 0,
        unavailable_reasons: Vec::new(),
        lost: 0,
        lost_errors: Vec::new(),
        closed_by_server: 0,
        alive_after,
        probes: 0,
        refused: 0,
        unanswered: 0,
        answered_after_signal: 0,
        quiescence: returned.saturating_duration_since(served.signalled),
    };
    for client in clients {
        let answer = tokio::time::timeout(WAIT_LIMIT, client)
            .await
            .map_err(|_| format!("a client was still waiting {WAIT_LIMIT:?} after the shutdown"))?
            .map_err(|e| format!("a client task failed: {e}"))?;
        match answer {
            Ok(answer) => {
                seen.closed_by_server += usize::from(answer.closed_by_server);
                match answer.status {
                    StatusCode::OK => seen.ok += 1,
                    StatusCode::SERVICE_UNAVAILABLE => {
                        seen.unavailable += 1;
                        if !seen.unavailable_reasons.contains(&answer.body) {
                            seen.unavailable_reasons.push(answer.body);
                        }
                    }
                    _ => seen.other += 1,
                }
            }
            Err(e) => {
                seen.lost += 1;
                let e = e.to_string();
                if !seen.lost_errors.contains(&e) {
                    seen.lost_errors.push(e);
                }
            }
        }
    }
    let probed = tokio::time::timeout(WAIT_LIMIT, probes)
        .await
        .map_err(|_| format!("the probes took longer than {WAIT_LIMIT:?}"))?
        .map_err(|e| format!("the probe task failed: {e}"))?;
    for p in probed {
        seen.probes += 1;
        match p {
            Probe::Refused => seen.refused += 1,
            Probe::Unanswered => seen.unanswered += 1,
            Probe::Answered => seen.answered_after_signal += 1,
        }
    }
    Ok(seen)
}

/// What a connection tried after the signal met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// The connection was refused: the listener was closed.
    Refused,
    /// The kernel took it before the listener closed; it then closed with
    /// no answer.
    Unanswered,
    /// It was served.
    Answered,
}

/// Tries [`PROBES`] connections once the signal has come: one at once, the
/// rest spread over the grace, or one after the other once the server's
/// shutdown has `returned`.
async fn probe(
    addr: SocketAddr,
    signalled: CancellationToken,
    returned: CancellationToken,
    grace: Duration,
) -> Vec<Probe> {
    if tokio::time::timeout(WAIT_LIMIT, signalled.cancelled())
        .await
        .is_err()
    {
        return Vec::new();
    }
    let gap = grace / PROBES as u32;
    let mut seen = Vec::with_capacity(PROBES);
    for i in 0..PROBES {
        if i > 0 {
            let _ = tokio::time::timeout(gap, returned.cancelled()).await;
        }
        let tried = tokio::time::timeout(WAIT_LIMIT, get(addr, "/")).await;
        seen.push(match tried {
            Ok(Ok(_)) => Probe::Answered,
            Ok(Err(e)) if refused(&*e) => Probe::Refused,
            // Connected to the backlog of a listener about to close, which
            // then reset it; or never answered.
            Ok(Err(_)) | Err(_) => Probe::Unanswered,
        });
    }
    seen
}

/// Whether a client's error is its connection being refused.
fn refused(e: &(dyn StdError + 'static)) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
}

/// The descriptors a run holds at once: two per request.
mod descriptors {
    /// Raises the soft limit on open descriptors to `needed` if it is
    /// lower and the hard limit allows; else says what to do.
    #[cfg(unix)]
    pub(super) fn ensure(needed: usize) -> Result<(), String> {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let needed = needed as u64;
        let limit = getrlimit(Resource::Nofile);
        // `None` is no limit.
        if limit.current.is_none_or(|soft| soft >= needed) {
            return Ok(());
        }
        if limit.maximum.is_some_and(|hard| hard < needed) {
            return Err(format!(
                "the run needs about {needed} open descriptors and the hard limit is {:?}: \
                 raise it (`ulimit -Hn`) or run fewer requests",
                limit.maximum
            ));
        }
        let raised = rustix::process::Rlimit {
            current: Some(needed),
            maximum: limit.maximum,
        };
        setrlimit(Resource::Nofile, raised).map_err(|e| {
            format!(
                "the run needs about {needed} open descriptors; raising the soft limit failed: {e}"
            )
        })
    }

    /// Elsewhere the run takes its chances.
    #[cfg(not(unix))]
    pub(super) fn ensure(_needed: usize) -> Result<(), String> {
        Ok(())
    }
}
