//! MACD as TA-Lib computes it. TA-Lib starts both EMAs so that they become
//! defined on the same bar: the fast EMA ignores the first `slow - fast`
//! bars and is seeded with the mean of the `fast` closes ending on the slow
//! EMA's first bar (not of the first `fast` closes). The signal EMA is seeded
//! with the mean of the first `signal` MACD values, and TA-Lib reports all
//! three outputs only once the signal is defined.

use super::Ema;

/// One bar's MACD outputs (all NaN during warm-up).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct MacdValue {
    /// Fast EMA minus slow EMA.
    pub macd: f64,
    /// EMA of `macd`.
    pub signal: f64,
    /// `macd - signal`.
    pub hist: f64,
}

impl MacdValue {
    const NAN: MacdValue = MacdValue { macd: f64::NAN, signal: f64::NAN, hist: f64::NAN };
}

/// MACD(fast, slow, signal) of the close; defined from bar
/// `slow + signal - 2` (0-based), as in TA-Lib.
#[derive(Clone, Debug)]
pub struct Macd {
    fast: Ema,
    slow: Ema,
    signal: Ema,
    /// Bars the fast EMA skips so it ends its seed on the slow EMA's.
    fast_skip: usize,
    seen: usize,
}

impl Macd {
    /// Periods are clamped to at least 1; like TA-Lib, a `slow` shorter than
    /// `fast` is swapped with it.
    pub fn new(fast: usize, slow: usize, signal: usize) -> Self {
        let (fast, slow) = (fast.max(1), slow.max(1));
        let (fast, slow) = if slow < fast { (slow, fast) } else { (fast, slow) };
        Macd { fast: Ema::new(fast), slow: Ema::new(slow), signal: Ema::new(signal), fast_skip: slow - fast, seen: 0 }
    }

    #[inline]
    pub fn update(&mut self, close: f64) -> MacdValue {
        let slow = self.slow.update(close);
        if self.seen < self.fast_skip {
            self.seen += 1;
            return MacdValue::NAN;
        }
        let fast = self.fast.update(close);
        if slow.is_nan() {
            return MacdValue::NAN;
        }
        let macd = fast - slow;
        let signal = self.signal.update(macd);
        if signal.is_nan() {
            return MacdValue::NAN;
        }
        MacdValue { macd, signal, hist: macd - signal }
    }
}
