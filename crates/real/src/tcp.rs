//! The `tcp` workload: framed reads on a loopback connection from a peer
//! that sends slowly, cancelled while the work waits for the next frame.
//!
//! The peer is a plain thread on blocking std sockets, outside every
//! runtime: it accepts, sends a first frame at once and then one every
//! [`PACE`], and watches its side of the connection for the close. What it
//! saw, and when, is the observation: the work cannot report its own
//! release, because it is the thing being stopped.
//!
//! The work, in each form:
//!
//! - forced: a read loop on the runtime's stream; dropping it drops the
//!   stream, and closing the descriptor sends the peer a FIN;
//! - cooperative: the same loop with the stop raced against each read
//!   (a read is cancel safe: losing the race loses no byte), then the
//!   stream dropped by the work itself;
//! - blocking: std's blocking reads, with an on-stop hook that shuts the
//!   socket down, which makes a blocked `read` return 0.
//!
//! The floor, `tcp_close`, is the same connection on the same runtime
//! dropped by the canceller itself, with no task and no strategy around it:
//! close → the peer sees it.

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cancel_conformance::{Play, Stop, Subject};
use cancel_contract::{CancelHandle, Cancellation};
use cancel_harness::runtime::real_io::Io;
use cancel_harness::runtime::{Runtime, RuntimeHandle};

use crate::{Form, Row, WAIT_LIMIT, Workload, beside, bounded, runtime, yield_until};

/// The bytes of a frame after its 4-byte big-endian length.
const FRAME: usize = 64;

/// How long the peer waits between frames after the first: long beside a
/// cancel, so no frame lands inside a timed interval.
pub const PACE: Duration = Duration::from_millis(50);

/// How the peer saw its connection end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// A read returned 0: the other side closed or shut down its end.
    Eof,
    /// A read or write failed with a reset: the other side went away with
    /// data unread, or aborted.
    Reset,
    /// Nothing within [`WAIT_LIMIT`]: the connection was left open.
    Never,
}

/// What the peer saw of one connection.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    /// How the connection ended.
    pub close: Close,
    /// When the peer saw it.
    pub at: Instant,
    /// How many frames the peer sent.
    pub frames: u64,
}

/// A peer on a thread of its own: accepts one connection after another on
/// a loopback port, serves each until it closes, and reports each close.
#[derive(Debug)]
pub struct Peer {
    addr: SocketAddr,
    seen: mpsc::Receiver<Seen>,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Peer {
    /// Starts a peer on `127.0.0.1`, on a port the system picks.
    pub fn start() -> io::Result<Peer> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let (tx, seen) = mpsc::channel();
        let done = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new().name("tcp-peer".into()).spawn({
            let done = Arc::clone(&done);
            move || {
                for conn in listener.incoming() {
                    if done.load(Ordering::SeqCst) {
                        break;
                    }
                    // An accept that failed served nothing: the connecting
                    // side sees its own error.
                    let Ok(conn) = conn else { continue };
                    if tx.send(serve(conn)).is_err() {
                        break;
                    }
                }
            }
        })?;
        Ok(Peer {
            addr,
            seen,
            done,
            thread: Some(thread),
        })
    }

    /// The address to connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the peer saw of the connection it served last, waiting for it
    /// at most [`WAIT_LIMIT`].
    pub fn next_close(&self) -> Result<Seen, String> {
        // The peer itself gives up on a connection after WAIT_LIMIT; the
        // margin covers its last frame.
        self.seen
            .recv_timeout(WAIT_LIMIT + Duration::from_secs(1))
            .map_err(|_| "the peer reported no connection".to_owned())
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        // The peer blocks in `accept`: one more connection wakes it to
        // see `done`. If it cannot be made, the thread is left behind.
        if TcpStream::connect(self.addr).is_ok()
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
    }
}

