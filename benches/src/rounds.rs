//! Rounds: how a figure and its floor are compared, and when a comparison
//! may be claimed.
//!
//! Every figure and every floor is sampled in [`ROUNDS`] interleaved rounds
//! (round r samples all of them before round r + 1 starts), so drift of a
//! shared machine falls on figure and floor alike. Each round gives each
//! figure a ratio, its p50 ÷ its floor's p50 *of the same round*; the figure
//! is reported as the median of those ratios with their spread (least to
//! greatest, a [`Spread`]). Two figures, or a figure and a goal, are
//! compared only when their spreads separate; otherwise the comparison is
//! [`Comparison::WithinNoise`].
//!
//! Nothing here measures: the functions take numbers, so their logic is
//! tested with made-up ones.

/// How many interleaved rounds the lab and the goals sample.
pub const ROUNDS: usize = 5;

/// A p50 below this fraction of its floor's (the median of the rounds'
/// ratios) is a floor violation: the floor did not bound the figure.
pub const VIOLATION_BELOW: f64 = 0.9;

/// A floor whose rounds' p50s differ by more than this factor makes the run
/// noisy: the machine changed under the measurement.
pub const NOISY_ABOVE: f64 = 2.0;

/// The median of some values with their least and greatest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// The median (of an even count, the mean of the middle two).
    pub median: f64,
    /// The least value.
    pub min: f64,
    /// The greatest value.
    pub max: f64,
}

impl Spread {
    /// The spread of the finite values among `values`, or `None` if there
    /// are none.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[n - 1],
        })
    }

    /// The same spread scaled by `k` (a figure in other units).
    pub fn scaled(self, k: f64) -> Spread {
        Spread {
            median: self.median * k,
            min: self.min * k,
            max: self.max * k,
        }
    }
}

/// Round by round, `figure[r] ÷ floor[r]`; a round whose floor is 0 gives
/// no ratio.
pub fn ratios(figure: &[u64], floor: &[u64]) -> Vec<f64> {
    figure
        .iter()
        .zip(floor)
        .filter(|&(_, &f)| f > 0)
        // Nanosecond figures are far below 2^52: the conversions are exact.
        .map(|(&x, &f)| x as f64 / f as f64)
        .collect()
}

/// Whether a figure whose ratios to its floor spread as `ratio` is a floor
/// violation: its median ratio is below [`VIOLATION_BELOW`].
pub fn is_violation(ratio: &Spread) -> bool {
    ratio.median < VIOLATION_BELOW
}

/// The greatest of `round_p50s` ÷ the least (1 for fewer than two rounds,
/// infinite when the least is 0 and the greatest is not).
pub fn round_spread(round_p50s: &[u64]) -> f64 {
    let (Some(&min), Some(&max)) = (round_p50s.iter().min(), round_p50s.iter().max()) else {
        return 1.0;
    };
    match (min, max) {
        (_, 0) => 1.0,
        (0, _) => f64::INFINITY,
        (min, max) => max as f64 / min as f64,
    }
}

/// Whether a floor whose rounds gave `round_p50s` makes the run noisy:
/// they differ by more than [`NOISY_ABOVE`].
pub fn is_noisy(round_p50s: &[u64]) -> bool {
    round_spread(round_p50s) > NOISY_ABOVE
}

/// How a spread compares with a value or with another spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Every round is below (a goal "at most": met).
    Below,
    /// Every round is above (a goal "at most": not met).
    Above,
    /// The spread reaches both sides: nothing may be claimed.
    WithinNoise,
}

impl Comparison {
    /// `spread` against `limit`: [`Below`](Comparison::Below) when its
    /// greatest value is at most `limit`, [`Above`](Comparison::Above) when
    /// its least is above, else within noise.
    pub fn with_limit(spread: &Spread, limit: f64) -> Comparison {
        if spread.max <= limit {
            Comparison::Below
        } else if spread.min > limit {
            Comparison::Above
        } else {
            Comparison::WithinNoise
        }
    }

    /// `a` against `b`: below or above only when the two spreads do not
    /// overlap.
    pub fn between(a: &Spread, b: &Spread) -> Comparison {
        if a.max < b.min {
            Comparison::Below
        } else if a.min > b.max {
            Comparison::Above
        } else {
            Comparison::WithinNoise
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spread_is_the_median_and_the_extremes() {
        let s = Spread::of([3.0, 1.0, 2.0, 9.0, 4.0]).expect("values");
        assert_eq!((s.median, s.min, s.max), (3.0, 1.0, 9.0));
        let even = Spread::of([1.0, 2.0, 4.0, 8.0]).expect("values");
        assert_eq!(even.median, 3.0);
        assert_eq!(Spread::of([f64::NAN]), None);
        assert_eq!(Spread::of(Vec::new()), None);
    }

    #[test]
    fn ratios_are_taken_round_by_round_against_the_same_rounds_floor() {
        // A figure that drifts with its floor keeps one ratio.
        let floor = [100, 200, 100, 400, 100];
        let figure = [150, 300, 150, 600, 150];
        let r = Spread::of(ratios(&figure, &floor)).expect("ratios");
        assert_eq!((r.median, r.min, r.max), (1.5, 1.5, 1.5));
        assert!(!is_violation(&r));
        // A round without a floor gives no ratio.
        assert_eq!(ratios(&[5, 5], &[0, 5]), vec![1.0]);
    }

    #[test]
    fn a_p50_more_than_ten_percent_below_its_floor_is_a_violation() {
        let floor = [1_000; 5];
        let below = Spread::of(ratios(&[850, 880, 899, 950, 800], &floor)).expect("ratios");
        assert!(is_violation(&below), "{below:?}");
        let at = Spread::of(ratios(&[900, 880, 905, 950, 800], &floor)).expect("ratios");
        assert!(!is_violation(&at), "exactly 0.9 is not below: {at:?}");
    }

    #[test]
    fn a_floor_whose_rounds_differ_by_more_than_twice_makes_the_run_noisy() {
        assert!(!is_noisy(&[100, 150, 200]));
        assert!(is_noisy(&[100, 150, 201]));
        assert!(!is_noisy(&[]));
        assert!(is_noisy(&[0, 10]));
        assert_eq!(round_spread(&[50, 100]), 2.0);
    }

    #[test]
    fn comparisons_are_claimed_only_when_the_intervals_separate() {
        let s = |min, median, max| Spread { median, min, max };
        assert_eq!(
            Comparison::with_limit(&s(0.8, 0.9, 0.99), 1.0),
            Comparison::Below
        );
        assert_eq!(
            Comparison::with_limit(&s(1.01, 1.1, 1.2), 1.0),
            Comparison::Above
        );
        assert_eq!(
            Comparison::with_limit(&s(0.94, 0.98, 1.05), 1.0),
            Comparison::WithinNoise
        );
        assert_eq!(
            Comparison::between(&s(1.0, 1.1, 1.2), &s(1.3, 1.4, 1.5)),
            Comparison::Below
        );
        assert_eq!(
            Comparison::between(&s(1.0, 1.1, 1.35), &s(1.3, 1.4, 1.5)),
            Comparison::WithinNoise
        );
        assert_eq!(
            Comparison::between(&s(2.0, 2.1, 2.2), &s(1.3, 1.4, 1.5)),
            Comparison::Above
        );
    }
}
