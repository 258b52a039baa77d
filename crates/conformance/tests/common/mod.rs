//! Helpers shared by the reliability tests: bounded runs, counts from the
//! environment, a seeded generator, a lock for tests that measure the whole
//! process, and the resident memory of the process.
// Each test crate uses its own subset of these helpers.
#![allow(dead_code)]

use std::io::Write as _;
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use cancel_conformance::Subject;
use cancel_harness::runtime::{Clock, Runtime};

/// Runs `f` on a thread of its own and panics if it has not returned within
/// `limit`: a test that would hang fails instead, naming what hung.
pub(crate) fn bounded<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("bounded: {what}"))
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            // The receiver is gone only if the limit already passed.
            let _ = tx.send(result);
        })
        .expect("a thread for the bounded run");
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => v,
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        // The thread is left behind; the test fails with the reason.
        Err(_) => panic!("{what}: hung, no result after {limit:?}"),
    }
}

/// The number in environment variable `name`, or `default` when it is unset
/// or not a number.
pub(crate) fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A fresh runtime for subject `S`: virtual time where the runtime has it
/// and the subject allows it (see `Subject::VIRTUAL_TIME`), real time
/// otherwise.
pub(crate) fn runtime<S: Subject<R>, R: Runtime>(clock: Clock) -> R {
    let clock = if S::VIRTUAL_TIME { clock } else { Clock::Real };
    R::build(clock).expect("the runtime builds")
}

/// Serialises the tests of one binary that measure the whole process
/// (resident memory, live heap): the others would disturb the figures.
pub(crate) fn alone() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    // A poisoned lock only means an earlier test failed.
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The resident set size of this process in bytes (`VmRSS` in
/// `/proc/self/status`), or `None` where there is no such file.
pub(crate) fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// `bytes` in MiB, for printing.
pub(crate) fn mib(bytes: i64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// A small seeded generator (SplitMix64): the same seed gives the same
/// sequence, so a failing run can be replayed from the seed it prints.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    /// A generator starting from `seed`.
    pub(crate) fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A duration of `0..max_micros` microseconds.
    pub(crate) fn micros(&mut self, max_micros: u64) -> Duration {
        Duration::from_micros(self.below(max_micros))
    }
}

/// Writes `line` to stderr past the test harness's capture (which only
/// takes `print!` and `eprint!`), so figures show on a passing run.
pub(crate) fn show(line: &str) {
    let mut err = std::io::stderr().lock();
    // Nothing to do if stderr is closed: the assertions still decide.
    let _ = writeln!(err, "{line}");
}
