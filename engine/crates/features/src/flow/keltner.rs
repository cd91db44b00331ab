//! Keltner channels as StockCharts defines them (Linda Raschke's revision
//! of Chester Keltner's channel):
//!
//! * middle = EMA(20) of the close (seeded with the mean of the first 20
//!   closes, as the crate's [`Ema`]),
//! * upper / lower = middle ± 2 × ATR(10), with Wilder's ATR seeded with the
//!   mean of the first 10 true ranges (the crate's [`Atr`]).
//!
//! pandas-ta's `kc` (mamode `ema`) differs: it smooths the true range with
//! an EMA of the *same* length as the middle line instead of Wilder's ATR(10);
//! the parameters here are explicit so either spelling of "Keltner" can be
//! configured, but the band is always Wilder's ATR. All three lines are NaN
//! until both the EMA and the ATR are warm (bar `max(ema, atr + 1) - 1`).

use tradebot_core::Candle;

use crate::Atr;
use crate::momentum::Ema;

/// One bar's channel.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct KeltnerBands {
    pub upper: f64,
    pub middle: f64,
    pub lower: f64,
}

/// Keltner channel: `EMA(ema_period)` of the close ± `mult` × `ATR(atr_period)`.
#[derive(Clone, Debug)]
pub struct Keltner {
    ema: Ema,
    atr: Atr,
    mult: f64,
}

impl Keltner {
    /// The common setting is `Keltner::new(20, 10, 2.0)`.
    pub fn new(ema_period: usize, atr_period: usize, mult: f64) -> Self {
        Keltner { ema: Ema::new(ema_period), atr: Atr::new(atr_period), mult }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> KeltnerBands {
        let middle = self.ema.update(bar.close);
        let atr = self.atr.update(bar);
        if middle.is_nan() || atr.is_nan() {
            // One line defined without the others would let a consumer read
            // a band that does not exist yet.
            return KeltnerBands { upper: f64::NAN, middle: f64::NAN, lower: f64::NAN };
        }
        let width = self.mult * atr;
        KeltnerBands { upper: middle + width, middle, lower: middle - width }
    }
}
