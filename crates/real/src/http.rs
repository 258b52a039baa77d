//! The `http` workload: a hyper handler starts background work with the
//! strategy and waits for it; the client hangs up while it waits.
//!
//! hyper drops the handler's future when the client goes away (an HTTP/1
//! connection that reads end of stream closes, and the service future in
//! flight goes with it). What happens to the work the handler started is
//! the strategy's `cancel_on_handle_drop`: the handler's future owned the
//! handle, so the work stops if dropping a handle stops it, and runs on,
//! detached, if not. The row observes both from outside: client close →
//! handler dropped (the latency, read against the same close with a bare
//! handler, the floor `http_disconnect`), and whether the work stopped.
//!
//! The module also holds what the other HTTP code of the crate and its tests
//! share: [`serve_connection`] (one connection, any handler) and
//! [`serve_connection_until`] (the same, closed gracefully on a signal),
//! [`get`] (one request on a fresh connection, then hang up) and
//! [`get_keep_alive`] (one request, then keep the connection open until the
//! server closes it), and [`Work`], background work in every strategy's
//! form that parks until it is stopped or released.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use cancel_conformance::{Play, Stop, Subject};
use cancel_harness::probe::Mark;
use cancel_harness::runtime::{Runtime, RuntimeHandle, RuntimeKind};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::{Row, Workload};

/// The body of every response the crate's servers send.
pub type Body = Full<Bytes>;

/// An error of the client or server side, boxed.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A response with `status` and a plain-text body.
pub fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
}

/// Serves HTTP/1 on one accepted connection, every request answered by
/// `handler`, until the client closes it.
///
/// Nothing is spawned: the connection runs in the caller's task, so the
/// handler's future need not be `Send` (the suite's adapters return futures
/// that are not known to be).
///
/// # Cancel safety
///
/// Dropping this future closes the connection and drops the handler's
/// future in flight, as a client hanging up does.
pub async fn serve_connection<F, Fut>(stream: TcpStream, handler: F) -> Result<(), hyper::Error>
where
    F: Fn(Request<Incoming>) -> Fut,
    Fut: Future<Output = Response<Body>>,
{
    serve_connection_until(stream, handler, std::future::pending()).await
}

/// [`serve_connection`], closed gracefully once `shutdown` completes: the
/// request in flight, if any, is answered, then the connection closes (an
/// idle keep-alive connection closes at once). Returns when it has closed.
///
/// # Cancel safety
///
/// As [`serve_connection`]: dropping this future closes the connection and
/// drops the handler's future in flight.
pub async fn serve_connection_until<F, Fut, S>(
    stream: TcpStream,
    handler: F,
    shutdown: S,
) -> Result<(), hyper::Error>
where
    F: Fn(Request<Incoming>) -> Fut,
    Fut: Future<Output = Response<Body>>,
    S: Future<Output = ()>,
{
    let service = hyper::service::service_fn(move |req| {
        let answer = handler(req);
        async move { Ok::<_, Infallible>(answer.await) }
    });
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let mut conn = pin!(conn);
    tokio::select! {
        served = conn.as_mut() => served,
        () = shutdown => {
            // Not dropped, which would lose the request in flight: told to
            // answer it, then close.
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    }
}

/// What a client saw: the status and body of its answer, and whether the
/// server then closed the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The response's status.
    pub status: StatusCode,
    /// The response's body, as text.
    pub body: String,
    /// The server closed the connection after the answer (a client that
    /// hangs up itself, [`get`]'s, never waits to see it: `false`).
    pub closed_by_server: bool,
}

/// Sends `GET path` on a fresh connection to `addr` and returns the status
/// and body; the client hangs up once it has them.
///
/// # Cancel safety
///
/// Dropping this future closes the connection: the server sees the client
/// hang up.
pub async fn get(addr: SocketAddr, path: &str) -> Result<(StatusCode, String), BoxError> {
    let answer = exchange(addr, path, None).await?;
    Ok((answer.status, answer.body))
}

