//! No data loss: a producer → consumer pipeline whose work on each item is
//! cut at random points, under every strategy × runtime.
//!
//! A producer task sends numbered items into a bounded `async-channel`. The
//! consumer takes one item at a time (a handed-back item first) and runs its
//! processing as scripted work under the strategy, cut at a random point:
//! either `run_with_timeout` with a random deadline or `start`, a random
//! wait, then `cancel`. The work's output is its item. When the contract
//! says the work finished, the item is processed; when it says the work was
//! stopped, the consumer hands the item back. After a fixed number of
//! attempts the consumer closes the channel, drains what is still queued and
//! takes back what the producer could not send.
//!
//! The ledger then requires every item to be in exactly one place:
//! processed, handed back, still queued or never sent. And each item's work
//! must have produced its output (the probe's `completed` mark) exactly as
//! often as the consumer was told so: an output produced but reported as
//! stopped is the loss invariant I1 forbids, and it would be processed twice.
//!
//! Next to it, two demonstrations that the loss is real when the cut falls
//! in the wrong place, each beside its fix: an item taken inside the future a
//! timeout drops, and `read_exact` inside `select!`.

mod common;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cancel_conformance::{Script, Step, Subject, Work, matrix_tests};
use cancel_contract::{CancelHandle, Cancellation, Outcome};
use cancel_harness::probe::Probe;
use cancel_harness::runtime::{Clock, Runtime, RuntimeHandle, TokioCurrentThread, TokioHandle};
use common::{SplitMix, bounded, env_count};

/// Items the producer offers.
const ITEMS: u64 = 48;
/// The channel's capacity: the producer waits when the consumer lags.
const CAPACITY: usize = 8;
/// Items the consumer tries before it stops, so some are left queued,
/// handed back or unsent when it does.
const ATTEMPTS: usize = 64;
/// The longest a step of the work sleeps, and the latest cut.
const MAX_STEP_MICROS: u64 = 3_000;
const MAX_CUT_MICROS: u64 = 7_000;
/// How long one pipeline may take before the test calls it hung.
const LIMIT: Duration = Duration::from_secs(60);

/// Where every item ended up.
#[derive(Debug, Default)]
struct Ledger {
    processed: Vec<u64>,
    handed_back: Vec<u64>,
    queued: Vec<u64>,
    unsent: Vec<u64>,
    /// Per attempt: its item and the probe its work reported on.
    attempts: Vec<(u64, Arc<Probe>)>,
    /// Results that were errors, or outputs naming the wrong item.
    unexpected: Vec<String>,
    /// How many attempts the contract reported finished and stopped.
    finished: usize,
    stopped: usize,
}

impl Ledger {
    /// Checks exactly-once; `Ok` with a summary, `Err` with what went wrong.
    fn check(&self) -> Result<String, String> {
        let mut problems = self.unexpected.clone();
        let mut places = vec![0_u32; ITEMS as usize];
        for &i in self
            .processed
            .iter()
            .chain(&self.handed_back)
            .chain(&self.queued)
            .chain(&self.unsent)
        {
            places[i as usize] += 1;
        }
        let lost: Vec<usize> = (0..places.len()).filter(|&i| places[i] == 0).collect();
        let doubled: Vec<usize> = (0..places.len()).filter(|&i| places[i] > 1).collect();
        if !lost.is_empty() {
            problems.push(format!("lost items {lost:?}"));
        }
        if !doubled.is_empty() {
            problems.push(format!("items in more than one place {doubled:?}"));
        }
        let mut completions = vec![0_u32; ITEMS as usize];
        let mut tried = vec![false; ITEMS as usize];
        for (item, probe) in &self.attempts {
            tried[*item as usize] = true;
            completions[*item as usize] += u32::from(probe.completed.is_set());
            if probe.alive() != 0 {
                problems.push(format!("the work on item {item} is still alive"));
            }
        }
        // Only pipelines that run probed work (the strategies') can tell.
        for item in (0..ITEMS as usize).filter(|&i| tried[i]) {
            let reported = u32::from(self.processed.contains(&(item as u64)));
            if completions[item] != reported {
                problems.push(format!(
                    "item {item}: its work produced the output {} times, reported {reported} times",
                    completions[item]
                ));
            }
        }
        let summary = format!(
            "{} attempts ({} finished, {} stopped): {} processed, {} handed back, {} queued, {} unsent",
            self.attempts.len(),
            self.finished,
            self.stopped,
            self.processed.len(),
            self.handed_back.len(),
            self.queued.len(),
            self.unsent.len()
        );
        if problems.is_empty() {
            Ok(summary)
        } else {
            Err(format!("{summary}; {}", problems.join("; ")))
        }
    }
}