/// Serves one connection: a frame at once, then one every [`PACE`], until
/// the other side closes it or [`WAIT_LIMIT`] passes.
fn serve(mut conn: TcpStream) -> Seen {
    let start = Instant::now();
    let mut frames = 0;
    let seen = |close, frames| Seen {
        close,
        at: Instant::now(),
        frames,
    };
    let _ = conn.set_nodelay(true);
    // Reads wait at most PACE, then the next frame goes out.
    if conn.set_read_timeout(Some(PACE)).is_err() {
        return seen(Close::Never, frames);
    }
    let mut buf = [0u8; 256];
    loop {
        let frame = frame(frames);
        match conn.write_all(&frame) {
            Ok(()) => frames += 1,
            Err(_) => return seen(Close::Reset, frames),
        }
        match conn.read(&mut buf) {
            Ok(0) => return seen(Close::Eof, frames),
            // The work never writes; anything it sends is ignored.
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return seen(Close::Reset, frames),
        }
        if start.elapsed() > WAIT_LIMIT {
            return seen(Close::Never, frames);
        }
    }
}

/// Frame `n`: its length, then [`FRAME`] bytes of `n`'s low byte.
fn frame(n: u64) -> Vec<u8> {
    let mut f = Vec::with_capacity(4 + FRAME);
    f.extend_from_slice(&(FRAME as u32).to_be_bytes());
    f.resize(4 + FRAME, n as u8);
    f
}

/// Frames taken from a byte stream that arrives in pieces of any size: the
/// bytes of a frame not yet whole are kept for the next read, so a read
/// that loses a race (it is dropped) loses nothing.
#[derive(Debug, Default)]
pub struct Frames {
    pending: Vec<u8>,
    whole: u64,
}

impl Frames {
    /// Adds `bytes`; returns how many frames are whole so far.
    pub fn push(&mut self, bytes: &[u8]) -> u64 {
        self.pending.extend_from_slice(bytes);
        while self.pending.len() >= 4 {
            let len = u32::from_be_bytes([
                self.pending[0],
                self.pending[1],
                self.pending[2],
                self.pending[3],
            ]) as usize;
            if self.pending.len() < 4 + len {
                break;
            }
            self.pending.drain(..4 + len);
            self.whole += 1;
        }
        self.whole
    }
}

/// The work: connect to `addr`, read frames until the peer closes, return
/// how many arrived. `frames` counts them as they come, for the observer.
#[derive(Debug)]
pub struct TcpRead<I> {
    addr: SocketAddr,
    frames: Arc<AtomicU64>,
    io: std::marker::PhantomData<fn() -> I>,
}

impl<I: Io> TcpRead<I> {
    /// Work reading from `addr` through `I`'s sockets, counting frames on
    /// `frames`.
    pub fn new(addr: SocketAddr, frames: Arc<AtomicU64>) -> Self {
        TcpRead {
            addr,
            frames,
            io: std::marker::PhantomData,
        }
    }
}

/// Reads into `frames` once; `Ok(false)` at end of stream.
async fn read_once<I: Io>(
    stream: &mut I::Tcp,
    buf: &mut [u8],
    frames: &mut Frames,
    count: &AtomicU64,
) -> io::Result<bool> {
    let n = I::read(stream, buf).await?;
    count.store(frames.push(&buf[..n]), Ordering::SeqCst);
    Ok(n > 0)
}

