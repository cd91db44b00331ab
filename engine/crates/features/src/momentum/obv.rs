//! On-balance volume as TA-Lib computes it: it starts at the first bar's
//! volume (not at 0) and adds or subtracts each later bar's volume as the
//! close rises or falls.

use tradebot_core::Candle;

/// Cumulative on-balance volume; defined from the first bar.
#[derive(Clone, Debug, Default)]
pub struct Obv {
    prev_close: Option<f64>,
    value: f64,
}

impl Obv {
    pub fn new() -> Self {
        Obv::default()
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> f64 {
        match self.prev_close {
            None => self.value = bar.volume,
            Some(prev) => {
                // Whether a close rises or falls is a coin flip on real
                // prices: a signed add instead of branches that mispredict
                // half the time. Exact: `v + (-1 × vol)` is `v - vol`, and
                // `v + 0 × vol` is `v` (volumes are finite).
                let sign = i8::from(bar.close > prev) - i8::from(bar.close < prev);
                self.value += f64::from(sign) * bar.volume;
            }
        }
        self.prev_close = Some(bar.close);
        self.value
    }
}