/// The seed of the random cuts: `NO_DATA_LOSS_SEED` replays another run.
fn seed() -> u64 {
    env_count("NO_DATA_LOSS_SEED", 0x5EED) as u64
}

/// Starts the producer on `rt`: it sends every item, and when the channel is
/// closed it keeps the item it was sending and those after it.
fn produce<H: RuntimeHandle>(
    rt: &H,
    tx: async_channel::Sender<u64>,
) -> (Arc<std::sync::Mutex<Vec<u64>>>, Arc<AtomicBool>) {
    let unsent = Arc::new(std::sync::Mutex::new(Vec::new()));
    let done = Arc::new(AtomicBool::new(false));
    let (kept, finished) = (Arc::clone(&unsent), Arc::clone(&done));
    rt.spawn_detached(async move {
        for i in 0..ITEMS {
            // A failed send hands the item back: nothing is dropped here.
            if let Err(async_channel::SendError(item)) = tx.send(i).await {
                kept.lock().expect("unsent items").extend(item..ITEMS);
                break;
            }
        }
        finished.store(true, Ordering::SeqCst);
    });
    (unsent, done)
}

/// The pipeline for subject `S` on runtime `R`, with the cuts drawn from `seed`.
fn pipeline<S: Subject<R>, R: Runtime>(seed: u64) -> Ledger {
    let rt: R = common::runtime::<S, R>(Clock::Virtual);
    let h = rt.handle();
    let mut rng = SplitMix::new(seed);
    rt.block_on(async {
        let (tx, rx) = async_channel::bounded::<u64>(CAPACITY);
        let (unsent, producer_done) = produce(&h, tx);
        let mut ledger = Ledger::default();
        let mut handback = VecDeque::new();
        for _ in 0..ATTEMPTS {
            // A handed-back item goes first; `recv` fails once the producer
            // has sent everything and gone.
            let item = match handback.pop_front() {
                Some(item) => item,
                None => match rx.recv().await {
                    Ok(item) => item,
                    Err(_) => break,
                },
            };
            let steps = [
                Step::Sleep(rng.micros(MAX_STEP_MICROS)),
                Step::Yield,
                Step::Sleep(rng.micros(MAX_STEP_MICROS)),
            ];
            // One cut in eight is `Duration::ZERO`: cut before the work runs.
            let cut = if rng.below(8) == 0 {
                Duration::ZERO
            } else {
                rng.micros(MAX_CUT_MICROS)
            };
            let (p, c) = (Probe::new(), Probe::new());
            let script = Script::new(steps, item).with_cleanup(Duration::from_micros(500));
            let work = Work::new(script, &p, &c);
            let result = if rng.below(2) == 0 {
                S::run_with_timeout(&h, cut, work)
                    .await
                    .map(Outcome::completed)
            } else {
                let handle = S::start(&h, work);
                h.sleep(cut).await;
                handle.cancel().await.map(Cancellation::finished)
            };
            ledger.attempts.push((item, p));
            match result {
                Ok(Some(v)) if v == item => {
                    ledger.finished += 1;
                    ledger.processed.push(v);
                }
                Ok(Some(v)) => ledger
                    .unexpected
                    .push(format!("the work on item {item} returned {v}")),
                Ok(None) => {
                    ledger.stopped += 1;
                    handback.push_back(item);
                }
                Err(e) => {
                    ledger.unexpected.push(format!("item {item}: {e}"));
                    handback.push_back(item);
                }
            }
        }
        // Stop consuming: what is still in the channel stays queued, and the
        // producer keeps what it has not sent.
        rx.close();
        while let Ok(item) = rx.try_recv() {
            ledger.queued.push(item);
        }
        let start = h.now();
        while !producer_done.load(Ordering::SeqCst) {
            assert!(
                h.now().duration_since(start) < Duration::from_secs(10),
                "the producer never ended"
            );
            h.sleep(Duration::from_millis(1)).await;
        }
        ledger.unsent = unsent.lock().expect("unsent items").clone();
        ledger.handed_back = handback.into();
        ledger
    })
}

