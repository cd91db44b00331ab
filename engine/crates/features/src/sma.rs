//! Simple moving average with compensated add/remove.
//!
//! A naive running sum drifts: after millions of add/remove pairs it no
//! longer equals the sum of the window, and in flat markets SMA(10) and
//! SMA(20) of identical prices stop being equal, which makes a crossover
//! strategy see crossings that did not happen. This follows pandas'
//! `rolling(n).mean()` (Kahan-compensated adds and removes kept separately,
//! and a window of identical values returns that value exactly), so baseline
//! strategies agree bit-for-bit with backtesting.py, which uses pandas.

/// Simple moving average of the last `period` values.
#[derive(Clone, Debug)]
pub struct Sma {
    window: Box<[f64]>,
    next: usize,
    seen: usize,
    sum: f64,
    comp_add: f64,
    comp_remove: f64,
    same_run: usize,
    prev: f64,
}

impl Sma {
    /// `period` is clamped to at least 1.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Sma {
            window: vec![0.0; period].into_boxed_slice(),
            next: 0,
            seen: 0,
            sum: 0.0,
            comp_add: 0.0,
            comp_remove: 0.0,
            same_run: 0,
            prev: f64::NAN,
        }
    }

    pub fn period(&self) -> usize {
        self.window.len()
    }

    /// Adds a value and returns the average, or NaN before `period` values.
    #[inline]
    pub fn update(&mut self, value: f64) -> f64 {
        let n = self.window.len();
        if self.seen >= n {
            let old = self.window[self.next];
            let y = -old - self.comp_remove;
            let t = self.sum + y;
            self.comp_remove = t - self.sum - y;
            self.sum = t;
        }
        let y = value - self.comp_add;
        let t = self.sum + y;
        self.comp_add = t - self.sum - y;
        self.sum = t;
        self.same_run = if value == self.prev { self.same_run + 1 } else { 1 };
        self.prev = value;
        self.window[self.next] = value;
        self.next = if self.next + 1 == n { 0 } else { self.next + 1 };
        self.seen += 1;
        self.value()
    }

    /// The current average (NaN during warm-up).
    #[inline]
    pub fn value(&self) -> f64 {
        let n = self.window.len();
        if self.seen < n {
            return f64::NAN;
        }
        if self.same_run >= n {
            return self.prev;
        }
        let mean = self.sum / n as f64;
        // All inputs are prices (> 0); a negative mean can only be rounding.
        if mean < 0.0 && self.window.iter().all(|v| !v.is_sign_negative()) { 0.0 } else { mean }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp)]
    use super::*;

    #[test]
    fn warms_up_then_averages_the_last_period_values() {
        let mut s = Sma::new(3);
        assert!(s.update(1.0).is_nan());
        assert!(s.update(2.0).is_nan());
        assert_eq!(s.update(3.0), 2.0);
        assert_eq!(s.update(6.0), 11.0 / 3.0);
    }

    #[test]
    fn a_flat_window_returns_the_price_exactly_after_a_long_history() {
        let mut a = Sma::new(10);
        let mut b = Sma::new(20);
        for i in 0..100_000 {
            let p = 0.01 + (i % 97) as f64 * 1e-5;
            a.update(p);
            b.update(p);
        }
        for _ in 0..20 {
            a.update(0.0123);
            b.update(0.0123);
        }
        assert_eq!(a.value(), 0.0123);
        assert_eq!(a.value(), b.value());
    }
}
