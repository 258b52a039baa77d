//! The cancel-safety table of `docs/cancel-safety.md`, one test per row.
//!
//! Each test puts the call where a `select!` loop puts it: it cancels the
//! call at a random point, many times over, with a seeded generator, and
//! keeps a ledger of what went in and what came out. On tokio the cut is a
//! `timeout` at a random instant of the paused clock (deterministic); on
//! async-std and smol it is a drop after a random number of polls. A row
//! that says "cancel safe" is checked by the ledger balancing exactly, and
//! by at least one call really having been cancelled half-way (a test that
//! never cut anything would prove nothing). A row that says "not cancel
//! safe" is checked both ways: the loss is observed, and it is exactly the
//! loss the row names (these bytes, this message, this place in a queue),
//! nothing more.

use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt,
};
use tokio::sync::{Mutex, Notify, Semaphore, broadcast, mpsc, oneshot, watch};
use tokio::time::{sleep, timeout};

/// Seeds per row: each seed is one run of the row's scenario.
const SEEDS: u64 = 48;

/// A small seeded generator (SplitMix64): a failing seed replays.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A size in `lo..=hi`.
    fn size(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below((hi - lo + 1) as u64) as usize
    }

    /// `0..=max` milliseconds of the paused clock.
    fn ms(&mut self, max: u64) -> Duration {
        Duration::from_millis(self.below(max + 1))
    }
}

/// Runs `f` on a current-thread tokio runtime whose clock is paused: timers
/// fire in a fixed order, so every seed replays exactly.
fn paused<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a paused runtime")
        .block_on(f)
}

/// Polls `fut` at most `polls + 1` times, yielding to the executor between
/// polls, and drops it if it is still pending then: a cut after a random
/// number of polls, for runtimes without a paused clock.
async fn within_polls<F: Future>(polls: u64, fut: F) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let mut left = polls;
    poll_fn(move |cx| match fut.as_mut().poll(cx) {
        Poll::Ready(v) => Poll::Ready(Some(v)),
        Poll::Pending if left == 0 => Poll::Ready(None),
        Poll::Pending => {
            left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// Polls once without a runtime: is it ready now?
fn ready_now<F: Future + ?Sized>(fut: Pin<&mut F>) -> bool {
    fut.poll(&mut Context::from_waker(Waker::noop())).is_ready()
}

/// `len` bytes numbered by their position (wrapping at 256).
fn numbered(len: usize) -> Vec<u8> {
    (0..len).map(|i| i as u8).collect()
}

/// `data` without the byte ranges in `lost`.
fn without(data: &[u8], lost: &[std::ops::Range<usize>]) -> Vec<u8> {
    data.iter()
        .enumerate()
        .filter(|(i, _)| !lost.iter().any(|r| r.contains(i)))
        .map(|(_, b)| *b)
        .collect()
}

/// An async reader or writer that counts the bytes that pass through it: a
/// byte counted has left the stream for good, whoever holds it now.
struct Counting<T> {
    inner: T,
    count: Arc<AtomicUsize>,
}

impl<T> Counting<T> {
    fn new(inner: T) -> (Counting<T>, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let counting = Counting {
            inner,
            count: Arc::clone(&count),
        };
        (counting, count)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Counting<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let taken = buf.filled().len() - before;
        self.count.fetch_add(taken, Ordering::SeqCst);
        polled
    }
}

/// For `read_line` and `read_until`: counts what is consumed from the
/// buffer (bytes the reader's own buffer holds are still in the stream).
impl<T: AsyncBufRead + Unpin> AsyncBufRead for Counting<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Pin::new(&mut self.get_mut().inner).poll_fill_buf(cx)
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        self.count.fetch_add(amt, Ordering::SeqCst);
        Pin::new(&mut self.inner).consume(amt);
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counting<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.count.fetch_add(n, Ordering::SeqCst);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<T: futures_lite::AsyncRead + Unpin> futures_lite::AsyncRead for Counting<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.count.fetch_add(n, Ordering::SeqCst);
        }
        polled
    }
}

/// Feeds `data` into `writer` in random chunks at random instants, then
/// shuts it down (the reader sees the end).
async fn feed(mut writer: impl AsyncWrite + Unpin, data: Vec<u8>, mut rng: Rng) {
    let mut at = 0;
    while at < data.len() {
        let end = (at + rng.size(1, 6)).min(data.len());
        sleep(rng.ms(3)).await;
        writer
            .write_all(&data[at..end])
            .await
            .expect("the reader is alive");
        at = end;
    }
    writer.shutdown().await.expect("shut down");
}

/// Reads `reader` to its end in random pieces at random instants.
async fn drain(mut reader: impl AsyncRead + Unpin, mut rng: Rng) -> Vec<u8> {
    let mut got = Vec::new();
    loop {
        sleep(rng.ms(3)).await;
        let mut piece = vec![0u8; rng.size(1, 8)];
        match reader.read(&mut piece).await.expect("a read") {
            0 => return got,
            n => got.extend_from_slice(&piece[..n]),
        }
    }
}

// ---------------------------------------------------------------- tokio sync

#[test]
fn tokio_mpsc_recv_loses_nothing() {
    let mut cuts = 0;
    for seed in 0..SEEDS {
        let (got, cut) = paused(async move {
            let mut rng = Rng::new(seed);
            let mut senders = Rng::new(seed + 1000);
            let (tx, mut rx) = mpsc::channel::<u32>(4);
            tokio::spawn(async move {
                for i in 0..32 {
                    sleep(senders.ms(4)).await;
                    tx.send(i).await.expect("the receiver is alive");
                }
            });
            let (mut got, mut cuts) = (Vec::new(), 0);
            loop {
                match timeout(rng.ms(3), rx.recv()).await {
                    Ok(Some(v)) => got.push(v),
                    Ok(None) => break,
                    Err(_) => cuts += 1, // a pending recv dropped
                }
            }
            (got, cuts)
        });
        assert_eq!(got, (0..32).collect::<Vec<_>>(), "seed {seed}");
        cuts += cut;
    }
    assert!(cuts > 0, "no recv was cancelled: nothing was shown");
}

