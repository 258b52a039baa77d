//! `checkpoint_cost`: what one "am I cancelled?" check costs in a hot loop,
//! for the strategies whose work checks (a token, a stop channel's receiver,
//! a thread's flag), beside a plain `AtomicBool` load, its floor.
//!
//! Ids are `<strategy>/<runtime>` like every other group, so a figure sits
//! beside the same target's latencies. The check is the strategy adapter's
//! own (`Subject::checkpoint`, on a fresh group signal): the token's and the
//! flag's are the same code on every runtime (the four ids measure it four
//! times), the channel's differ: tokio's `watch` value, async-std's and
//! smol's `async-channel`. Strategies whose work never checks anything
//! (it is stopped from outside) have no ids. `token/two-threads` and `scope/two-threads` time the
//! same check while a second thread checks the same token in a loop (the
//! cost of a check shared by tasks on two workers). The floor's id is
//! `floor/atomic-bool`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cancel_conformance::{Subject, Visit, facts, visit};
use cancel_harness::runtime::Runtime;
use cancel_scope::CancelScope;
use cancel_token::CancellationToken;

use crate::{Target, targets};

/// One kind of check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The check the work of this strategy × runtime makes.
    Of(Target),
    /// `CancellationToken::is_cancelled` while a second thread checks the
    /// same token in a loop (`token/two-threads`).
    TokenTwoThreads,
    /// `CancelScope::is_cancelled` while a second thread checks the same
    /// scope in a loop (`scope/two-threads`).
    ScopeTwoThreads,
    /// A plain `AtomicBool` load: the floor.
    AtomicBool,
}

impl Check {
    /// The check the work of `target` makes, or `None` for strategies whose
    /// work is stopped from outside and checks nothing.
    pub fn of(target: Target) -> Option<Check> {
        facts(target.strategy, target.runtime)
            .checks
            .then_some(Check::Of(target))
    }
}

/// Every measured check with its benchmark id, in report order, then the
/// two tokens checked by two threads at once (`token/two-threads`,
/// `scope/two-threads`), the floor (`floor/atomic-bool`) last.
pub fn checks() -> Vec<(String, Check)> {
    targets()
        .into_iter()
        .filter_map(|t| Check::of(t).map(|c| (t.id(), c)))
        .chain([
            ("token/two-threads".to_owned(), Check::TokenTwoThreads),
            ("scope/two-threads".to_owned(), Check::ScopeTwoThreads),
            ("floor/atomic-bool".to_owned(), Check::AtomicBool),
        ])
        .collect()
}

/// Runs `check` `iters` times against a signal that is never set, and
/// returns how long the loop took.
pub fn hot_loop(check: Check, iters: u64) -> Duration {
    match check {
        Check::Of(target) => {
            struct Hot(u64);
            impl Visit for Hot {
                type Output = Duration;
                fn visit<S: Subject<R>, R: Runtime>(self) -> Duration {
                    let group = S::group();
                    // Monomorphised: the loop calls the adapter's check directly.
                    timed(self.0, || S::checkpoint(black_box(&group)).unwrap_or(false))
                }
            }
            visit(target.strategy, target.runtime, Hot(iters))
        }
        Check::AtomicBool => {
            let flag = AtomicBool::new(false);
            timed(iters, || black_box(&flag).load(Ordering::Relaxed))
        }
        Check::TokenTwoThreads => with_rival(
            CancellationToken::new(),
            CancellationToken::is_cancelled,
            iters,
        ),
        Check::ScopeTwoThreads => with_rival(CancelScope::new(), CancelScope::is_cancelled, iters),
    }
}

/// The rival's flags, on a cache line of their own.
#[repr(align(128))]
#[derive(Default)]
struct Flags {
    running: AtomicBool,
    done: AtomicBool,
}

/// Times `iters` checks of `signal` on this thread while a second thread
/// checks the same signal in a loop, as two tasks on two workers checking
/// one token do. The rival is running before the clock starts and stops
/// after it stops; its spawn is not timed. The signal and the flags live on
/// the heap, on lines of their own: the rival reads nothing that the timed
/// loop writes (its stack), so what is measured is the signal's own sharing.
fn with_rival<S: Sync>(signal: S, check: fn(&S) -> bool, iters: u64) -> Duration {
    #[repr(align(128))]
    struct Padded<S>(S);
    let signal = Box::new(Padded(signal));
    let flags = Box::new(Flags::default());
    let (signal, flags) = (&signal.0, &*flags);
    std::thread::scope(|s| {
        // `move`: the rival copies the two references instead of reading
        // them from this thread's stack, where the timed loop writes.
        s.spawn(move || {
            flags.running.store(true, Ordering::Release);
            let mut seen = 0_u64;
            while !flags.done.load(Ordering::Relaxed) {
                seen += u64::from(check(black_box(signal)));
            }
            assert_eq!(black_box(seen), 0, "the signal was never set");
        });
        while !flags.running.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
        let elapsed = timed(iters, || check(black_box(signal)));
        flags.done.store(true, Ordering::Relaxed);
        elapsed
    })
}

fn timed(iters: u64, check: impl Fn() -> bool) -> Duration {
    let mut seen = 0_u64;
    let t0 = Instant::now();
    for _ in 0..iters {
        seen += u64::from(check());
    }
    let elapsed = t0.elapsed();
    assert_eq!(black_box(seen), 0, "the signal was never set");
    elapsed
}
