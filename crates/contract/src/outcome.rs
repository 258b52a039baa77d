//! What the two operations of the contract return.

/// The result of running work with a timeout.
///
/// `Completed` wins whenever the output exists before the stop takes effect:
/// a strategy never drops an output it already has (invariant I1).
#[must_use = "an Outcome says whether the work completed or timed out"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome<T> {
    /// The work finished before the deadline (or its output was ready when
    /// the deadline was noticed) and produced this output.
    Completed(T),
    /// The deadline passed first; the work has been stopped.
    TimedOut,
}

impl<T> Outcome<T> {
    /// The output, if the work completed.
    pub fn completed(self) -> Option<T> {
        match self {
            Outcome::Completed(v) => Some(v),
            Outcome::TimedOut => None,
        }
    }

    /// `true` if the deadline passed first.
    pub fn is_timed_out(&self) -> bool {
        matches!(self, Outcome::TimedOut)
    }
}

/// The result of cancelling started work.
#[must_use = "a Cancellation may carry the work's output"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cancellation<T> {
    /// The work had already produced its output when the stop took effect.
    Finished(T),
    /// The work was stopped before it produced an output.
    Stopped,
}

impl<T> Cancellation<T> {
    /// The output, if the work finished before it was stopped.
    pub fn finished(self) -> Option<T> {
        match self {
            Cancellation::Finished(v) => Some(v),
            Cancellation::Stopped => None,
        }
    }

    /// `true` if the work was stopped before it produced an output.
    pub fn is_stopped(&self) -> bool {
        matches!(self, Cancellation::Stopped)
    }
}

/// A cancel's result read as a timed run's: the output if the work finished,
/// `TimedOut` if it was stopped (by the deadline).
impl<T> From<Cancellation<T>> for Outcome<T> {
    fn from(ended: Cancellation<T>) -> Outcome<T> {
        match ended {
            Cancellation::Finished(v) => Outcome::Completed(v),
            Cancellation::Stopped => Outcome::TimedOut,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancellation_reads_as_a_timed_outcome() {
        assert_eq!(
            Outcome::from(Cancellation::Finished(2)),
            Outcome::Completed(2)
        );
        assert_eq!(
            Outcome::from(Cancellation::<u8>::Stopped),
            Outcome::TimedOut
        );
    }
}