#[test]
fn tokio_mpsc_send_loses_the_message() {
    let mut lost_total = 0;
    for seed in 0..SEEDS {
        let (got, sent, lost) = paused(async move {
            let mut rng = Rng::new(seed);
            let mut receiver = Rng::new(seed + 1000);
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            let consumer = tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    sleep(receiver.ms(4)).await;
                    match rx.recv().await {
                        Some(v) => got.push(v),
                        None => return got,
                    }
                }
            });
            let (mut sent, mut lost) = (Vec::new(), Vec::new());
            for i in 0..32 {
                match timeout(rng.ms(3), tx.send(i)).await {
                    Ok(result) => {
                        result.expect("the receiver is alive");
                        sent.push(i);
                    }
                    Err(_) => lost.push(i), // the message went down with the future
                }
            }
            drop(tx);
            (consumer.await.expect("the consumer"), sent, lost)
        });
        // Every completed send arrived, in order; no cancelled one did.
        assert_eq!(got, sent, "seed {seed}: lost {lost:?}");
        lost_total += lost.len();
    }
    assert!(
        lost_total > 0,
        "no send was cancelled while waiting: the loss was not shown"
    );
}

#[test]
fn tokio_mpsc_reserve_then_send_loses_nothing() {
    let mut cuts = 0;
    for seed in 0..SEEDS {
        let (got, cut) = paused(async move {
            let mut rng = Rng::new(seed);
            let mut receiver = Rng::new(seed + 1000);
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            let consumer = tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    sleep(receiver.ms(4)).await;
                    match rx.recv().await {
                        Some(v) => got.push(v),
                        None => return got,
                    }
                }
            });
            let mut cuts = 0;
            for i in 0..32 {
                // The message stays here until a permit is in hand.
                loop {
                    match timeout(rng.ms(3), tx.reserve()).await {
                        Ok(permit) => {
                            permit.expect("the receiver is alive").send(i);
                            break;
                        }
                        Err(_) => cuts += 1,
                    }
                }
            }
            drop(tx);
            (consumer.await.expect("the consumer"), cuts)
        });
        assert_eq!(got, (0..32).collect::<Vec<_>>(), "seed {seed}");
        cuts += cut;
    }
    assert!(cuts > 0, "no reserve was cancelled: nothing was shown");
}

#[test]
fn tokio_broadcast_recv_loses_nothing() {
    let mut cuts = 0;
    for seed in 0..SEEDS {
        let (got, cut) = paused(async move {
            let mut rng = Rng::new(seed);
            let mut senders = Rng::new(seed + 1000);
            // Room for every message: lagging is another matter than cancelling.
            let (tx, mut rx) = broadcast::channel::<u32>(32);
            tokio::spawn(async move {
                for i in 0..32 {
                    sleep(senders.ms(4)).await;
                    tx.send(i).expect("a receiver is alive");
                }
            });
            let (mut got, mut cuts) = (Vec::new(), 0);
            loop {
                match timeout(rng.ms(3), rx.recv()).await {
                    Ok(Ok(v)) => got.push(v),
                    Ok(Err(broadcast::error::RecvError::Closed)) => break,
                    Ok(Err(lagged)) => panic!("seed {seed}: {lagged}"),
                    Err(_) => cuts += 1,
                }
            }
            (got, cuts)
        });
        assert_eq!(got, (0..32).collect::<Vec<_>>(), "seed {seed}");
        cuts += cut;
    }
    assert!(cuts > 0, "no recv was cancelled: nothing was shown");
}

#[test]
fn tokio_watch_changed_loses_no_update() {
    let mut cuts = 0;
    for seed in 0..SEEDS {
        let (seen, cut) = paused(async move {
            let mut rng = Rng::new(seed);
            let mut sender = Rng::new(seed + 1000);
            let (tx, mut rx) = watch::channel(0_u32);
            tokio::spawn(async move {
                for v in 1..=24 {
                    sleep(sender.ms(4)).await;
                    tx.send(v).expect("the receiver is alive");
                }
            });
            let (mut seen, mut cuts) = (Vec::new(), 0);
            loop {
                match timeout(rng.ms(3), rx.changed()).await {
                    Ok(Ok(())) => seen.push(*rx.borrow_and_update()),
                    Ok(Err(_)) => break, // the sender is gone and every value was seen
                    Err(_) => cuts += 1,
                }
            }
            (seen, cuts)
        });
        // A watch keeps only the latest value, so some may be skipped; but
        // none is seen twice and the last is never lost to a cancel.
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "seed {seed}: {seen:?}"
        );
        assert_eq!(seen.last(), Some(&24), "seed {seed}: {seen:?}");
        cuts += cut;
    }
    assert!(cuts > 0, "no changed() was cancelled: nothing was shown");
}