/// Every strategy × runtime: nothing lost, nothing duplicated.
fn exactly_once<S: Subject<R>, R: Runtime>() {
    let seed = seed();
    let ledger = bounded("pipeline", LIMIT, move || pipeline::<S, R>(seed));
    match ledger.check() {
        Ok(summary) => {
            // Shown with `--nocapture`.
            println!("{} on {}: {summary}", S::NAME, R::KIND);
            // Every kind of cut must have happened, or the test proved little.
            assert!(
                ledger.finished > 0 && ledger.stopped > 0,
                "seed {seed:#x}: the cuts never both finished and stopped work: {summary}"
            );
        }
        Err(problems) => panic!("{} on {}, seed {seed:#x}: {problems}", S::NAME, R::KIND),
    }
}

matrix_tests!(exactly_once);

/// The ledger can fail: a consumer that takes the item *inside* the future a
/// timeout drops loses every item it was processing when the timer won.
/// Beside it, the fix: take the item outside, hand it back on a timeout.
#[test]
fn an_item_taken_inside_a_dropped_future_is_lost_and_the_fix_keeps_it() {
    async fn consume(h: TokioHandle, handback_outside: bool) -> Ledger {
        let (tx, rx) = async_channel::bounded::<u64>(CAPACITY);
        let (unsent, done) = produce(&h, tx);
        let mut ledger = Ledger::default();
        let mut handback = VecDeque::new();
        for attempt in 0..ATTEMPTS {
            // Processing takes 3 ms; every third attempt allows only 1 ms.
            let cut = if attempt % 3 == 0 { 1 } else { 5 };
            let cut = Duration::from_millis(cut);
            let process = Duration::from_millis(3);
            if handback_outside {
                let item = match handback.pop_front() {
                    Some(item) => item,
                    None => match rx.recv().await {
                        Ok(item) => item,
                        Err(_) => break,
                    },
                };
                // The fix: the item lives outside the future the timeout
                // may drop, so a timeout hands it back.
                match tokio::time::timeout(cut, tokio::time::sleep(process)).await {
                    Ok(()) => ledger.processed.push(item),
                    Err(_elapsed) => handback.push_back(item),
                }
            } else {
                // The bug: `recv` runs inside the timed future; when the timer
                // wins mid-processing the item is dropped with it.
                let timed = tokio::time::timeout(cut, async {
                    let item = rx.recv().await.ok()?;
                    tokio::time::sleep(process).await;
                    Some(item)
                });
                match timed.await {
                    Ok(Some(item)) => ledger.processed.push(item),
                    Ok(None) => break,
                    Err(_elapsed) => ledger.stopped += 1,
                }
            }
        }
        rx.close();
        while let Ok(item) = rx.try_recv() {
            ledger.queued.push(item);
        }
        while !done.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        ledger.unsent = unsent.lock().expect("unsent items").clone();
        ledger.handed_back = handback.into();
        ledger
    }

    let rt = TokioCurrentThread::build(Clock::Virtual).expect("a paused tokio runtime");
    let unsafe_run = rt.block_on(consume(rt.handle(), false));
    let problems = unsafe_run
        .check()
        .expect_err("items taken inside a dropped future must be lost");
    // One item lost per timeout, and the ledger names them.
    assert!(unsafe_run.stopped > 0, "{problems}");
    let lost = problems
        .split("lost items [")
        .nth(1)
        .map(|rest| rest.split(']').next().unwrap_or("").split(',').count());
    assert_eq!(lost, Some(unsafe_run.stopped), "{problems}");

    let fixed = rt.block_on(consume(rt.handle(), true));
    let summary = fixed
        .check()
        .unwrap_or_else(|p| panic!("the fix lost items: {p}"));
    assert!(!fixed.processed.is_empty(), "{summary}");
}

