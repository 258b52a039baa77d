//! The `query` workload: a long SQLite query (a recursive CTE counting to
//! `count_to()`, sized once per process) run on the runtime's blocking
//! pool, or on the strategy's thread, and cancelled while it steps.
//! Observed from outside: the query stamps its own return and how it ended
//! into a `Seen` the observer holds.
//!
//! A cancel reaches the query only through SQLite's interrupt
//! (`InterruptHandle::interrupt`), which the work must call: forced work
//! has no place to call it (dropping the future detaches the blocking
//! task, and the query runs on to its end), cooperative work calls it on
//! its stop and awaits the task, blocking work registers it as an on-stop
//! hook.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use cancel_conformance::{Play, Stop, Subject};
use cancel_contract::{CancelHandle, Cancellation};
use cancel_harness::probe::Mark;
use cancel_harness::runtime::{Runtime, RuntimeHandle};
use futures_lite::FutureExt as _;
use rusqlite::{Connection, ErrorCode, InterruptHandle};

use crate::{Form, Row, WAIT_LIMIT, Workload, beside, bounded, sleep_until, yield_until};

/// How long the query should run when nothing stops it: long enough that
/// every cancel lands while it steps, short enough that a forced row, which
/// waits each query out, takes a fraction of a second.
const NATURAL: Duration = Duration::from_millis(150);

/// How far the calibration query counts: a few milliseconds of SQLite's
/// work, enough to time the rate.
const CALIBRATE_TO: i64 = 200_000;

/// The least and the most the query counts to, whatever the calibration
/// says: a cancel must land while it steps, and a slow machine must not
/// make it run for seconds.
const COUNT_RANGE: (i64, i64) = (1_000_000, 50_000_000);

/// How far the query counts: sized once per process, on the first call, to
/// run for about [`NATURAL`] on this machine in this build (SQLite's speed
/// differs by an order of magnitude between builds and machines; each row's
/// detail says how long the query measured).
pub(crate) fn count_to() -> i64 {
    static COUNT_TO: OnceLock<i64> = OnceLock::new();
    *COUNT_TO.get_or_init(|| {
        let seen = Arc::new(Seen::default());
        let Ok((conn, _interrupt)) = open(&seen) else {
            return COUNT_RANGE.0;
        };
        // Twice: the first run warms SQLite's caches and the allocator.
        let mut took = Duration::MAX;
        for _ in 0..2 {
            let start = Instant::now();
            if run(&conn, &seen, CALIBRATE_TO) != End::Completed(CALIBRATE_TO) {
                return COUNT_RANGE.0;
            }
            took = took.min(start.elapsed());
        }
        let per_row = took.as_secs_f64() / CALIBRATE_TO as f64;
        let rows = NATURAL.as_secs_f64() / per_row.max(f64::MIN_POSITIVE);
        // `as` saturates: an absurd rate lands on the range's ends.
        (rows as i64).clamp(COUNT_RANGE.0, COUNT_RANGE.1)
    })
}

/// The query: a recursive CTE counting to `?1`, then counting its rows.
const SQL: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?1) \
                   SELECT count(*) FROM c";

/// How many SQLite VM steps go between two calls of the progress handler.
const PROGRESS_STEPS: i32 = 1_000;

/// How many samples a forced row takes at most: each waits the query out.
const FORCED_SAMPLES: usize = 2;

/// How a query ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// It ran to its end and counted this many rows.
    Completed(i64),
    /// SQLite's interrupt error: it was stopped part way.
    Interrupted,
    /// Anything else, in words.
    Failed(String),
}

/// What the query reports to whoever observes it, from the thread it runs on.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// SQLite called the progress handler: the statement is stepping, so an
    /// interrupt reaches it.
    pub(crate) running: Mark,
    /// The query returned (stamped by the thread that ran it).
    pub(crate) returned: Mark,
    /// When the query was started.
    started: Mark,
    /// How it ended.
    end: Mutex<Option<End>>,
}