#[test]
fn tokio_watch_wait_for_sees_a_value_already_there() {
    let mut cuts = 0;
    for seed in 0..SEEDS {
        let cut = paused(async move {
            let mut rng = Rng::new(seed);
            let mut sender = Rng::new(seed + 1000);
            let (tx, mut rx) = watch::channel(0_u32);
            let target = 1 + rng.below(12) as u32;
            let feeder = tokio::spawn(async move {
                for v in 1..=12 {
                    sleep(sender.ms(4)).await;
                    tx.send(v).expect("the receiver is alive");
                }
                tx // kept alive: the end must come from the value, not a closed channel
            });
            let mut cuts = 0;
            loop {
                match timeout(rng.ms(3), rx.wait_for(|v| *v >= target)).await {
                    Ok(value) => {
                        assert!(*value.expect("the sender is alive") >= target);
                        break;
                    }
                    Err(_) => cuts += 1,
                }
            }
            // Once the latest value is marked seen, `changed()` waits for a
            // new one, while `wait_for` still sees the one there.
            let _tx = feeder.await.expect("the feeder");
            rx.borrow_and_update();
            assert!(
                timeout(Duration::from_millis(50), rx.changed())
                    .await
                    .is_err()
            );
            let again = timeout(Duration::ZERO, rx.wait_for(|v| *v >= target)).await;
            assert!(
                again.is_ok(),
                "seed {seed}: wait_for missed a value already there"
            );
            cuts
        });
        cuts += cut;
    }
    assert!(cuts > 0, "no wait_for was cancelled: nothing was shown");
}

#[test]
fn tokio_notified_loses_its_place_not_the_notification() {
    let mut moved = 0;
    for seed in 0..SEEDS {
        let mut rng = Rng::new(seed);
        let notify = Notify::new();
        let n = rng.size(2, 6);
        let k = rng.below(n as u64) as usize;
        let mut waiters: Vec<Option<Pin<Box<tokio::sync::futures::Notified<'_>>>>> = (0..n)
            .map(|_| {
                let mut waiter = Box::pin(notify.notified());
                waiter.as_mut().enable(); // in the queue, in order
                Some(waiter)
            })
            .collect();
        // Waiter k is cancelled either before the first notify_one or after
        // it (when it may hold that notification), then asks again.
        let after = rng.below(2) == 1;
        if !after {
            waiters[k] = None;
        }
        notify.notify_one();
        if after {
            waiters[k] = None;
        }
        let mut again = Box::pin(notify.notified());
        again.as_mut().enable();
        waiters[k] = Some(again);
        // Who gets each notification, one notify_one at a time.
        let mut order = Vec::new();
        for round in 0..n {
            if round > 0 {
                notify.notify_one();
            }
            let ready: Vec<usize> = (0..n)
                .filter(|&i| waiters[i].as_mut().is_some_and(|w| ready_now(w.as_mut())))
                .collect();
            assert_eq!(
                ready.len(),
                1,
                "seed {seed}: one notification, one waiter: {ready:?}"
            );
            order.push(ready[0]);
            waiters[ready[0]] = None;
        }
        // No notification was lost (n notify_one, n waiters woken), and the
        // cancelled waiter went to the back of the queue.
        let expected: Vec<usize> = (0..n).filter(|&i| i != k).chain([k]).collect();
        assert_eq!(order, expected, "seed {seed}: n {n}, k {k}, after {after}");
        if k != n - 1 {
            moved += 1;
        }
    }
    assert!(moved > 0, "no waiter lost a place: the loss was not shown");
}

/// One run of the lock-queue scenario: `n` tasks queue for a resource held
/// until 100 ms; task `k` gives up its wait at `cut` and queues again. The
/// order in which they got it comes back.
async fn queue_order<F, Fut>(n: usize, k: usize, cut: Duration, acquire: F) -> Vec<usize>
where
    F: Fn() -> Fut + Clone + 'static,
    Fut: Future<Output = Box<dyn std::any::Any>> + 'static,
{
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..n {
        let (acquire, order) = (acquire.clone(), Arc::clone(&order));
        tasks.push(tokio::task::spawn_local(async move {
            let held = if i == k {
                match timeout(cut, acquire()).await {
                    Ok(held) => held,
                    Err(_) => acquire().await, // a new future: the back of the queue
                }
            } else {
                acquire().await
            };
            order.lock().expect("the order").push(i);
            drop(held);
        }));
        tokio::task::yield_now().await; // task i queues before task i + 1
    }
    for task in tasks {
        task.await.expect("a waiter");
    }
    order.lock().expect("the order").clone()
}

/// What `queue_order` must return: the cancelled task behind the others
/// when it gave up before the release, the queue's order otherwise.
fn expected_order(n: usize, k: usize, cut: Duration) -> Vec<usize> {
    if cut < Duration::from_millis(100) {
        (0..n).filter(|&i| i != k).chain([k]).collect()
    } else {
        (0..n).collect()
    }
}

/// A cut before or after the 100 ms release, never at it (a tie).
fn cut_around_release(rng: &mut Rng) -> Duration {
    let ms = 1 + rng.below(198);
    Duration::from_millis(if ms >= 100 { ms + 1 } else { ms })
}

#[test]
fn tokio_mutex_lock_loses_its_place_not_the_data() {
    let mut moved = 0;
    for seed in 0..SEEDS {
        let mut rng = Rng::new(seed);
        let (n, cut) = (rng.size(2, 5), cut_around_release(&mut rng));
        let k = rng.below(n as u64) as usize;
        let (order, data) = paused(tokio::task::LocalSet::new().run_until(async move {
            let lock = Arc::new(Mutex::new(0_u32));
            let held = Arc::clone(&lock).lock_owned().await;
            let acquire = {
                let lock = Arc::clone(&lock);
                move || {
                    let lock = Arc::clone(&lock);
                    async move {
                        let mut guard = lock.lock_owned().await;
                        *guard += 1; // the data: every task adds one
                        Box::new(guard) as Box<dyn std::any::Any>
                    }
                }
            };
            let releaser = tokio::spawn(async move {
                sleep(Duration::from_millis(100)).await;
                drop(held);
            });
            let order = queue_order(n, k, cut, acquire).await;
            releaser.await.expect("the releaser");
            let data = *lock.lock().await;
            (order, data)
        }));
        assert_eq!(
            order,
            expected_order(n, k, cut),
            "seed {seed}: n {n}, k {k}, cut {cut:?}"
        );
        assert_eq!(data, n as u32, "seed {seed}: an update was lost");
        if order != (0..n).collect::<Vec<_>>() {
            moved += 1;
        }
    }
    assert!(
        moved > 0,
        "no lock() lost its place: the loss was not shown"
    );
}

