//! Every strategy with the precise timer: [`Precise<S>`] is strategy `S`
//! whose timeouts are `S`'s own `run_until` with `cancel_timer::tokio::sleep` as
//! the deadline, in place of the runtime's timer. Everything else is `S`'s.

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use cancel_contract::{Capabilities, Error, Outcome};
use cancel_harness::runtime::Runtime;

use crate::{Play, StrategyKind, Subject};

/// Which timer a timeout's deadline comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerSource {
    /// The runtime's own timer, as the strategy's `run_with_timeout` uses it
    /// (tokio's wheel, async-io's `Timer`).
    Runtime,
    /// `cancel-timer`'s, through the strategy's `run_until`: on tokio a
    /// timerfd registered with the runtime's own reactor, elsewhere its one
    /// timer thread on a timerfd.
    Precise,
}

impl TimerSource {
    /// Both, in report order.
    pub const ALL: [TimerSource; 2] = [TimerSource::Runtime, TimerSource::Precise];

    /// The report name: `runtime` or `precise`.
    pub const fn name(self) -> &'static str {
        match self {
            TimerSource::Runtime => "runtime",
            TimerSource::Precise => "precise",
        }
    }

    /// The source with this report name.
    pub fn from_name(name: &str) -> Option<TimerSource> {
        TimerSource::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl std::fmt::Display for TimerSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Strategy `S` with the precise timer (see the module docs).
pub struct Precise<S>(PhantomData<fn() -> S>);

impl<S> std::fmt::Debug for Precise<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Precise")
    }
}

impl<S: Subject<R>, R: Runtime> Subject<R> for Precise<S> {
    const KIND: StrategyKind = S::KIND;
    const NAME: &'static str = S::NAME;
    const UNSUPPORTED: Option<&'static str> = S::UNSUPPORTED;
    const CAPABILITIES: Capabilities = S::CAPABILITIES;
    // The precise timer keeps real time: a paused runtime clock would not
    // move its deadlines, so every case runs on the real clock.
    const VIRTUAL_TIME: bool = false;
    const ON_BLOCKING_THREADS: bool = S::ON_BLOCKING_THREADS;
    const GROUP_SIGNAL: bool = S::GROUP_SIGNAL;
    const TIMER: TimerSource = TimerSource::Precise;
    type Handle<T: Send + 'static> = S::Handle<T>;
    type Group = S::Group;

    fn run_with_timeout<W: Play>(
        rt: &R::Handle,
        timeout: Duration,
        work: W,
    ) -> impl Future<Output = Result<Outcome<W::Output>, Error>> {
        S::run_until(rt, cancel_timer::tokio::sleep(timeout), work)
    }

    fn run_until<W: Play, U: Future<Output = ()> + Send + 'static>(
        rt: &R::Handle,
        until: U,
        work: W,
    ) -> impl Future<Output = Result<Outcome<W::Output>, Error>> {
        S::run_until(rt, until, work)
    }

    fn start<W: Play>(rt: &R::Handle, work: W) -> Self::Handle<W::Output> {
        S::start(rt, work)
    }

    fn group() -> Self::Group {
        S::group()
    }

    fn start_in<W: Play>(rt: &R::Handle, group: &Self::Group, work: W) -> Self::Handle<W::Output> {
        S::start_in(rt, group, work)
    }

    fn stop_group<T: Send + 'static>(group: &Self::Group, handles: &[Self::Handle<T>]) {
        S::stop_group(group, handles);
    }

    fn checkpoint(group: &Self::Group) -> Option<bool> {
        S::checkpoint(group)
    }
}