impl<I: Io + 'static> Play for TcpRead<I> {
    type Output = io::Result<u64>;

    async fn forced<H: RuntimeHandle>(self, _rt: H) -> io::Result<u64> {
        let mut stream = I::connect(self.addr).await?;
        let (mut buf, mut frames) = ([0u8; 1024], Frames::default());
        while read_once::<I>(&mut stream, &mut buf, &mut frames, &self.frames).await? {}
        Ok(frames.whole)
    }

    async fn until<H, S, K, C>(self, _rt: H, stop: S, _child: Option<K>) -> Option<io::Result<u64>>
    where
        H: RuntimeHandle,
        S: Future<Output = ()> + Send + 'static,
        K: FnOnce() -> C + Send + 'static,
        C: Future<Output = ()> + Send + 'static,
    {
        let mut stop = pin!(stop);
        let mut stream = match I::connect(self.addr).await {
            Ok(s) => s,
            Err(e) => return Some(Err(e)),
        };
        let (mut buf, mut frames) = ([0u8; 1024], Frames::default());
        loop {
            let read = async {
                Some(read_once::<I>(&mut stream, &mut buf, &mut frames, &self.frames).await)
            };
            let stopped = async {
                stop.as_mut().await;
                None
            };
            // The stop races each read; a read that loses is dropped,
            // which loses no byte (reads are cancel safe).
            match futures_lite::future::or(read, stopped).await {
                Some(Ok(true)) => {}
                Some(Ok(false)) => return Some(Ok(frames.whole)),
                Some(Err(e)) => return Some(Err(e)),
                None => break,
            }
        }
        // Told to stop: closing the stream is the release the peer sees.
        drop(stream);
        None
    }

    fn blocking<S: Stop>(self, stop: S) -> Option<io::Result<u64>> {
        let run = || -> io::Result<u64> {
            let mut stream = TcpStream::connect(self.addr)?;
            let shut = stream.try_clone()?;
            // A blocked read never looks at the flag: shutting the socket
            // down makes it return 0.
            let _hook = stop.on_stop(move || {
                let _ = shut.shutdown(Shutdown::Both);
            });
            let (mut buf, mut frames) = ([0u8; 1024], Frames::default());
            loop {
                match stream.read(&mut buf) {
                    Ok(0) => return Ok(frames.whole),
                    Ok(n) => self.frames.store(frames.push(&buf[..n]), Ordering::SeqCst),
                    // A read the shutdown cut short is the stop, not a fault.
                    Err(_) if stop.is_stopped() => return Ok(frames.whole),
                    Err(e) => return Err(e),
                }
            }
        };
        let out = run();
        // The stream is closed by now; whether this was a stop decides the
        // answer.
        if stop.is_stopped() { None } else { Some(out) }
    }
}

/// One cancel of one connection: what the cancel returned and when, and
/// what the peer saw.
#[derive(Debug)]
pub struct Cancelled {
    /// When the cancel was issued.
    pub cancel_at: Instant,
    /// When the cancel returned.
    pub returned_at: Instant,
    /// What the peer saw.
    pub seen: Seen,
}

impl Cancelled {
    /// Cancel → the peer saw the close.
    pub fn latency(&self) -> Duration {
        self.seen.at.saturating_duration_since(self.cancel_at)
    }
}

/// Starts the work under `S` on `rt`, waits until a frame has arrived (it
/// is connected and waiting for the next one), optionally lets it settle
/// for `settle`, cancels it, and asks `peer` what it saw. The cancel must
/// return `Stopped`.
pub fn cancel_one<S: Subject<R>, R: Runtime>(
    rt: &R,
    peer: &Peer,
    settle: Duration,
) -> Result<Cancelled, String> {
    let h = rt.handle();
    let (cancel_at, returned_at) = rt.block_on(async {
        let frames = Arc::new(AtomicU64::new(0));
        let handle = S::start(
            &h,
            TcpRead::<R::Handle>::new(peer.addr, Arc::clone(&frames)),
        );
        if !yield_until(&h, || frames.load(Ordering::SeqCst) > 0).await {
            return Err("the work never read a frame".to_owned());
        }
        settle_for(settle);
        let cancel_at = Instant::now();
        let result = bounded(&h, "the cancel", handle.cancel()).await?;
        let returned_at = Instant::now();
        match result {
            Ok(Cancellation::Stopped) => Ok((cancel_at, returned_at)),
            Ok(Cancellation::Finished(out)) => Err(format!("the work finished instead: {out:?}")),
            Err(e) => Err(format!("the cancel failed: {e}")),
        }
    })?;
    let seen = peer.next_close()?;
    Ok(Cancelled {
        cancel_at,
        returned_at,
        seen,
    })
}

/// The floor: a connection on `rt` that has read a frame, dropped by the
/// canceller itself. Close → the peer saw it.
pub fn bare_close<R: Runtime>(rt: &R, peer: &Peer, settle: Duration) -> Result<Duration, String> {
    let h = rt.handle();
    let closed_at = rt.block_on(async {
        let mut stream = bounded(&h, "the connect", R::Handle::connect(peer.addr))
            .await?
            .map_err(|e| format!("the floor could not connect: {e}"))?;
        let (mut buf, mut frames) = ([0u8; 1024], Frames::default());
        let count = AtomicU64::new(0);
        while frames.whole == 0 {
            let open = bounded(
                &h,
                "the first frame",
                read_once::<R::Handle>(&mut stream, &mut buf, &mut frames, &count),
            )
            .await?
            .map_err(|e| format!("the floor could not read: {e}"))?;
            if !open {
                return Err("the peer closed first".to_owned());
            }
        }
        settle_for(settle);
        let closed_at = Instant::now();
        // The bare release: closing the descriptor.
        drop(stream);
        Ok::<_, String>(closed_at)
    })?;
    let seen = peer.next_close()?;
    match seen.close {
        Close::Never => Err("the peer never saw the bare close".to_owned()),
        _ => Ok(seen.at.saturating_duration_since(closed_at)),
    }
}