/// Sends `GET path` on a fresh keep-alive connection to `addr`, then keeps
/// the connection open, as a browser or a pooled client does, until the
/// server closes it or `limit` passes. An error is a request that got no
/// response (refused, or the connection closed before the answer).
///
/// # Cancel safety
///
/// Dropping this future closes the connection: the server sees the client
/// hang up.
pub async fn get_keep_alive(
    addr: SocketAddr,
    path: &str,
    limit: Duration,
) -> Result<Answer, BoxError> {
    exchange(addr, path, Some(limit)).await
}

/// One request on a fresh connection; with `keep_open`, the connection is
/// then held open for at most that long, until the server closes it.
async fn exchange(
    addr: SocketAddr,
    path: &str,
    keep_open: Option<Duration>,
) -> Result<Answer, BoxError> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let request = Request::get(path)
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let mut conn = pin!(conn);
    let mut closed = false;
    let (status, body) = {
        let exchange = async {
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, BoxError>((status, String::from_utf8_lossy(&body).into_owned()))
        };
        let mut exchange = pin!(exchange);
        // The connection must be driven for the exchange to progress; it ends
        // (the server closed) only after the response or with an error.
        tokio::select! {
            done = &mut exchange => done?,
            ended = conn.as_mut() => {
                closed = true;
                ended?;
                exchange.await?
            }
        }
    };
    if let (Some(limit), false) = (keep_open, closed) {
        // `sender` lives on, so the client does not hang up: only the server
        // ends the connection now.
        closed = tokio::time::timeout(limit, conn.as_mut()).await.is_ok();
    }
    // The client hangs up now, if the server has not closed first.
    drop(sender);
    Ok(Answer {
        status,
        body,
        closed_by_server: closed && keep_open.is_some(),
    })
}

/// How long background work runs at most if nothing stops or releases it,
/// so no sample leaves a task behind for long.
const WORK_LIMIT: Duration = Duration::from_secs(10);

/// What background [`Work`] reports: when it parked, when it ended (its
/// `Drop`), and whether it ended because it was released.
#[derive(Debug, Default)]
pub struct WorkProbe {
    /// Set when the work has parked at its wait point.
    pub parked: Mark,
    /// Set when the work's state was dropped, however it ended.
    pub ended: Mark,
    /// Set when the work ran to its own end (released, or its limit).
    pub finished: Mark,
    /// Set when the work ran its cleanup after being asked to stop.
    pub cleaned_up: Mark,
    parked_wake: Notify,
    ended_wake: Notify,
    release: Notify,
    gate: Gate,
}

impl WorkProbe {
    /// A fresh probe, nothing set.
    pub fn new() -> Arc<WorkProbe> {
        Arc::new(WorkProbe::default())
    }

    /// Lets the work finish as if its job were done.
    pub fn release(&self) {
        self.release.notify_one();
        self.gate.open();
    }

    /// Waits until the work has parked, for at most `limit`; returns whether it did.
    pub async fn wait_parked(&self, limit: Duration) -> bool {
        let woken = self.parked_wake.notified();
        if self.parked.is_set() {
            return true;
        }
        tokio::time::timeout(limit, woken).await.is_ok() || self.parked.is_set()
    }

    /// Waits until the work has ended, for at most `limit`; returns whether it did.
    pub async fn wait_ended(&self, limit: Duration) -> bool {
        let woken = self.ended_wake.notified();
        if self.ended.is_set() {
            return true;
        }
        tokio::time::timeout(limit, woken).await.is_ok() || self.ended.is_set()
    }

    fn park(&self) {
        self.parked.set();
        self.parked_wake.notify_one();
    }
}

/// A wait blocking work can make, opened by a release or by a stop hook.
#[derive(Debug, Default)]
struct Gate {
    open: Mutex<bool>,
    changed: Condvar,
}

impl Gate {
    fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.changed.notify_all();
    }

    /// Waits until the gate opens or `limit` passes.
    fn wait(&self, limit: Duration) {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self
            .changed
            .wait_timeout_while(open, limit, |open| !*open)
            .unwrap_or_else(|e| e.into_inner());
    }
}

