//! Normalised ATR, `100 * ATR / close` (golden column `natr_14`): ATR as a
//! percentage of price, comparable across markets and price levels.
//!
//! Built on the crate's [`Atr`] (Wilder-smoothed, seeded as TA-Lib seeds it)
//! so the two never disagree. Neither crate fits: `ta`'s ATR is an EMA with
//! `2 / (n + 1)` instead of Wilder's `1 / n` (33-40 % off the reference), and
//! `yata` has no NATR.

use tradebot_core::Candle;

use crate::Atr;

/// `100 * ATR(period) / close`; NaN until the ATR is defined (bar `period`).
#[derive(Clone, Debug)]
pub struct Natr {
    atr: Atr,
}

impl Natr {
    /// `period` is clamped to at least 1.
    pub fn new(period: usize) -> Self {
        Natr { atr: Atr::new(period) }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> f64 {
        100.0 * self.atr.update(bar) / bar.close
    }
}