/// How long the work sits waiting before it is cancelled, so that every
/// thread involved is asleep as it would be in use: the peer in its read,
/// the runtime's workers parked.
const SETTLE: Duration = Duration::from_millis(1);

/// Blocks the calling thread for `d`, spinning: a sleep's wake-up would
/// itself disturb what is measured next.
fn settle_for(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// What a cancel is predicted to do to the connection: every form closes
/// it. Forced work's `Drop` closes the descriptor, cooperative work drops
/// the stream itself, and blocking work's hook shuts the socket down.
const fn predicted_released(form: Form) -> bool {
    match form {
        Form::Forced | Form::Cooperative | Form::Blocking => true,
    }
}

/// Runs the workload under `S` on `R`, `samples` cancels.
pub(crate) fn observe<S: Subject<R>, R: Runtime>(samples: usize) -> Row {
    let form = Form::of::<S, R>();
    let rt = match runtime::<R>() {
        Ok(rt) => rt,
        Err(e) => return Row::failed::<S, R>(Workload::Tcp, e),
    };
    let peer = match Peer::start() {
        Ok(p) => p,
        Err(e) => return Row::failed::<S, R>(Workload::Tcp, format!("no peer: {e}")),
    };
    let taken = beside(
        samples,
        || cancel_one::<S, R>(&rt, &peer, SETTLE),
        || bare_close(&rt, &peer, SETTLE),
    );
    let (cancels, floors) = match taken {
        Ok(t) => t,
        Err(e) => return Row::failed::<S, R>(Workload::Tcp, e),
    };
    let closed = |c: &&Cancelled| c.seen.close != Close::Never;
    let eofs = cancels
        .iter()
        .filter(|c| c.seen.close == Close::Eof)
        .count();
    let resets = cancels
        .iter()
        .filter(|c| c.seen.close == Close::Reset)
        .count();
    let released = cancels.iter().filter(closed).count() == cancels.len();
    let before_return = cancels
        .iter()
        .filter(|c| c.seen.at <= c.returned_at)
        .count();
    let outcome = match (eofs, resets) {
        (_, 0) if released => "peer saw EOF".to_owned(),
        (0, _) if released => "peer saw a reset".to_owned(),
        _ if released => format!("peer saw EOF ({eofs}) or a reset ({resets})"),
        _ => "connection left open".to_owned(),
    };
    let detail = format!(
        "{form} work; {n} cancels, each of a connection that had read a frame and waited \
         for the next: the peer saw {eofs} EOF, {resets} resets and {open} left open within \
         {WAIT_LIMIT:?}; {before_return} of {n} closes seen by the peer before the cancel \
         returned",
        n = cancels.len(),
        open = cancels.len() - eofs - resets,
    );
    Row {
        outcome,
        released,
        pass: released == predicted_released(form),
        detail,
        latency: cancels.iter().map(Cancelled::latency).collect(),
        floor: Some("tcp_close"),
        floor_samples: floors,
        ..Row::ran::<S, R>(Workload::Tcp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_survive_any_split() {
        let stream: Vec<u8> = (0..5).flat_map(frame).collect();
        for cut in 1..stream.len() {
            let mut f = Frames::default();
            f.push(&stream[..cut]);
            assert_eq!(f.push(&stream[cut..]), 5, "split at {cut}");
        }
        let mut bytewise = Frames::default();
        let counts: Vec<u64> = stream.iter().map(|b| bytewise.push(&[*b])).collect();
        assert_eq!(counts.last(), Some(&5));
        assert_eq!(counts.iter().filter(|&&c| c == 0).count(), 4 + FRAME - 1);
    }
}
