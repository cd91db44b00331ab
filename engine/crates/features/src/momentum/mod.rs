//! Trend and momentum indicators (EMA, MACD, ADX/DI, RSI, slow stochastic,
//! ROC, Williams %R, OBV, MFI, CCI), each matching TA-Lib's definition and
//! warm-up: the first defined bar is TA-Lib's first output, earlier bars are
//! `f64::NAN`.
//!
//! They are written here rather than taken from the `ta` or `yata` crates:
//! neither crate has a warm-up (both return a value from the first bar,
//! seeding averages and windows with the first input), `ta`'s RSI smooths
//! with `2 / (n + 1)` instead of Wilder's `1 / n` and its slow stochastic and
//! CCI differ from TA-Lib's, `yata` scales its oscillators to `[0, 1]` and
//! computes trading signals on every update, and neither has Williams %R and
//! OBV together with the rest. Wrapping them would have needed a warm-up
//! counter and rescaling around every one, for formulas of a few lines.

mod adx;
mod cci;
mod ema;
mod macd;
mod mfi;
mod obv;
mod roc;
mod rsi;
mod stoch;
mod willr;

pub use adx::{Adx, AdxValue};
pub use cci::Cci;
pub use ema::Ema;
pub use macd::{Macd, MacdValue};
pub use mfi::Mfi;
pub use obv::Obv;
pub use roc::Roc;
pub use rsi::Rsi;
pub use stoch::{Stoch, StochValue};
pub use willr::WillR;

/// Running sum of the last `n` values in a fixed ring. A running sum that
/// only adds and subtracts drifts over millions of bars, so it is recomputed
/// from the ring each time the ring wraps: amortised O(1), exact to rounding.
#[derive(Clone, Debug)]
struct WindowSum {
    ring: Box<[f64]>,
    next: usize,
    seen: usize,
    sum: f64,
}

impl WindowSum {
    fn new(n: usize) -> Self {
        WindowSum { ring: vec![0.0; n.max(1)].into_boxed_slice(), next: 0, seen: 0, sum: 0.0 }
    }

    /// Adds `x`, dropping the value `n` pushes ago; true once `n` values
    /// are in the window.
    #[inline]
    fn push(&mut self, x: f64) -> bool {
        let n = self.ring.len();
        if self.seen >= n {
            self.sum -= self.ring[self.next];
        }
        self.sum += x;
        self.ring[self.next] = x;
        self.next += 1;
        if self.next == n {
            self.next = 0;
            self.sum = self.ring.iter().sum();
        }
        self.seen = self.seen.saturating_add(1);
        self.seen >= n
    }

    #[inline]
    fn sum(&self) -> f64 {
        self.sum
    }

    #[inline]
    fn len(&self) -> usize {
        self.ring.len()
    }
}
