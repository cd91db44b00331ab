//! Commodity channel index as TA-Lib's CCI: `(tp - mean) / (0.015 * mean
//! absolute deviation)` of the typical price `(h + l + c) / 3` over `period`
//! bars.
//!
//! The mean absolute deviation is taken about the *current* mean, so every
//! deviation changes when a bar arrives and there is no exact O(1) update:
//! each update walks the fixed `period`-slot ring (20 values for CCI 20), a
//! bounded cost that does not grow with the number of bars and allocates
//! nothing. Recomputing the mean from the ring in the same walk also keeps it
//! free of running-sum drift.

use tradebot_core::Candle;

/// CCI; NaN for the first `period - 1` bars.
#[derive(Clone, Debug)]
pub struct Cci {
    ring: Box<[f64]>,
    next: usize,
    seen: usize,
}

impl Cci {
    /// `period` is clamped to at least 1.
    pub fn new(period: usize) -> Self {
        Cci { ring: vec![0.0; period.max(1)].into_boxed_slice(), next: 0, seen: 0 }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> f64 {
        let tp = (bar.high + bar.low + bar.close) / 3.0;
        let n = self.ring.len();
        self.ring[self.next] = tp;
        self.next = if self.next + 1 == n { 0 } else { self.next + 1 };
        self.seen = self.seen.saturating_add(1);
        if self.seen < n {
            return f64::NAN;
        }
        let nf = n as f64;
        let mean = self.ring.iter().sum::<f64>() / nf;
        let dev = self.ring.iter().map(|x| (x - mean).abs()).sum::<f64>();
        let diff = tp - mean;
        // TA-Lib's value when the window is flat.
        if diff != 0.0 && dev != 0.0 { diff / (0.015 * (dev / nf)) } else { 0.0 }
    }
}