impl Seen {
    /// How the query ended, once it returned.
    pub(crate) fn end(&self) -> Option<End> {
        self.end
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How long the query ran, start to return.
    fn ran(&self) -> Option<Duration> {
        Some(
            self.returned
                .at()?
                .saturating_duration_since(self.started.at()?),
        )
    }
}

/// What stops the query from another thread: SQLite's interrupt, and a
/// flag the progress handler reads, because an interrupt that comes while
/// no statement steps yet is a no-op in SQLite
/// (`a_bare_interrupt_before_the_query_steps_is_lost`).
#[derive(Clone)]
pub(crate) struct Interrupt {
    handle: Arc<InterruptHandle>,
    asked: Arc<AtomicBool>,
}

impl std::fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interrupt")
            .field("asked", &self.asked.load(Ordering::SeqCst))
            .finish()
    }
}

impl Interrupt {
    /// Makes the query end with SQLite's interrupt error.
    pub(crate) fn interrupt(&self) {
        self.asked.store(true, Ordering::SeqCst);
        self.handle.interrupt();
    }
}

/// A fresh in-memory database whose progress handler marks `seen.running`
/// and ends the statement once its [`Interrupt`] was asked.
pub(crate) fn open(seen: &Arc<Seen>) -> Result<(Connection, Interrupt), String> {
    let conn = Connection::open_in_memory().map_err(|e| format!("SQLite did not open: {e}"))?;
    let interrupt = Interrupt {
        handle: Arc::new(conn.get_interrupt_handle()),
        asked: Arc::new(AtomicBool::new(false)),
    };
    let (seen, asked) = (Arc::clone(seen), Arc::clone(&interrupt.asked));
    conn.progress_handler(
        PROGRESS_STEPS,
        Some(move || {
            seen.running.set();
            // `true` makes SQLite end the statement with its interrupt error.
            asked.load(Ordering::SeqCst)
        }),
    )
    .map_err(|e| format!("SQLite took no progress handler: {e}"))?;
    Ok((conn, interrupt))
}

/// Runs the query to its end or its interrupt, stamping both on `seen`.
pub(crate) fn run(conn: &Connection, seen: &Seen, count_to: i64) -> End {
    seen.started.set();
    let result = conn.query_row(SQL, [count_to], |row| row.get::<_, i64>(0));
    let end = match result {
        Ok(n) => End::Completed(n),
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::OperationInterrupted) => {
            End::Interrupted
        }
        Err(e) => End::Failed(e.to_string()),
    };
    *seen.end.lock().unwrap_or_else(PoisonError::into_inner) = Some(end.clone());
    seen.returned.set();
    end
}

/// The query as work, in the three forms.
#[derive(Debug)]
struct Query<H> {
    rt: H,
    seen: Arc<Seen>,
}

impl<H: RuntimeHandle> Play for Query<H> {
    type Output = End;