/// Owned by the work: its `Drop` is the work's end.
#[derive(Debug)]
struct EndStamp(Arc<WorkProbe>);

impl Drop for EndStamp {
    fn drop(&mut self) {
        self.0.ended.set();
        self.0.ended_wake.notify_one();
    }
}

/// Background work a handler starts: it parks until it is stopped or
/// released, in each strategy's form. It uses tokio's primitives, so it
/// runs on tokio only.
#[derive(Debug)]
pub struct Work(pub Arc<WorkProbe>);

impl Play for Work {
    type Output = ();

    fn forced<H: RuntimeHandle>(self, _rt: H) -> impl Future<Output = ()> + Send + 'static {
        let probe = self.0;
        let stamp = EndStamp(Arc::clone(&probe));
        async move {
            let _stamp = stamp;
            let released = probe.release.notified();
            probe.park();
            // Stopped from outside: only a release or the limit ends it.
            let _ = tokio::time::timeout(WORK_LIMIT, released).await;
            probe.finished.set();
        }
    }

    fn until<H, S, K, C>(
        self,
        _rt: H,
        stop: S,
        _child: Option<K>,
    ) -> impl Future<Output = Option<()>> + Send + 'static
    where
        H: RuntimeHandle,
        S: Future<Output = ()> + Send + 'static,
        K: FnOnce() -> C + Send + 'static,
        C: Future<Output = ()> + Send + 'static,
    {
        let probe = self.0;
        let stamp = EndStamp(Arc::clone(&probe));
        async move {
            let _stamp = stamp;
            let released = probe.release.notified();
            probe.park();
            // Whichever comes first: the stop (clean up, say "stopped"),
            // the release or the limit (the job is done).
            tokio::select! {
                () = stop => {
                    probe.cleaned_up.set();
                    None
                }
                _ = tokio::time::timeout(WORK_LIMIT, released) => {
                    probe.finished.set();
                    Some(())
                }
            }
        }
    }

    fn blocking<S: Stop>(self, stop: S) -> Option<()> {
        let probe = self.0;
        let _stamp = EndStamp(Arc::clone(&probe));
        let for_hook = Arc::clone(&probe);
        // The stop opens the gate the thread waits at.
        let _hook = stop.on_stop(move || for_hook.gate.open());
        probe.park();
        probe.gate.wait(WORK_LIMIT);
        if stop.is_stopped() {
            probe.cleaned_up.set();
            None
        } else {
            probe.finished.set();
            Some(())
        }
    }
}

/// Marks the handler's future dropped (its `Drop` runs when hyper drops it).
#[derive(Debug)]
struct HandlerStamp(Arc<HandlerProbe>);

/// What a handler reports: when it was first polled, when it was dropped.
#[derive(Debug, Default)]
struct HandlerProbe {
    dropped: Mark,
    dropped_wake: Notify,
    polled_wake: Notify,
}

impl Drop for HandlerStamp {
    fn drop(&mut self) {
        self.0.dropped.set();
        self.0.dropped_wake.notify_one();
    }
}

/// How long a sample waits for an event it expects (the work parked, the
/// handler dropped): far beyond the microseconds they take.
const EXPECT_LIMIT: Duration = Duration::from_secs(5);

/// How long after the handler was dropped the work must still be running to
/// count as detached: a stop takes microseconds, so a quarter of a second
/// leaves a wide margin on a loaded machine.
const RUN_ON_WINDOW: Duration = Duration::from_millis(250);

