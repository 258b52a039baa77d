//! What every criterion bench of this crate shares.

use criterion::Criterion;

/// Criterion's defaults, but with 10 000 bootstrap resamples instead of
/// 100 000: on a machine with few cores the analysis of each id otherwise
/// takes longer than measuring it, and the confidence intervals of the medians
/// reported here hardly move.
pub(crate) fn config() -> Criterion {
    Criterion::default().nresamples(10_000)
}