    /// A plain future awaiting the blocking task: dropping it detaches the
    /// task, and nothing can reach the query from here.
    fn forced<G: RuntimeHandle>(self, _rt: G) -> impl Future<Output = End> + Send + 'static {
        let Query { rt, seen } = self;
        async move {
            // An in-memory open touches no disk: it may run on the task.
            let (conn, _interrupt) = match open(&seen) {
                Ok(opened) => opened,
                Err(e) => return End::Failed(e),
            };
            rt.spawn_blocking(move || run(&conn, &seen, count_to()))
                .await
        }
    }

    /// Selects the stop against the blocking task; on stop interrupts the
    /// query and awaits the task, so the query has ended when this returns.
    fn until<G, S, K, C>(
        self,
        _rt: G,
        stop: S,
        _child: Option<K>,
    ) -> impl Future<Output = Option<End>> + Send + 'static
    where
        G: RuntimeHandle,
        S: Future<Output = ()> + Send + 'static,
        K: FnOnce() -> C + Send + 'static,
        C: Future<Output = ()> + Send + 'static,
    {
        let Query { rt, seen } = self;
        async move {
            let (conn, interrupt) = match open(&seen) {
                Ok(opened) => opened,
                Err(e) => return Some(End::Failed(e)),
            };
            let mut query = pin!(rt.spawn_blocking(move || run(&conn, &seen, count_to())));
            // The stop races the query; the task is kept, to be awaited
            // once its query was interrupted.
            let first = async { Some(query.as_mut().await) }
                .or(async {
                    stop.await;
                    None
                })
                .await;
            match first {
                Some(end) => Some(end),
                None => {
                    interrupt.interrupt();
                    // Wait for the query to return: the connection is free then.
                    match query.await {
                        End::Interrupted => None,
                        other => Some(other),
                    }
                }
            }
        }
    }

    /// Runs the query on this thread with an on-stop hook that interrupts it.
    fn blocking<S: Stop>(self, stop: S) -> Option<End> {
        let (conn, interrupt) = match open(&self.seen) {
            Ok(opened) => opened,
            Err(e) => return Some(End::Failed(e)),
        };
        let _hook = stop.on_stop(move || interrupt.interrupt());
        match run(&conn, &self.seen, count_to()) {
            End::Interrupted if stop.is_stopped() => None,
            other => Some(other),
        }
    }
}

/// Whether a cancel of `form`'s work reaches the running query.
///
/// Forced work is a future awaiting a blocking task: dropping it drops the
/// task's handle, which detaches the task, and SQLite is never told, so
/// the query runs on to its end. Cooperative work interrupts the query on
/// its stop and awaits it; blocking work's on-stop hook interrupts it:
/// both end it with SQLite's interrupt error before the cancel returns.
fn predicted_release(form: Form) -> bool {
    match form {
        Form::Forced => false,
        Form::Cooperative | Form::Blocking => true,
    }
}

/// One cancel, observed.
#[derive(Debug)]
struct Sample {
    /// Cancel → the query returned.
    latency: Duration,
    /// The query had returned when the cancel returned.
    returned_by_cancel: bool,
    /// How long the query ran on after the cancel returned.
    ran_on: Duration,
    /// How long the query ran in all.
    ran: Duration,
    end: End,
}

/// Starts the query under `S`, cancels it once it steps, and watches it.
fn figure<S: Subject<R>, R: Runtime>(rt: &R) -> Result<Sample, String> {
    let h = rt.handle();
    rt.block_on(async {
        let seen = Arc::new(Seen::default());
        let work = Query {
            rt: h.clone(),
            seen: Arc::clone(&seen),
        };
        let handle = S::start(&h, work);
        if !yield_until(&h, || seen.running.is_set() || seen.returned.is_set()).await {
            return Err(format!(
                "the query was not running {WAIT_LIMIT:?} after its start"
            ));
        }
        let t0 = Instant::now();
        let cancelled = bounded(&h, "the cancel", handle.cancel()).await?;
        let back = Instant::now();
        let returned_by_cancel = seen.returned.is_set();
        if let Ok(Cancellation::Finished(_)) = cancelled {
            return Err("the query finished before the cancel: it is too short".to_owned());
        }
        if !sleep_until(&h, || seen.returned.is_set()).await {
            return Err(format!(
                "the query had not returned {WAIT_LIMIT:?} after the cancel"
            ));
        }
        let at = seen
            .returned
            .at()
            .ok_or("the query's return was not stamped")?;
        Ok(Sample {
            latency: at.saturating_duration_since(t0),
            returned_by_cancel,
            ran_on: at.saturating_duration_since(back),
            ran: seen.ran().ok_or("the query's start was not stamped")?,
            end: seen.end().ok_or("the query returned no end")?,
        })
    })
}