/// One hang-up: the client sends a request, waits until `ready` says the
/// handler is waiting, and closes the connection. Returns when the client
/// closed.
async fn hang_up<F, Fut, R>(listener: &TcpListener, handler: F, ready: R) -> Result<Instant, String>
where
    F: Fn(Request<Incoming>) -> Fut,
    Fut: Future<Output = Response<Body>>,
    R: Future<Output = bool>,
{
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = async {
        let (stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        serve_connection(stream, handler)
            .await
            .or_else(|e| {
                if e.is_incomplete_message() {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(|e| format!("server: {e}"))
    };
    let client = async {
        let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        let request = Request::get("/")
            .header(hyper::header::HOST, addr.to_string())
            .body(Empty::<Bytes>::new())
            .map_err(|e| e.to_string())?;
        let response = sender.send_request(request);
        let mut conn = Box::pin(conn);
        let mut response = pin!(response);
        // Drive the connection until the handler waits; an answer or a
        // closed connection before that is a failed sample.
        tokio::select! {
            waiting = ready => if !waiting {
                return Err("the handler never got to its wait".to_owned());
            },
            _ = response.as_mut() => return Err("the handler answered instead of waiting".to_owned()),
            _ = conn.as_mut() => return Err("the connection closed before the handler waited".to_owned()),
        }
        let closed = Instant::now();
        // Dropping the connection closes the socket: the client hung up.
        drop(conn);
        Ok::<_, String>(closed)
    };
    let both = tokio::time::timeout(3 * EXPECT_LIMIT, async { tokio::join!(server, client) });
    let (served, closed) = both
        .await
        .map_err(|_| "the server never noticed the client had closed".to_owned())?;
    served?;
    closed
}

/// Runs the workload under `S` on `R`, `samples` hang-ups.
pub(crate) fn observe<S: Subject<R>, R: Runtime>(samples: usize) -> Row {
    match R::KIND {
        RuntimeKind::TokioCurrentThread | RuntimeKind::TokioMultiThread => {}
        RuntimeKind::AsyncStd | RuntimeKind::Smol => {
            return Row::not_applicable::<S, R>(Workload::Http, "hyper's server runs on tokio");
        }
    }
    if let Some(why) = S::UNSUPPORTED {
        return Row::not_applicable::<S, R>(Workload::Http, why);
    }
    let declared = S::CAPABILITIES.cancel_on_handle_drop.as_bool();
    let mut row = Row {
        floor: Some("http_disconnect"),
        ..Row::ran::<S, R>(Workload::Http)
    };
    let rt = match crate::runtime::<R>() {
        Ok(rt) => rt,
        Err(e) => {
            row.detail = e;
            return row;
        }
    };
    let handle = rt.handle();
    let seen = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("bind: {e}"))?;
        let mut seen = Seen::default();
        for i in 0..samples {
            // The floor before the figure, then after it, in turn.
            if i % 2 == 0 {
                seen.floor.push(floor_sample(&listener).await?);
            }
            seen.add(figure_sample::<S, R>(&handle, &listener).await?);
            if i % 2 == 1 {
                seen.floor.push(floor_sample(&listener).await?);
            }
        }
        Ok::<_, String>(seen)
    });
    let seen = match seen {
        Ok(seen) => seen,
        Err(e) => {
            row.detail = format!("a sample failed: {e}");
            return row;
        }
    };
    let n = seen.closed_to_dropped.len();
    let stopped = seen.closed_to_stopped.len();
    row.released = stopped == n;
    let detached = seen.ran_on;
    row.outcome = if row.released {
        "work stopped".to_owned()
    } else if detached == n {
        "work detached, ran on".to_owned()
    } else {
        format!("mixed: {stopped} stopped, {detached} ran on")
    };
    let mixed = stopped != n && detached != n;
    row.pass = !mixed && declared == Some(row.released);
    let p50 = |d: &[Duration]| median(d).map_or("-".to_owned(), |m| format!("{m:?}"));
    row.detail = format!(
        "hyper dropped the handler {n}/{n} times, client close → handler dropped p50 {} \
         (bare handler {}); the work it started {}: stopped {stopped}/{n} (close → stopped p50 {}), \
         still running {} later {detached}/{n}{}; declared cancel_on_handle_drop {}",
        p50(&seen.closed_to_dropped),
        p50(&seen.floor),
        if row.released {
            "stopped with it"
        } else {
            "outlived it"
        },
        p50(&seen.closed_to_stopped),
        humanize(RUN_ON_WINDOW),
        if seen.cleaned_up > 0 {
            format!(", its cleanup ran {}/{n}", seen.cleaned_up)
        } else {
            String::new()
        },
        match declared {
            Some(true) => "yes",
            Some(false) => "no",
            None => "n/a",
        }
    );
    row.latency = seen.closed_to_dropped;
    row.floor_samples = seen.floor;
    row
}

fn humanize(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

/// The nearest-rank median.
fn median(samples: &[Duration]) -> Option<Duration> {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len().checked_sub(1)? / 2).copied()
}

/// What a row's samples saw.
#[derive(Debug, Default)]
struct Seen {
    closed_to_dropped: Vec<Duration>,
    closed_to_stopped: Vec<Duration>,
    ran_on: usize,
    cleaned_up: usize,
    floor: Vec<Duration>,
}

impl Seen {
    fn add(&mut self, sample: Sample) {
        self.closed_to_dropped.push(sample.dropped);
        match sample.stopped {
            Some(d) => self.closed_to_stopped.push(d),
            None => self.ran_on += 1,
        }
        self.cleaned_up += usize::from(sample.cleaned_up);
    }
}

/// One hang-up under a strategy.
#[derive(Debug)]
struct Sample {
    /// Client close → handler dropped.
    dropped: Duration,
    /// Client close → the work ended, if it ended without a release.
    stopped: Option<Duration>,
    cleaned_up: bool,
}

/// One hang-up while the handler waits for work the strategy started.
async fn figure_sample<S: Subject<R>, R: Runtime>(
    rt: &R::Handle,
    listener: &TcpListener,
) -> Result<Sample, String> {
    let handler_probe = Arc::new(HandlerProbe::default());
    let work = WorkProbe::new();
    let handler = {
        let (rt, handler_probe, work) = (rt.clone(), Arc::clone(&handler_probe), Arc::clone(&work));
        move |_req: Request<Incoming>| {
            let stamp = HandlerStamp(Arc::clone(&handler_probe));
            let (rt, work) = (rt.clone(), Arc::clone(&work));
            async move {
                let _stamp = stamp;
                let handle = S::start(&rt, Work(work));
                // The handler's future owns the handle while it waits:
                // when hyper drops the future, the handle goes with it.
                let _ = cancel_contract::CancelHandle::join(handle).await;
                text(StatusCode::OK, "the work finished")
            }
        }
    };
    let closed = hang_up(listener, handler, work.wait_parked(EXPECT_LIMIT)).await?;
    let dropped = handler_probe
        .dropped
        .at()
        .ok_or("hyper did not drop the handler after the client closed")?;
    let ended_in_window = work.wait_ended(RUN_ON_WINDOW).await;
    let stopped = match work.ended.at() {
        Some(at) if ended_in_window => Some(at.saturating_duration_since(closed)),
        _ => None,
    };
    if stopped.is_none() {
        // Detached: let it finish so the next sample starts alone.
        work.release();
        if !work.wait_ended(EXPECT_LIMIT).await {
            return Err("detached work did not end when released".to_owned());
        }
    }
    Ok(Sample {
        dropped: dropped.saturating_duration_since(closed),
        stopped,
        cleaned_up: work.cleaned_up.is_set(),
    })
}

/// The same hang-up with a bare handler: no strategy, nothing started,
/// only a stamp in its future.
async fn floor_sample(listener: &TcpListener) -> Result<Duration, String> {
    let probe = Arc::new(HandlerProbe::default());
    let handler = {
        let probe = Arc::clone(&probe);
        move |_req: Request<Incoming>| {
            let stamp = HandlerStamp(Arc::clone(&probe));
            async move {
                stamp.0.polled_wake.notify_one();
                let _stamp = stamp;
                std::future::pending::<Response<Body>>().await
            }
        }
    };
    let polled = {
        let probe = Arc::clone(&probe);
        async move {
            tokio::time::timeout(EXPECT_LIMIT, probe.polled_wake.notified())
                .await
                .is_ok()
        }
    };
    let closed = hang_up(listener, handler, polled).await?;
    let dropped = probe
        .dropped
        .at()
        .ok_or("hyper did not drop the bare handler after the client closed")?;
    Ok(dropped.saturating_duration_since(closed))
}
