//! Parkinson volatility, `sqrt(mean_n(ln(high / low)²) / (4 ln 2))` (golden
//! column `parkinson_vol_20`): a range-based volatility estimate that uses
//! the whole bar, not just closes, so it reacts within one window.
//!
//! Hand-written: neither `ta` nor `yata` has it. The mean is the crate's
//! Kahan-compensated [`Sma`], which does not drift over long streams.

use tradebot_core::Candle;

use crate::Sma;

/// Parkinson volatility over the last `window` bars (per bar, not
/// annualised); NaN for the first `window - 1` bars.
#[derive(Clone, Debug)]
pub struct Parkinson {
    mean: Sma,
}

impl Parkinson {
    /// `window` is clamped to at least 1.
    pub fn new(window: usize) -> Self {
        Parkinson { mean: Sma::new(window) }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> f64 {
        let hl = (bar.high / bar.low).ln();
        // The mean of non-negative terms; `Sma` clamps a rounding-negative
        // mean to 0, so the square root is never NaN.
        (self.mean.update(hl * hl / (4.0 * std::f64::consts::LN_2))).sqrt()
    }
}