/// Runs the query on a thread of its own and sends back how it ended.
fn on_thread(count_to: i64) -> Result<(Arc<Seen>, Interrupt, mpsc::Receiver<End>), String> {
    let seen = Arc::new(Seen::default());
    let (conn, interrupt) = open(&seen)?;
    let (tx, rx) = mpsc::channel();
    let seen2 = Arc::clone(&seen);
    std::thread::Builder::new()
        .name("query".into())
        .spawn(move || {
            // The receiver may be gone when a wait gave up: nothing to tell.
            let _ = tx.send(run(&conn, &seen2, count_to));
        })
        .map_err(|e| format!("no thread for the query: {e}"))?;
    Ok((seen, interrupt, rx))
}

/// The floor, `query_interrupt`: a bare interrupt from another thread →
/// the running query returned.
fn floor() -> Result<Duration, String> {
    let (seen, interrupt, rx) = on_thread(count_to())?;
    let start = Instant::now();
    while !seen.running.is_set() {
        if start.elapsed() > WAIT_LIMIT || seen.returned.is_set() {
            return Err("the floor's query never ran".to_owned());
        }
        std::thread::yield_now();
    }
    let t0 = Instant::now();
    interrupt.interrupt();
    let end = rx.recv_timeout(WAIT_LIMIT).map_err(|_| {
        format!("the floor's query had not returned {WAIT_LIMIT:?} after its interrupt")
    })?;
    if end != End::Interrupted {
        return Err(format!("the floor's interrupted query ended as {end:?}"));
    }
    let at = seen
        .returned
        .at()
        .ok_or("the floor's return was not stamped")?;
    Ok(at.saturating_duration_since(t0))
}

/// The query's natural length: run once to its end, with no stop, on the
/// first call; every row of the process reads that run (the count is fixed
/// per process too).
fn natural() -> Result<Duration, String> {
    static NATURAL_RUN: OnceLock<Result<Duration, String>> = OnceLock::new();
    NATURAL_RUN.get_or_init(run_to_the_end).clone()
}