#[test]
fn tokio_semaphore_acquire_loses_its_place() {
    let mut moved = 0;
    for seed in 0..SEEDS {
        let mut rng = Rng::new(seed);
        let (n, cut) = (rng.size(2, 5), cut_around_release(&mut rng));
        let k = rng.below(n as u64) as usize;
        let (order, permits) = paused(tokio::task::LocalSet::new().run_until(async move {
            let semaphore = Arc::new(Semaphore::new(0));
            let acquire = {
                let semaphore = Arc::clone(&semaphore);
                move || {
                    let semaphore = Arc::clone(&semaphore);
                    async move {
                        let permit = semaphore.acquire_owned().await.expect("open");
                        Box::new(permit) as Box<dyn std::any::Any>
                    }
                }
            };
            let releaser = tokio::spawn({
                let semaphore = Arc::clone(&semaphore);
                async move {
                    sleep(Duration::from_millis(100)).await;
                    semaphore.add_permits(1);
                }
            });
            let order = queue_order(n, k, cut, acquire).await;
            releaser.await.expect("the releaser");
            (order, semaphore.available_permits())
        }));
        assert_eq!(
            order,
            expected_order(n, k, cut),
            "seed {seed}: n {n}, k {k}, cut {cut:?}"
        );
        assert_eq!(
            permits, 1,
            "seed {seed}: a cancelled acquire kept or lost a permit"
        );
        if order != (0..n).collect::<Vec<_>>() {
            moved += 1;
        }
    }
    assert!(
        moved > 0,
        "no acquire lost its place: the loss was not shown"
    );
}

#[test]
fn tokio_oneshot_by_reference_loses_nothing() {
    let (mut cuts, mut returned) = (0, 0);
    for seed in 0..SEEDS {
        let (got, cut, back) = paused(async move {
            let mut rng = Rng::new(seed);
            let delay = rng.ms(20);
            // By reference: the receiver outlives every cancelled wait.
            let (tx, mut rx) = oneshot::channel::<u32>();
            tokio::spawn(async move {
                sleep(delay).await;
                tx.send(7).expect("the receiver is alive");
            });
            let mut cuts = 0;
            let got = loop {
                match timeout(rng.ms(3), &mut rx).await {
                    Ok(v) => break v.expect("sent"),
                    Err(_) => cuts += 1,
                }
            };
            // By value: the receiver goes with the future, and a later send
            // hands its value back to the sender.
            let (tx, rx) = oneshot::channel::<u32>();
            let cut_at = rng.ms(10);
            let sender = tokio::spawn(async move {
                sleep(delay).await;
                tx.send(8)
            });
            let back = match timeout(cut_at, rx).await {
                Ok(v) => {
                    assert_eq!(v, Ok(8));
                    assert_eq!(sender.await.expect("the sender"), Ok(()));
                    false
                }
                Err(_) => {
                    assert_eq!(sender.await.expect("the sender"), Err(8), "seed {seed}");
                    true
                }
            };
            (got, cuts, back)
        });
        assert_eq!(got, 7, "seed {seed}");
        cuts += cut;
        returned += u32::from(back);
    }
    assert!(
        cuts > 0,
        "no wait on &mut rx was cancelled: nothing was shown"
    );
    assert!(
        returned > 0,
        "no receiver was dropped before its send: nothing was shown"
    );
}

#[test]
fn tokio_join_set_join_next_loses_no_task() {
    let mut cuts = 0;
    for seed in 0..SEEDS {
        let (mut got, cut) = paused(async move {
            let mut rng = Rng::new(seed);
            let mut set = tokio::task::JoinSet::new();
            for id in 0..16_u32 {
                let after = rng.ms(30);
                set.spawn(async move {
                    sleep(after).await;
                    id
                });
            }
            let (mut got, mut cuts) = (Vec::new(), 0);
            loop {
                match timeout(rng.ms(3), set.join_next()).await {
                    Ok(Some(id)) => got.push(id.expect("a task")),
                    Ok(None) => break,
                    Err(_) => cuts += 1,
                }
            }
            (got, cuts)
        });
        got.sort_unstable();
        assert_eq!(got, (0..16).collect::<Vec<_>>(), "seed {seed}");
        cuts += cut;
    }
    assert!(cuts > 0, "no join_next was cancelled: nothing was shown");
}

// ------------------------------------------------------------------ tokio io

