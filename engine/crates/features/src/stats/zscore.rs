//! Rolling z-score of the close, `(close - SMA_n) / sample std_n(close)`
//! (golden column `zscore_close_20`): how stretched the price is against its
//! recent range, scale-free across markets.
//!
//! Hand-written: `ta`'s standard deviation is the population one (the
//! z-score is 2.6 % off the reference), and `yata`'s `SMA` + `StDev` match
//! the reference (within 1e-7 relative) but keep running sums of raw prices
//! that are never recomputed, so rounding error accumulates over a long
//! stream, and they start at the first bar instead of after a warm-up.
//! The mean is the crate's pandas-exact [`Sma`], the spread comes from the
//! shifted, periodically recomputed [`WindowMoments`].

use crate::Sma;

use super::WindowVariance;

/// `(close - SMA_n) / std_n`, with the sample (ddof = 1) standard deviation
/// of the last `window` closes; NaN during warm-up (the first `window - 1`
/// bars) and when the window is flat (0 / 0, as pandas gives).
#[derive(Clone, Debug)]
pub struct ZScore {
    sma: Sma,
    moments: WindowVariance,
}

impl ZScore {
    /// `window` is clamped to at least 2.
    pub fn new(window: usize) -> Self {
        let window = window.max(2);
        ZScore { sma: Sma::new(window), moments: WindowVariance::new(window) }
    }

    #[inline]
    pub fn update(&mut self, close: f64) -> f64 {
        let mean = self.sma.update(close);
        self.moments.push(close);
        if !self.moments.is_full() {
            return f64::NAN;
        }
        let n = self.moments.len() as f64;
        let std = (self.moments.variance() * n / (n - 1.0)).sqrt();
        if std == 0.0 {
            return f64::NAN;
        }
        (close - mean) / std
    }
}
