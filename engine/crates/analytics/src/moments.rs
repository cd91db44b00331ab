//! [`Moments`]: mean and second to fourth central moments of a stream, in
//! O(1) state, for volatility, Sharpe, skewness, kurtosis and the
//! probabilistic Sharpe ratio.
//!
//! Summing `x`, `x²`, `x³`, `x⁴` and expanding afterwards cancels
//! catastrophically when the mean is large against the spread (typical of
//! per-step returns), so the running central sums are updated instead:
//! Welford's update for the mean and M2, extended by Terriberry (2007) to M3
//! and M4. Each update costs a handful of multiplications and never
//! allocates.

/// Running count, mean and central sums `M_k = Σ (x - mean)^k`, k = 2, 3, 4.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Moments {
    n: u64,
    mean: f64,
    m2: f64,
    m3: f64,
    m4: f64,
}

impl Moments {
    #[inline]
    pub(crate) fn push(&mut self, x: f64) {
        let n1 = self.n as f64;
        self.n += 1;
        let n = self.n as f64;
        let delta = x - self.mean;
        let delta_n = delta / n;
        let delta_n2 = delta_n * delta_n;
        let term1 = delta * delta_n * n1;
        self.mean += delta_n;
        // M4 and M3 read the previous M3 and M2, so they update first.
        self.m4 += term1 * delta_n2 * (n * n - 3.0 * n + 3.0) + 6.0 * delta_n2 * self.m2 - 4.0 * delta_n * self.m3;
        self.m3 += term1 * delta_n * (n - 2.0) - 3.0 * delta_n * self.m2;
        self.m2 += term1;
    }

    #[inline]
    pub(crate) fn count(&self) -> u64 {
        self.n
    }

    #[inline]
    pub(crate) fn mean(&self) -> f64 {
        self.mean
    }

    /// Sample standard deviation (divisor n - 1), `None` below two values.
    pub(crate) fn sample_std(&self) -> Option<f64> {
        (self.n >= 2).then(|| (self.m2 / (self.n - 1) as f64).sqrt())
    }

    /// Population skewness `(M3/n) / (M2/n)^1.5` (scipy's `skew(bias=True)`),
    /// `None` below two values or with zero spread.
    pub(crate) fn skewness(&self) -> Option<f64> {
        let n = self.n as f64;
        (self.n >= 2 && self.m2 > 0.0).then(|| n.sqrt() * self.m3 / self.m2.powf(1.5))
    }

    /// Population kurtosis, not excess: `(M4/n) / (M2/n)^2` (3 for a normal
    /// distribution; scipy's `kurtosis(fisher=False, bias=True)`).
    pub(crate) fn kurtosis(&self) -> Option<f64> {
        let n = self.n as f64;
        (self.n >= 2 && self.m2 > 0.0).then(|| n * self.m4 / (self.m2 * self.m2))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]
    use super::*;

    #[test]
    fn moments_of_a_small_set_match_the_textbook_values() {
        let mut m = Moments::default();
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            m.push(x);
        }
        assert_eq!(m.count(), 8);
        assert_eq!(m.mean(), 5.0);
        // Population variance 4, sample variance 32/7.
        assert!((m.sample_std().unwrap() - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
        // Σ(x-5)^3 = 42 and Σ(x-5)^4 = 356 for this set.
        assert!((m.skewness().unwrap() - (42.0 / 8.0) / 8.0).abs() < 1e-15);
        assert!((m.kurtosis().unwrap() - (356.0 / 8.0) / 16.0).abs() < 1e-15);
    }

    #[test]
    fn a_large_offset_does_not_destroy_the_spread() {
        let mut m = Moments::default();
        for x in [1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0] {
            m.push(x);
        }
        assert!((m.sample_std().unwrap() - 1.0).abs() < 1e-9);
        assert!(m.skewness().unwrap().abs() < 1e-9);
    }

    #[test]
    fn fewer_than_two_values_or_no_spread_leave_the_shape_undefined() {
        let mut m = Moments::default();
        m.push(1.0);
        assert_eq!((m.sample_std(), m.skewness(), m.kurtosis()), (None, None, None));
        m.push(1.0);
        assert_eq!(m.sample_std(), Some(0.0));
        assert_eq!((m.skewness(), m.kurtosis()), (None, None));
    }
}