/// Frames of 8 bytes, written with a pause in the middle of the first.
async fn write_frames(mut w: tokio::io::DuplexStream, frames: [u64; 3]) {
    use tokio::io::AsyncWriteExt;
    let first = frames[0].to_be_bytes();
    w.write_all(&first[..4]).await.expect("write");
    // The reader's timer fires while half a frame is in flight.
    tokio::time::sleep(Duration::from_millis(50)).await;
    w.write_all(&first[4..]).await.expect("write");
    for f in &frames[1..] {
        w.write_all(&f.to_be_bytes()).await.expect("write");
    }
    // Dropping the writer is the end of the stream.
}

const FRAMES: [u64; 3] = [
    0x1111_1111_AAAA_AAAA,
    0x2222_2222_BBBB_BBBB,
    0x3333_3333_CCCC_CCCC,
];

/// `read_exact` is not cancel safe: when the timer branch of `select!` wins
/// after it has read half a frame, those bytes are gone, and every frame
/// after is misaligned.
#[tokio::test(start_paused = true)]
async fn read_exact_in_select_loses_the_bytes_it_had_read() {
    use tokio::io::AsyncReadExt;
    let (writer, mut reader) = tokio::io::duplex(64);
    tokio::spawn(write_frames(writer, FRAMES));
    let mut got = Vec::new();
    let mut ticks = 0;
    loop {
        let mut buf = [0_u8; 8];
        tokio::select! {
            read = reader.read_exact(&mut buf) => match read {
                Ok(_) => got.push(u64::from_be_bytes(buf)),
                // The stream ended with a partial frame left over.
                Err(_eof) => break,
            },
            // The timer wins while `read_exact` holds half a frame: the
            // future is dropped, and the bytes it had read with it.
            () = tokio::time::sleep(Duration::from_millis(10)) => ticks += 1,
        }
    }
    assert!(ticks > 0, "the timer never fired");
    let bytes = |f: u64| f.to_be_bytes();
    let glue = |a: u64, b: u64| {
        let (a, b) = (bytes(a), bytes(b));
        u64::from_be_bytes([a[4], a[5], a[6], a[7], b[0], b[1], b[2], b[3]])
    };
    // The first 4 bytes were lost; what arrived is misaligned by 4 bytes.
    assert_eq!(
        got,
        [glue(FRAMES[0], FRAMES[1]), glue(FRAMES[1], FRAMES[2])],
        "frames received: {got:x?}"
    );
}

/// A frame reader whose partial frame lives outside the `select!`, filled by
/// `read`, which is cancel safe: a timer that wins loses nothing.
#[derive(Debug, Default)]
struct FrameReader {
    buf: [u8; 8],
    filled: usize,
}

impl FrameReader {
    /// The next frame, or `None` at the end of the stream.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: bytes already read stay in `self`, and `read` itself
    /// reads nothing when it is dropped.
    async fn next(&mut self, r: &mut tokio::io::DuplexStream) -> std::io::Result<Option<u64>> {
        use tokio::io::AsyncReadExt;
        while self.filled < self.buf.len() {
            let n = r.read(&mut self.buf[self.filled..]).await?;
            if n == 0 {
                return Ok(None);
            }
            self.filled += n;
        }
        self.filled = 0;
        Ok(Some(u64::from_be_bytes(self.buf)))
    }
}

#[tokio::test(start_paused = true)]
async fn a_frame_reader_kept_across_iterations_loses_nothing() {
    let (writer, mut reader) = tokio::io::duplex(64);
    tokio::spawn(write_frames(writer, FRAMES));
    let mut frames = FrameReader::default();
    let mut got = Vec::new();
    let mut ticks_mid_frame = 0;
    loop {
        tokio::select! {
            next = frames.next(&mut reader) => match next.expect("duplex reads do not fail") {
                Some(f) => got.push(f),
                None => break,
            },
            // Only the wait is dropped; the half frame stays in `frames`.
            () = tokio::time::sleep(Duration::from_millis(10)) => {
                ticks_mid_frame += usize::from(frames.filled > 0);
            }
        }
    }
    assert!(ticks_mid_frame > 0, "the timer never fired mid-frame");
    assert_eq!(got, FRAMES, "frames received: {got:x?}");
}
