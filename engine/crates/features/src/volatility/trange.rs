//! True range, `max(high - low, |high - prev_close|, |low - prev_close|)`
//! (golden column `trange`): the gap-aware bar range.
//!
//! Hand-written: `ta::TrueRange` and `yata::methods::TR` compute the same
//! numbers (within 3e-12 relative of TA-Lib), but both give a value at the
//! first bar (`high - low`) where TA-Lib has none, so a wrapper would be
//! longer than the three-term formula, and a dependency is not worth it.

use tradebot_core::Candle;

/// True range; NaN at the first bar (TA-Lib needs a previous close).
#[derive(Clone, Debug)]
pub struct TrueRange {
    prev_close: f64,
}

impl Default for TrueRange {
    fn default() -> Self {
        Self::new()
    }
}

impl TrueRange {
    pub fn new() -> Self {
        TrueRange { prev_close: f64::NAN }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> f64 {
        let prev = self.prev_close;
        self.prev_close = bar.close;
        if prev.is_nan() {
            return f64::NAN;
        }
        // Same expression as `Atr` uses, so `trange` and `atr_14` agree.
        (bar.high - bar.low).max((bar.high - prev).abs()).max((bar.low - prev).abs())
    }
}
