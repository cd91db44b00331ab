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
            Some(prev) if bar.close > prev => self.value += bar.volume,
            Some(prev) if bar.close < prev => self.value -= bar.volume,
            Some(_) => {}
        }
        self.prev_close = Some(bar.close);
        self.value
    }
}