#[test]
fn tokio_read_loses_nothing() {
    let mut cuts = 0;
    for seed in 0..SEEDS {
        let data = numbered(96);
        let expected = data.clone();
        let (got, cut) = paused(async move {
            let mut rng = Rng::new(seed);
            let (mut reader, writer) = tokio::io::duplex(rng.size(1, 16));
            tokio::spawn(feed(writer, data, Rng::new(seed + 1000)));
            let (mut got, mut cuts) = (Vec::new(), 0);
            loop {
                let mut piece = vec![0u8; rng.size(1, 8)];
                match timeout(rng.ms(3), reader.read(&mut piece)).await {
                    Ok(Ok(0)) => break,
                    Ok(Ok(n)) => got.extend_from_slice(&piece[..n]),
                    Ok(Err(e)) => panic!("seed {seed}: {e}"),
                    Err(_) => cuts += 1,
                }
            }
            (got, cuts)
        });
        assert_eq!(got, expected, "seed {seed}");
        cuts += cut;
    }
    assert!(cuts > 0, "no read was cancelled: nothing was shown");
}

#[test]
fn tokio_read_exact_loses_the_bytes_it_read() {
    let mut lost_total = 0;
    for seed in 0..SEEDS {
        let data = numbered(96);
        let (got, lost) = paused({
            let data = data.clone();
            async move {
                let mut rng = Rng::new(seed);
                let (reader, writer) = tokio::io::duplex(rng.size(1, 16));
                let (mut reader, taken) = Counting::new(reader);
                tokio::spawn(feed(writer, data, Rng::new(seed + 1000)));
                let (mut got, mut lost) = (Vec::new(), Vec::new());
                loop {
                    let before = taken.load(Ordering::SeqCst);
                    let mut frame = [0u8; 4];
                    match timeout(rng.ms(3), reader.read_exact(&mut frame)).await {
                        Ok(Ok(_)) => got.extend_from_slice(&frame),
                        // The end, in the middle of a frame: that part is no frame.
                        Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                            lost.push(before..taken.load(Ordering::SeqCst));
                            break;
                        }
                        Ok(Err(e)) => panic!("seed {seed}: {e}"),
                        // What this read_exact had taken is gone with it.
                        Err(_) => lost.push(before..taken.load(Ordering::SeqCst)),
                    }
                }
                (got, lost)
            }
        });
        // Exactly the bytes the cancelled calls had taken are missing.
        assert_eq!(got, without(&data, &lost), "seed {seed}: lost {lost:?}");
        lost_total += lost.iter().map(|r| r.len()).sum::<usize>();
    }
    assert!(
        lost_total > 0,
        "no read_exact lost a byte: the loss was not shown"
    );
}

#[test]
fn tokio_read_line_loses_the_partial_line() {
    let mut lost_total = 0;
    for seed in 0..SEEDS {
        let text: String = (0..24).map(|i| format!("l{i:02}\n")).collect();
        let data = text.clone().into_bytes();
        let (got, lost) = paused(async move {
            let mut rng = Rng::new(seed);
            let (reader, writer) = tokio::io::duplex(rng.size(1, 16));
            let (mut reader, consumed) = Counting::new(tokio::io::BufReader::new(reader));
            tokio::spawn(feed(writer, text.into_bytes(), Rng::new(seed + 1000)));
            let (mut got, mut lost) = (Vec::new(), Vec::new());
            loop {
                let before = consumed.load(Ordering::SeqCst);
                let mut line = String::new();
                match timeout(rng.ms(3), reader.read_line(&mut line)).await {
                    Ok(Ok(0)) => break,
                    Ok(Ok(_)) => got.extend_from_slice(line.as_bytes()),
                    Ok(Err(e)) => panic!("seed {seed}: {e}"),
                    Err(_) => lost.push(before..consumed.load(Ordering::SeqCst)),
                }
            }
            (got, lost)
        });
        assert_eq!(got, without(&data, &lost), "seed {seed}: lost {lost:?}");
        lost_total += lost.iter().map(|r| r.len()).sum::<usize>();
    }
    assert!(
        lost_total > 0,
        "no read_line lost a byte: the loss was not shown"
    );
}

#[test]
fn tokio_read_until_keeps_the_partial_line_in_the_buffer() {
    let mut kept = 0;
    for seed in 0..SEEDS {
        let text: String = (0..24).map(|i| format!("l{i:02}\n")).collect();
        let data = text.clone().into_bytes();
        let (got, partial) = paused(async move {
            let mut rng = Rng::new(seed);
            let (reader, writer) = tokio::io::duplex(rng.size(1, 16));
            let mut reader = tokio::io::BufReader::new(reader);
            tokio::spawn(feed(writer, text.into_bytes(), Rng::new(seed + 1000)));
            // The buffer outlives every call: a cancelled call's bytes stay in it.
            let (mut got, mut line, mut partial) = (Vec::new(), Vec::new(), 0);
            loop {
                match timeout(rng.ms(3), reader.read_until(b'\n', &mut line)).await {
                    Ok(Ok(0)) => break,
                    Ok(Ok(_)) => got.append(&mut line),
                    Ok(Err(e)) => panic!("seed {seed}: {e}"),
                    Err(_) => partial += usize::from(!line.is_empty()),
                }
            }
            (got, partial)
        });
        assert_eq!(got, data, "seed {seed}");
        kept += partial;
    }
    assert!(
        kept > 0,
        "no cancelled read_until held part of a line: nothing was shown"
    );
}

#[test]
fn tokio_write_writes_nothing_when_cancelled() {
    let mut cuts = 0;
    for seed in 0..SEEDS {
        let data = numbered(96);
        let (got, cut) = paused({
            let data = data.clone();
            async move {
                let mut rng = Rng::new(seed);
                let (reader, writer) = tokio::io::duplex(rng.size(1, 8));
                let (mut writer, written) = Counting::new(writer);
                let drained = tokio::spawn(drain(reader, Rng::new(seed + 1000)));
                let (mut at, mut cuts) = (0, 0);
                while at < data.len() {
                    let end = (at + rng.size(1, 12)).min(data.len());
                    let before = written.load(Ordering::SeqCst);
                    match timeout(rng.ms(3), writer.write(&data[at..end])).await {
                        Ok(n) => at += n.expect("a write"),
                        Err(_) => {
                            assert_eq!(written.load(Ordering::SeqCst), before, "seed {seed}");
                            cuts += 1;
                        }
                    }
                }
                writer.shutdown().await.expect("shut down");
                (drained.await.expect("the drain"), cuts)
            }
        });
        assert_eq!(got, data, "seed {seed}");
        cuts += cut;
    }
    assert!(cuts > 0, "no write was cancelled: nothing was shown");
}

