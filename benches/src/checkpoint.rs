//! `checkpoint_cost`: what one "am I cancelled?" check costs in a hot loop,
//! for the strategies whose work checks (a token, a stop channel's receiver,
//! a thread's flag), beside a plain `AtomicBool` load, its floor.
//!
//! Ids are `<strategy>/<runtime>` like every other group, so a figure sits
//! beside the same target's latencies; the token's and the flag's checks
//! are the same code on every runtime (the four ids measure it four times),
//! the channel's differ: tokio's `watch::Receiver`, async-std's and smol's
//! `async-channel`. `select` and `abort` have no ids: their work never
//! checks anything. `token/two-threads` and `scope/two-threads` time the
//! same check while a second thread checks the same token in a loop (the
//! cost of a check shared by tasks on two workers). The floor's id is
//! `floor/atomic-bool`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cancel_harness::runtime::RuntimeKind;
use cancel_scope::CancelScope;
use cancel_thread::StopFlag;
use cancel_token::CancellationToken;

use crate::{Target, targets};

/// One kind of check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// `CancellationToken::is_cancelled` (`token`, every runtime).
    Token,
    /// `*watch::Receiver::borrow()` (`channel` on both tokio schedulers).
    ChannelTokio,
    /// `async_std::channel::Receiver::is_closed` (`channel` on async-std).
    ChannelAsyncStd,
    /// `async_channel::Receiver::is_closed` (`channel` on smol).
    ChannelSmol,
    /// `StopFlag::is_stopped` (`thread`, every runtime).
    ThreadFlag,
    /// `CancelScope::is_cancelled` (`scope`, every runtime).
    Scope,
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
    /// work is stopped from outside and checks nothing (`select`, `abort`).
    pub fn of(target: Target) -> Option<Check> {
        match (target.strategy, target.runtime) {
            ("token", _) => Some(Check::Token),
            ("scope", _) => Some(Check::Scope),
            ("thread", _) => Some(Check::ThreadFlag),
            ("channel", RuntimeKind::TokioCurrentThread | RuntimeKind::TokioMultiThread) => {
                Some(Check::ChannelTokio)
            }
            ("channel", RuntimeKind::AsyncStd) => Some(Check::ChannelAsyncStd),
            ("channel", RuntimeKind::Smol) => Some(Check::ChannelSmol),
            _ => None,
        }
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
        Check::Token => {
            let token = CancellationToken::new();
            timed(iters, || black_box(&token).is_cancelled())
        }
        Check::ChannelTokio => {
            let (_stop, stopped) = tokio::sync::watch::channel(false);
            timed(iters, || *black_box(&stopped).borrow())
        }
        Check::ChannelAsyncStd => {
            let (_stop, stopped) = async_std::channel::bounded::<()>(1);
            timed(iters, || black_box(&stopped).is_closed())
        }
        Check::ChannelSmol => {
            let (_stop, stopped) = async_channel::bounded::<()>(1);
            timed(iters, || black_box(&stopped).is_closed())
        }
        Check::ThreadFlag => {
            let flag = StopFlag::new();
            timed(iters, || black_box(&flag).is_stopped())
        }
        Check::AtomicBool => {
            let flag = AtomicBool::new(false);
            timed(iters, || black_box(&flag).load(Ordering::Relaxed))
        }
        Check::Scope => {
            let scope = CancelScope::new();
            timed(iters, || black_box(&scope).is_cancelled())
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