/// One run of the query to its end, timed.
fn run_to_the_end() -> Result<Duration, String> {
    let (seen, _interrupt, rx) = on_thread(count_to())?;
    let end = rx
        .recv_timeout(WAIT_LIMIT)
        .map_err(|_| format!("the query took longer than {WAIT_LIMIT:?}"))?;
    if end != End::Completed(count_to()) {
        return Err(format!(
            "the query ended as {end:?}, not with {} rows",
            count_to()
        ));
    }
    seen.ran()
        .ok_or_else(|| "the query's run was not stamped".to_owned())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Runs the workload under `S` on `R`, `samples` cancels (forced rows at
/// most [`FORCED_SAMPLES`]: each waits the query out).
pub(crate) fn observe<S: Subject<R>, R: Runtime>(samples: usize) -> Row {
    let failed = |why: String| Row::failed::<S, R>(Workload::Query, why);
    let form = Form::of::<S, R>();
    let rt = match crate::runtime::<R>() {
        Ok(rt) => rt,
        Err(e) => return failed(e),
    };
    let natural = match natural() {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let taken = match form {
        Form::Forced => samples.clamp(1, FORCED_SAMPLES),
        Form::Cooperative | Form::Blocking => samples.max(1),
    };
    let (figures, floors) = match beside(taken, || figure::<S, R>(&rt), floor) {
        Ok(got) => got,
        Err(e) => return failed(e),
    };
    let interrupted = figures.iter().filter(|s| s.end == End::Interrupted).count();
    let completed = figures
        .iter()
        .filter(|s| s.end == End::Completed(count_to()))
        .count();
    let by_cancel = figures.iter().filter(|s| s.returned_by_cancel).count();
    let released = interrupted == figures.len();
    let pass = if predicted_release(form) {
        released && by_cancel == figures.len()
    } else {
        completed == figures.len() && by_cancel == 0
    };
    let longest_on = figures.iter().map(|s| s.ran_on).max().unwrap_or_default();
    let longest = figures.iter().map(|s| s.ran).max().unwrap_or_default();
    let outcome = if released {
        "query interrupted".to_owned()
    } else if completed == figures.len() {
        format!("returned; the query ran on {}", ms(longest_on))
    } else {
        "mixed".to_owned()
    };
    let ends: Vec<String> = figures.iter().map(|s| format!("{:?}", s.end)).collect();
    let mut detail = format!(
        "{} form, {} cancels{}: ended {}; {} of them had returned when the cancel did; \
         the query ran {} at most, against a natural length of {} (counting to {})",
        form.name(),
        figures.len(),
        if taken < samples {
            format!(" (of {samples} asked: each waits the query out)")
        } else {
            String::new()
        },
        ends.join(", "),
        by_cancel,
        ms(longest),
        ms(natural),
        count_to(),
    );
    if !released {
        detail.push_str(&format!(
            "; it ran on up to {} after the cancel returned",
            ms(longest_on)
        ));
    }
    Row {
        outcome,
        released,
        pass,
        detail,
        latency: figures.iter().map(|s| s.latency).collect(),
        floor: Some("query_interrupt"),
        floor_samples: floors,
        ..Row::ran::<S, R>(Workload::Query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's interrupt reaches only a statement that is running: one
    /// called before the query steps is lost, and the query runs to its end.
    #[test]
    fn a_bare_interrupt_before_the_query_steps_is_lost() {
        let seen = Arc::new(Seen::default());
        let conn = Connection::open_in_memory().expect("SQLite opens in memory");
        conn.get_interrupt_handle().interrupt();
        assert_eq!(run(&conn, &seen, 10_000), End::Completed(10_000));
    }

    /// The fix: the interrupt is remembered, and the progress handler ends
    /// the statement as soon as it steps.
    #[test]
    fn a_remembered_interrupt_before_the_query_steps_ends_it() {
        let seen = Arc::new(Seen::default());
        let (conn, interrupt) = open(&seen).expect("SQLite opens in memory");
        interrupt.interrupt();
        assert_eq!(run(&conn, &seen, count_to()), End::Interrupted);
    }

    /// The fix for the forced form: a future owning a guard whose `Drop`
    /// interrupts the query. Dropping the future (what every forced
    /// strategy does) then ends the query, on every runtime.
    #[test]
    fn a_drop_guard_interrupts_the_query_when_the_future_is_dropped() {
        use cancel_harness::runtime::{AsyncStd, Smol, TokioCurrentThread, TokioMultiThread};
        fn on<R: Runtime>() {
            struct InterruptOnDrop(Interrupt);
            impl Drop for InterruptOnDrop {
                fn drop(&mut self) {
                    self.0.interrupt();
                }
            }
            let rt = crate::runtime::<R>().expect("the runtime builds");
            let h = rt.handle();
            let seen = Arc::new(Seen::default());
            let (conn, interrupt) = open(&seen).expect("SQLite opens in memory");
            let (s2, h2) = (Arc::clone(&seen), h.clone());
            let fut = async move {
                let _guard = InterruptOnDrop(interrupt);
                h2.spawn_blocking(move || run(&conn, &s2, count_to())).await;
            };
            rt.block_on(async {
                let task = h.spawn(fut);
                assert!(
                    yield_until(&h, || seen.running.is_set()).await,
                    "the query runs"
                );
                // Aborting the task drops the future: its guard interrupts.
                <R::Handle as RuntimeHandle>::abort(task).await;
                assert!(
                    sleep_until(&h, || seen.returned.is_set()).await,
                    "the query returned"
                );
            });
            assert_eq!(seen.end(), Some(End::Interrupted), "on {}", R::KIND);
        }
        on::<TokioCurrentThread>();
        on::<TokioMultiThread>();
        on::<AsyncStd>();
        on::<Smol>();
    }
}
