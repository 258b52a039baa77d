//! `checkpoint_cost`: what one "am I cancelled?" check costs in a hot loop,
//! for the strategies whose work checks (a token, a stop channel's receiver,
//! a thread's flag), beside a plain `AtomicBool` load, its floor.
//!
//! The checks do not depend on the runtime, except the channel's: tokio's
//! `watch::Receiver` (both tokio schedulers), async-std's and smol's
//! channels. So each check is one id, not one per runtime.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cancel_thread::StopFlag;
use cancel_token::CancellationToken;

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
    /// A plain `AtomicBool` load: the floor.
    AtomicBool,
}

impl Check {
    /// Every check, floor last.
    pub const ALL: [Check; 6] = [
        Check::Token,
        Check::ChannelTokio,
        Check::ChannelAsyncStd,
        Check::ChannelSmol,
        Check::ThreadFlag,
        Check::AtomicBool,
    ];

    /// The benchmark id.
    pub const fn id(self) -> &'static str {
        match self {
            Check::Token => "token/any-runtime",
            Check::ChannelTokio => "channel/tokio",
            Check::ChannelAsyncStd => "channel/async-std",
            Check::ChannelSmol => "channel/smol",
            Check::ThreadFlag => "thread/any-runtime",
            Check::AtomicBool => "atomic-bool/floor",
        }
    }
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
    }
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