/// `count` messages of 8 bytes, each distinct.
fn messages(count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|m| (0..8).map(|b| (m * 8 + b) as u8).collect())
        .collect()
}

#[test]
fn tokio_write_all_may_have_written_a_prefix() {
    let mut partial_total = 0;
    for seed in 0..SEEDS {
        let (got, expected, partial) = paused(async move {
            let mut rng = Rng::new(seed);
            let (reader, writer) = tokio::io::duplex(rng.size(1, 8));
            let (mut writer, written) = Counting::new(writer);
            let drained = tokio::spawn(drain(reader, Rng::new(seed + 1000)));
            let (mut expected, mut partial) = (Vec::new(), 0);
            for message in messages(12) {
                // The naive retry: write_all again, from the start.
                loop {
                    let before = written.load(Ordering::SeqCst);
                    let attempt = timeout(rng.ms(3), writer.write_all(&message)).await;
                    let n = written.load(Ordering::SeqCst) - before;
                    // What went out is a prefix of the message.
                    expected.extend_from_slice(&message[..n]);
                    match attempt {
                        Ok(done) => {
                            done.expect("a write");
                            break;
                        }
                        Err(_) => partial += usize::from(n > 0),
                    }
                }
            }
            writer.shutdown().await.expect("shut down");
            (drained.await.expect("the drain"), expected, partial)
        });
        // The peer got every attempt's prefix: cancelled prefixes, repeated.
        assert_eq!(got, expected, "seed {seed}");
        partial_total += partial;
    }
    assert!(
        partial_total > 0,
        "no cancelled write_all had written a prefix: the loss was not shown"
    );
}

#[test]
fn tokio_write_all_buf_advances_the_buffer() {
    let mut partial_total = 0;
    for seed in 0..SEEDS {
        let all = messages(12).concat();
        let (got, partial) = paused(async move {
            let mut rng = Rng::new(seed);
            let (reader, mut writer) = tokio::io::duplex(rng.size(1, 8));
            let drained = tokio::spawn(drain(reader, Rng::new(seed + 1000)));
            let mut partial = 0;
            for message in messages(12) {
                // The buffer outlives every call and records what went out.
                let mut rest: &[u8] = &message;
                while !rest.is_empty() {
                    let before = rest.len();
                    if timeout(rng.ms(3), writer.write_all_buf(&mut rest))
                        .await
                        .is_err()
                    {
                        partial += usize::from(rest.len() < before);
                    }
                }
            }
            writer.shutdown().await.expect("shut down");
            (drained.await.expect("the drain"), partial)
        });
        assert_eq!(got, all, "seed {seed}");
        partial_total += partial;
    }
    assert!(
        partial_total > 0,
        "no cancelled write_all_buf had written part: nothing was shown"
    );
}

#[test]
fn tokio_io_copy_loses_what_it_read_but_did_not_write() {
    let mut lost_total = 0;
    for seed in 0..SEEDS {
        let data = numbered(160);
        let (got, expected, lost) = paused({
            let data = data.clone();
            async move {
                let mut rng = Rng::new(seed);
                let (source, feeder) = tokio::io::duplex(64);
                let (sink, drained) = tokio::io::duplex(rng.size(2, 16));
                let (mut source, read) = Counting::new(source);
                let (mut sink, written) = Counting::new(sink);
                tokio::spawn(feed(feeder, data.clone(), Rng::new(seed + 1000)));
                let drained = tokio::spawn(drain(drained, Rng::new(seed + 2000)));
                let (mut expected, mut lost) = (Vec::new(), 0);
                loop {
                    let (r0, w0) = (read.load(Ordering::SeqCst), written.load(Ordering::SeqCst));
                    let copied = timeout(rng.ms(6), tokio::io::copy(&mut source, &mut sink)).await;
                    let (r1, w1) = (read.load(Ordering::SeqCst), written.load(Ordering::SeqCst));
                    // It writes, in order, the first bytes of what it read.
                    let wrote = w1 - w0;
                    expected.extend_from_slice(&data[r0..r0 + wrote]);
                    match copied {
                        Ok(n) => {
                            assert_eq!(n.expect("a copy") as usize, wrote);
                            break;
                        }
                        // Read, not written: gone with the copy's buffer.
                        Err(_) => lost += (r1 - r0) - wrote,
                    }
                }
                sink.shutdown().await.expect("shut down");
                (drained.await.expect("the drain"), expected, lost)
            }
        });
        assert_eq!(got, expected, "seed {seed}");
        assert_eq!(got.len() + lost, data.len(), "seed {seed}");
        lost_total += lost;
    }
    assert!(
        lost_total > 0,
        "no cancelled copy lost a byte: the loss was not shown"
    );
}

