//! Williams %R, `-100 * (highest high - close) / (highest high - lowest low)`
//! over `period` bars, as TA-Lib's WILLR (0 on a window with no range).

use tradebot_core::Candle;

use crate::{RollingMax, RollingMin};

/// Williams %R in `[-100, 0]`; NaN for the first `period - 1` bars.
#[derive(Clone, Debug)]
pub struct WillR {
    highest: RollingMax,
    lowest: RollingMin,
}

impl WillR {
    /// `period` is clamped to at least 1.
    pub fn new(period: usize) -> Self {
        WillR { highest: RollingMax::new(period), lowest: RollingMin::new(period) }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> f64 {
        let hh = self.highest.update(bar.high);
        let ll = self.lowest.update(bar.low);
        if hh.is_nan() || ll.is_nan() {
            return f64::NAN;
        }
        let range = hh - ll;
        // The ratio is in [0, 1] when low <= close <= high; the clamp keeps
        // the documented range for bars that break that.
        if range != 0.0 { (-100.0 * ((hh - bar.close) / range)).clamp(-100.0, 0.0) } else { 0.0 }
    }
}
