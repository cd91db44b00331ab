//! [`Moments`]: mean and second to fourth central moments of a stream, in
//! O(1) state, for volatility, Sharpe, skewness, kurtosis and the
//! probabilistic Sharpe ratio.
//!
//! Summing `x`, `x²`, `x³`, `x⁴` and expanding afterwards cancels
//! catastrophically when the mean is large against the spread (typical of
//! per-step returns), so the running central sums are updated instead:
//! Welford's update for the mean and M2, extended by Terriberry (2007) to M3
//! and M4 — computed here per block of values and merged pairwise (the
//! same algebra), which never allocates.

/// Values buffered before they are folded into the running sums.
const BLOCK: usize = 32;

/// Count, mean and central sums `M_k = Σ (x - mean)^k`, k = 2, 3, 4.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Sums {
    n: u64,
    mean: f64,
    m2: f64,
    m3: f64,
    m4: f64,
}

impl Sums {
    /// Two-pass sums of a block: exact to rounding, no cancellation.
    fn of(xs: &[f64]) -> Sums {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
        for &x in xs {
            let d = x - mean;
            let d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        Sums { n: xs.len() as u64, mean, m2, m3, m4 }
    }

    /// Chan, Golub & LeVeque's pairwise combination, extended to M3 and M4
    /// (Pébay 2008).
    fn merge(self, b: Sums) -> Sums {
        if self.n == 0 {
            return b;
        }
        if b.n == 0 {
            return self;
        }
        let (na, nb) = (self.n as f64, b.n as f64);
        let n = na + nb;
        let d = b.mean - self.mean;
        let (d2, nab) = (d * d, na * nb);
        Sums {
            n: self.n + b.n,
            mean: self.mean + d * nb / n,
            m2: self.m2 + b.m2 + d2 * nab / n,
            m3: self.m3 + b.m3 + d2 * d * nab * (na - nb) / (n * n) + 3.0 * d * (na * b.m2 - nb * self.m2) / n,
            m4: self.m4
                + b.m4
                + d2 * d2 * nab * (na * na - nab + nb * nb) / (n * n * n)
                + 6.0 * d2 * (na * na * b.m2 + nb * nb * self.m2) / (n * n)
                + 4.0 * d * (na * b.m3 - nb * self.m3) / n,
        }
    }
}

/// Running count, mean and central moments of a stream.
///
/// Values are buffered in blocks of 32; a full block's two-pass sums are
/// merged into the running ones (Chan/Pébay). That keeps Welford's
/// stability without a division on every value's dependency chain (which
/// was the costliest instruction of a replay step), and reading the moments
/// merges the partial block on the fly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Moments {
    done: Sums,
    block: [f64; BLOCK],
    len: usize,
}

impl Default for Moments {
    fn default() -> Self {
        Moments { done: Sums::default(), block: [0.0; BLOCK], len: 0 }
    }
}

impl Moments {
    #[inline]
    pub(crate) fn push(&mut self, x: f64) {
        self.block[self.len] = x;
        self.len += 1;
        if self.len == BLOCK {
            self.done = self.done.merge(Sums::of(&self.block));
            self.len = 0;
        }
    }

    fn sums(&self) -> Sums {
        if self.len == 0 { self.done } else { self.done.merge(Sums::of(&self.block[..self.len])) }
    }

    #[inline]
    pub(crate) fn count(&self) -> u64 {
        self.done.n + self.len as u64
    }

    pub(crate) fn mean(&self) -> f64 {
        self.sums().mean
    }

    /// Sample standard deviation (divisor n - 1), `None` below two values.
    pub(crate) fn sample_std(&self) -> Option<f64> {
        let s = self.sums();
        (s.n >= 2).then(|| (s.m2 / (s.n - 1) as f64).sqrt())
    }

    /// Population skewness `(M3/n) / (M2/n)^1.5` (scipy's `skew(bias=True)`),
    /// `None` below two values or with zero spread.
    pub(crate) fn skewness(&self) -> Option<f64> {
        let s = self.sums();
        let n = s.n as f64;
        (s.n >= 2 && s.m2 > 0.0).then(|| n.sqrt() * s.m3 / s.m2.powf(1.5))
    }

    /// Population kurtosis, not excess: `(M4/n) / (M2/n)^2` (3 for a normal
    /// distribution; scipy's `kurtosis(fisher=False, bias=True)`).
    pub(crate) fn kurtosis(&self) -> Option<f64> {
        let s = self.sums();
        let n = s.n as f64;
        (s.n >= 2 && s.m2 > 0.0).then(|| n * s.m4 / (s.m2 * s.m2))
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