#[test]
fn tokio_tcp_listener_accept_loses_no_connection() {
    use std::io::Write as _;
    const CLIENTS: u8 = 24;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (mut ids, cuts) = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let addr = listener.local_addr().expect("its address");
        let clients = std::thread::spawn(move || {
            let mut rng = Rng::new(7);
            let mut open = Vec::new();
            for id in 0..CLIENTS {
                let mut stream = std::net::TcpStream::connect(addr).expect("connect");
                stream.write_all(&[id]).expect("send the id");
                open.push(stream);
                // Slower than the acceptor's shortest waits (tokio's timer
                // rounds them up to a millisecond), so some of them end.
                std::thread::sleep(Duration::from_micros(rng.below(3_000)));
            }
            open // open until every connection was accepted
        });
        let mut rng = Rng::new(11);
        let (mut ids, mut cuts) = (Vec::new(), 0);
        let limit = Instant::now() + Duration::from_secs(20);
        while ids.len() < usize::from(CLIENTS) {
            assert!(
                Instant::now() < limit,
                "accepted only {ids:?}: a connection was lost"
            );
            let wait = Duration::from_micros(rng.below(2_000));
            match timeout(wait, listener.accept()).await {
                Ok(accepted) => {
                    let (mut stream, _) = accepted.expect("accept");
                    let mut id = [0u8];
                    timeout(Duration::from_secs(10), stream.read_exact(&mut id))
                        .await
                        .expect("the id in time")
                        .expect("the id");
                    ids.push(id[0]);
                }
                Err(_) => cuts += 1,
            }
        }
        drop(clients.join().expect("the clients"));
        (ids, cuts)
    });
    ids.sort_unstable();
    assert_eq!(ids, (0..CLIENTS).collect::<Vec<_>>());
    assert!(cuts > 0, "no accept was cancelled: nothing was shown");
}

// ------------------------------------------------------------------- futures

#[test]
fn futures_stream_next_loses_nothing() {
    use futures_util::StreamExt as _;
    let mut cuts = 0;
    for seed in 0..SEEDS {
        let ex = async_executor::LocalExecutor::new();
        let (got, cut) = futures_lite::future::block_on(ex.run(async {
            let mut rng = Rng::new(seed);
            let mut sender = Rng::new(seed + 1000);
            let (tx, rx) = async_channel::bounded::<u32>(4);
            let mut rx = pin!(rx); // the receiver is `!Unpin`; `next()` needs `Unpin`
            ex.spawn(async move {
                for i in 0..32 {
                    for _ in 0..sender.below(4) {
                        futures_lite::future::yield_now().await;
                    }
                    tx.send(i).await.expect("the receiver is alive");
                }
            })
            .detach();
            let (mut got, mut cuts) = (Vec::new(), 0);
            loop {
                match within_polls(rng.below(3), rx.next()).await {
                    Some(Some(v)) => got.push(v),
                    Some(None) => break,
                    None => cuts += 1,
                }
            }
            (got, cuts)
        }));
        assert_eq!(got, (0..32).collect::<Vec<_>>(), "seed {seed}");
        cuts += cut;
    }
    assert!(cuts > 0, "no next() was cancelled: nothing was shown");
}

#[test]
fn futures_sink_send_loses_the_item() {
    use futures_util::SinkExt as _;
    let mut lost_total = 0;
    for seed in 0..SEEDS {
        let (got, sent, lost) = paused(async move {
            let mut rng = Rng::new(seed);
            let mut receiver = Rng::new(seed + 1000);
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            // A real Sink: tokio-util's over a tokio channel.
            let mut sink = tokio_util::sync::PollSender::new(tx);
            let consumer = tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    sleep(receiver.ms(4)).await;
                    match rx.recv().await {
                        Some(v) => got.push(v),
                        None => return got,
                    }
                }
            });
            let (mut sent, mut lost) = (Vec::new(), Vec::new());
            for i in 0..32 {
                match timeout(rng.ms(3), sink.send(i)).await {
                    Ok(result) => {
                        result.expect("the receiver is alive");
                        sent.push(i);
                    }
                    Err(_) => lost.push(i), // not yet accepted: dropped with the future
                }
            }
            drop(sink);
            (consumer.await.expect("the consumer"), sent, lost)
        });
        assert_eq!(got, sent, "seed {seed}: lost {lost:?}");
        lost_total += lost.len();
    }
    assert!(
        lost_total > 0,
        "no send was cancelled before the sink took it: the loss was not shown"
    );
}

// ------------------------------------------------------- async-std and smol

/// One run of a bounded channel's `send`, cut after random polls, on an
/// executor: returns what arrived, what completed and what was cut.
macro_rules! async_channel_send_run {
    ($channel:path, $seed:expr) => {{
        use $channel as channel;
        let seed = $seed;
        let ex = async_executor::LocalExecutor::new();
        futures_lite::future::block_on(ex.run(async {
            let mut rng = Rng::new(seed);
            let mut receiver = Rng::new(seed + 1000);
            let (tx, rx) = channel::bounded::<u32>(1);
            let consumer = ex.spawn(async move {
                let mut got = Vec::new();
                loop {
                    for _ in 0..receiver.below(4) {
                        futures_lite::future::yield_now().await;
                    }
                    match rx.recv().await {
                        Ok(v) => got.push(v),
                        Err(_) => return got,
                    }
                }
            });
            let (mut sent, mut lost) = (Vec::new(), Vec::new());
            for i in 0..32 {
                match within_polls(rng.below(3), tx.send(i)).await {
                    Some(result) => {
                        result.expect("the receiver is alive");
                        sent.push(i);
                    }
                    None => lost.push(i),
                }
            }
            drop(tx);
            (consumer.await, sent, lost)
        }))
    }};
}

