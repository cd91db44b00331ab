//! Trend strength as a rolling linear fit of the close on time: the slope
//! (price units per bar) says which way and how fast, the R² how cleanly
//! the last `n` closes line up (1 = a straight line, 0 = no linear trend),
//! a scale-free companion to ADX.
//!
//! Definition: ordinary least squares of `y_i` (the last `n` closes, oldest
//! first) on `x_i = i = 0..n-1`: with `Sxx = n (n² - 1) / 12`,
//! `Sxy = sum (x_i - x̄)(y_i - ȳ)`, `Syy = sum (y_i - ȳ)²`:
//! `slope = Sxy / Sxx`, `R² = Sxy² / (Sxx Syy)` (scipy
//! `linregress(arange(n), y)`: `slope`, `rvalue²`). A flat window has slope
//! 0 and an undefined R² (NaN).
//!
//! Streaming: the sums `sum d_i`, `sum d_i²`, `sum i d_i` of `d = y -
//! shift` are updated in O(1) when the window slides (every remaining
//! value's `x` drops by one, so `sum i d_i` loses `sum d_i` of the
//! survivors and gains `(n - 1) d_new`); `shift` is the window mean at the
//! last recomputation, so prices' large level does not cancel, and the sums
//! are recomputed exactly every time the ring wraps (amortised O(1)).

/// Slope and R² of the rolling fit.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct TrendValue {
    pub slope: f64,
    pub r2: f64,
}

/// Rolling linear fit of the close on the bar index over `window` bars;
/// NaN for the first `window - 1` bars.
#[derive(Clone, Debug)]
pub struct TrendFit {
    ring: Box<[f64]>,
    next: usize,
    seen: usize,
    last_change: usize,
    prev: f64,
    shift: f64,
    sy: f64,
    syy: f64,
    sxy: f64,
}

impl TrendFit {
    /// `window` is clamped to at least 3.
    pub fn new(window: usize) -> Self {
        TrendFit {
            ring: vec![0.0; window.max(3)].into_boxed_slice(),
            next: 0,
            seen: 0,
            last_change: 0,
            prev: f64::NAN,
            shift: 0.0,
            sy: 0.0,
            syy: 0.0,
            sxy: 0.0,
        }
    }

    #[inline]
    pub fn update(&mut self, close: f64) -> TrendValue {
        let n = self.ring.len();
        let t = self.seen;
        if close != self.prev {
            self.last_change = t;
        }
        self.prev = close;
        let wraps = self.next + 1 == n;
        if t >= n && !wraps {
            let out = self.ring[self.next] - self.shift;
            let d = close - self.shift;
            self.sxy += (n - 1) as f64 * d - (self.sy - out);
            self.sy += d - out;
            self.syy += d * d - out * out;
        }
        self.ring[self.next] = close;
        self.seen += 1;
        self.next = if wraps { 0 } else { self.next + 1 };
        if wraps {
            self.recompute();
        }
        if self.seen < n {
            return TrendValue { slope: f64::NAN, r2: f64::NAN };
        }
        if self.last_change + n <= t + 1 {
            // Flat window: every close equal.
            return TrendValue { slope: 0.0, r2: f64::NAN };
        }
        let nf = n as f64;
        let sxx = nf * (nf * nf - 1.0) / 12.0;
        let sx = nf * (nf - 1.0) / 2.0;
        let sxy = self.sxy - sx * self.sy / nf;
        let syy = self.syy - self.sy * self.sy / nf;
        let slope = sxy / sxx;
        let r2 = if syy > 0.0 { (sxy * sxy / (sxx * syy)).clamp(0.0, 1.0) } else { f64::NAN };
        TrendValue { slope, r2 }
    }

    /// Exact sums, re-centred; the ring is in order (oldest at 0).
    fn recompute(&mut self) {
        let n = self.ring.len() as f64;
        self.shift = self.ring.iter().sum::<f64>() / n;
        let (mut sy, mut syy, mut sxy) = (0.0, 0.0, 0.0);
        for (i, &y) in self.ring.iter().enumerate() {
            let d = y - self.shift;
            sy += d;
            syy += d * d;
            sxy += i as f64 * d;
        }
        (self.sy, self.syy, self.sxy) = (sy, syy, sxy);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp)]
    use super::*;

    #[test]
    fn a_straight_line_has_its_slope_and_unit_r2() {
        let mut f = TrendFit::new(5);
        let mut v = TrendValue { slope: f64::NAN, r2: f64::NAN };
        for i in 0..13 {
            v = f.update(10.0 + 0.5 * f64::from(i));
        }
        assert!((v.slope - 0.5).abs() < 1e-12 && (v.r2 - 1.0).abs() < 1e-12, "{v:?}");
        for _ in 0..5 {
            v = f.update(3.0);
        }
        assert_eq!(v.slope, 0.0);
        assert!(v.r2.is_nan());
    }
}
