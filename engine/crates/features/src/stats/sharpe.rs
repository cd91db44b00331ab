//! Rolling Sharpe ratio of one-bar simple returns: mean return per unit of
//! return volatility over a recent window, the risk-adjusted momentum the
//! agents compare across markets.
//!
//! Definition over the last `n` returns `r = c_t / c_{t-1} - 1`:
//! `mean_n(r) / std_n(r)` with the sample (ddof = 1) standard deviation; per
//! bar, not annualised, no risk-free rate (pandas `r.rolling(n).mean() /
//! r.rolling(n).std()`).
//!
//! Hand-written. The mean is the crate's pandas-exact [`Sma`]; the spread
//! comes from the shifted, periodically recomputed [`WindowMoments`] (no
//! drift over long streams). O(1) per bar.

use crate::Sma;

use super::{SimpleReturn, WindowVariance};

/// Rolling Sharpe ratio; NaN until `window` returns were seen (the first
/// `window` bars) and when all returns in the window are equal (std 0).
#[derive(Clone, Debug)]
pub struct RollingSharpe {
    ret: SimpleReturn,
    mean: Sma,
    moments: WindowVariance,
}

impl RollingSharpe {
    /// `window` is clamped to at least 2.
    pub fn new(window: usize) -> Self {
        let window = window.max(2);
        RollingSharpe { ret: SimpleReturn::new(), mean: Sma::new(window), moments: WindowVariance::new(window) }
    }

    #[inline]
    pub fn update(&mut self, close: f64) -> f64 {
        let r = self.ret.update(close);
        if r.is_nan() {
            return f64::NAN;
        }
        let mean = self.mean.update(r);
        self.moments.push(r);
        if !self.moments.is_full() {
            return f64::NAN;
        }
        let n = self.moments.len() as f64;
        let std = (self.moments.variance() * n / (n - 1.0)).sqrt();
        if std == 0.0 {
            return f64::NAN;
        }
        mean / std
    }
}