#[test]
fn async_channel_send_loses_the_message() {
    let mut lost_total = [0, 0];
    for seed in 0..SEEDS {
        // smol's channel (async-channel 2), then async-std's (async-channel 1).
        let smol = async_channel_send_run!(async_channel, seed);
        let async_std = async_channel_send_run!(async_std::channel, seed);
        for (i, (got, sent, lost)) in [smol, async_std].into_iter().enumerate() {
            assert_eq!(got, sent, "seed {seed}: lost {lost:?}");
            lost_total[i] += lost.len();
        }
    }
    assert!(
        lost_total.iter().all(|&n| n > 0),
        "a send was never cut while waiting: {lost_total:?}"
    );
}

#[test]
fn async_channel_recv_loses_nothing() {
    let mut cuts = 0;
    for seed in 0..SEEDS {
        // On async-std's own runtime, with async-std's channel.
        let (got, cut) = async_std::task::block_on(async move {
            let mut rng = Rng::new(seed);
            let mut sender = Rng::new(seed + 1000);
            let (tx, rx) = async_std::channel::bounded::<u32>(4);
            async_std::task::spawn(async move {
                for i in 0..32 {
                    for _ in 0..sender.below(4) {
                        async_std::task::yield_now().await;
                    }
                    tx.send(i).await.expect("the receiver is alive");
                }
            });
            let (mut got, mut cuts) = (Vec::new(), 0);
            let limit = Instant::now() + Duration::from_secs(20);
            loop {
                assert!(Instant::now() < limit, "seed {seed}: hung with {got:?}");
                match within_polls(rng.below(3), rx.recv()).await {
                    Some(Ok(v)) => got.push(v),
                    Some(Err(_)) => break,
                    None => cuts += 1,
                }
            }
            (got, cuts)
        });
        assert_eq!(got, (0..32).collect::<Vec<_>>(), "seed {seed}");
        cuts += cut;
    }
    assert!(cuts > 0, "no recv was cancelled: nothing was shown");
}

#[test]
fn futures_lite_read_exact_loses_the_bytes_it_read() {
    use futures_lite::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut lost_total = 0;
    for seed in 0..SEEDS {
        let data = numbered(96);
        let ex = async_executor::LocalExecutor::new();
        let (got, lost) = async_io::block_on(ex.run(async {
            let mut rng = Rng::new(seed);
            let mut writer_rng = Rng::new(seed + 1000);
            let (reader, mut writer) =
                async_io::Async::<std::os::unix::net::UnixStream>::pair().expect("a socket pair");
            let (mut reader, taken) = Counting::new(reader);
            let feeding = data.clone();
            ex.spawn(async move {
                let mut at = 0;
                while at < feeding.len() {
                    // Slower than the reader, so frames arrive in pieces.
                    let end = (at + writer_rng.size(1, 3)).min(feeding.len());
                    for _ in 0..writer_rng.below(16) {
                        futures_lite::future::yield_now().await;
                    }
                    writer
                        .write_all(&feeding[at..end])
                        .await
                        .expect("the reader is alive");
                    at = end;
                }
                // Dropped here: the reader sees the end.
            })
            .detach();
            let (mut got, mut lost) = (Vec::new(), Vec::new());
            let limit = Instant::now() + Duration::from_secs(20);
            loop {
                assert!(Instant::now() < limit, "seed {seed}: hung");
                let before = taken.load(Ordering::SeqCst);
                let mut frame = [0u8; 4];
                match within_polls(rng.below(8), reader.read_exact(&mut frame)).await {
                    Some(Ok(())) => got.extend_from_slice(&frame),
                    Some(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                        lost.push(before..taken.load(Ordering::SeqCst));
                        break;
                    }
                    Some(Err(e)) => panic!("seed {seed}: {e}"),
                    None => lost.push(before..taken.load(Ordering::SeqCst)),
                }
            }
            (got, lost)
        }));
        assert_eq!(got, without(&data, &lost), "seed {seed}: lost {lost:?}");
        lost_total += lost.iter().map(|r| r.len()).sum::<usize>();
    }
    assert!(
        lost_total > 0,
        "no read_exact lost a byte: the loss was not shown"
    );
}

#[test]
fn async_std_tcp_listener_accept_loses_no_connection() {
    use futures_lite::AsyncReadExt as _;
    use std::io::Write as _;
    const CLIENTS: u8 = 24;
    let (mut ids, cuts) = async_std::task::block_on(async {
        let listener = async_std::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a local port");
        let addr = listener.local_addr().expect("its address");
        let clients = std::thread::spawn(move || {
            let mut rng = Rng::new(7);
            let mut open = Vec::new();
            for id in 0..CLIENTS {
                let mut stream = std::net::TcpStream::connect(addr).expect("connect");
                stream.write_all(&[id]).expect("send the id");
                open.push(stream);
                std::thread::sleep(Duration::from_micros(rng.below(400)));
            }
            open
        });
        let mut rng = Rng::new(11);
        let (mut ids, mut cuts) = (Vec::new(), 0);
        let limit = Instant::now() + Duration::from_secs(20);
        while ids.len() < usize::from(CLIENTS) {
            assert!(
                Instant::now() < limit,
                "accepted only {ids:?}: a connection was lost"
            );
            match within_polls(rng.below(3), listener.accept()).await {
                Some(accepted) => {
                    let (mut stream, _) = accepted.expect("accept");
                    let mut id = [0u8];
                    stream.read_exact(&mut id).await.expect("the id");
                    ids.push(id[0]);
                }
                None => cuts += 1,
            }
        }
        drop(clients.join().expect("the clients"));
        (ids, cuts)
    });
    ids.sort_unstable();
    assert_eq!(ids, (0..CLIENTS).collect::<Vec<_>>());
    assert!(cuts > 0, "no accept was cancelled: nothing was shown");
}
