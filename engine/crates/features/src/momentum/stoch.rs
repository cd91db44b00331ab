//! Slow stochastic as TA-Lib's STOCH with simple moving averages: fast %K
//! over `fast_k` bars, slow %K its `slow_k`-bar mean, slow %D the `slow_d`-bar
//! mean of slow %K. TA-Lib reports both only from the bar where %D is
//! defined, so %K is NaN until then too.

use tradebot_core::Candle;

use super::WindowSum;
use crate::{RollingMax, RollingMin};

/// One bar's slow stochastic (both NaN during warm-up).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct StochValue {
    /// Slow %K in `[0, 100]`.
    pub k: f64,
    /// Slow %D in `[0, 100]`.
    pub d: f64,
}

/// Slow stochastic (`fast_k`, `slow_k`, `slow_d`); defined from bar
/// `fast_k + slow_k + slow_d - 3`.
#[derive(Clone, Debug)]
pub struct Stoch {
    highest: RollingMax,
    lowest: RollingMin,
    slow_k: WindowSum,
    slow_d: WindowSum,
}

impl Stoch {
    /// Periods are clamped to at least 1.
    pub fn new(fast_k: usize, slow_k: usize, slow_d: usize) -> Self {
        Stoch {
            highest: RollingMax::new(fast_k),
            lowest: RollingMin::new(fast_k),
            slow_k: WindowSum::new(slow_k),
            slow_d: WindowSum::new(slow_d),
        }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> StochValue {
        const NAN: StochValue = StochValue { k: f64::NAN, d: f64::NAN };
        let hh = self.highest.update(bar.high);
        let ll = self.lowest.update(bar.low);
        if hh.is_nan() || ll.is_nan() {
            return NAN;
        }
        let range = hh - ll;
        // TA-Lib's value for a window with no range.
        let fast = if range != 0.0 { (100.0 * ((bar.close - ll) / range)).clamp(0.0, 100.0) } else { 0.0 };
        if !self.slow_k.push(fast) {
            return NAN;
        }
        // Means of values in [0, 100]; the clamp only removes the rounding
        // of the running sums.
        let k = (self.slow_k.sum() / self.slow_k.len() as f64).clamp(0.0, 100.0);
        if !self.slow_d.push(k) {
            return NAN;
        }
        StochValue { k, d: (self.slow_d.sum() / self.slow_d.len() as f64).clamp(0.0, 100.0) }
    }
}
