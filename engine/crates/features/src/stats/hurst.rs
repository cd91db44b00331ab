//! Rolling Hurst exponent of one-bar simple returns by rescaled range (R/S):
//! H > 0.5 says recent returns persist (trending), H < 0.5 that they
//! anti-persist (mean-reverting), 0.5 a random walk. Agents use it as a
//! regime feature next to the autocorrelations.
//!
//! The estimator (exactly; the reference is a numpy implementation of the
//! same steps, `tests/reference/features/stats2.py::hurst_rs`): over the last
//! `n` returns, for chunk sizes `s = s_min, 2 s_min, 4 s_min, ... <= n`, the
//! last `floor(n / s) s` returns are cut into consecutive chunks of `s`; for
//! each chunk with mean `m`, `Y_j = sum_{i<=j} (r_i - m)`, `R = max_j Y_j -
//! min_j Y_j` (`Y_s = 0`, so the range includes 0) and `S` = population std
//! of the chunk; chunks with `S = 0` are skipped; `RS(s)` = mean of `R / S`
//! over the others. `H` = ordinary least-squares slope of `ln RS(s)` on
//! `ln s` over the sizes that have a valid chunk; NaN if fewer than two.
//!
//! Not O(1): R/S has no incremental form (every chunk's cumulative-sum
//! range changes when the window slides), so each update scans the fixed
//! window once per chunk size, O(n log(n / s_min)) with `n` bounded by the
//! caller (128 returns and `s_min = 8`: 5 passes over 128 values). No
//! allocation after `new`.

use super::SimpleReturn;

/// Enough chunk sizes for any window (sizes double each step).
const MAX_SIZES: usize = 64;

/// Hurst exponent of the last `window` returns by rescaled range.
#[derive(Clone, Debug)]
pub struct Hurst {
    ret: SimpleReturn,
    ring: Box<[f64]>,
    next: usize,
    seen: usize,
    min_size: usize,
}

impl Hurst {
    /// `min_size` is clamped to at least 2 and `window` to at least
    /// `2 * min_size` (two chunk sizes).
    pub fn new(window: usize, min_size: usize) -> Self {
        let min_size = min_size.max(2);
        Hurst {
            ret: SimpleReturn::new(),
            ring: vec![0.0; window.max(2 * min_size)].into_boxed_slice(),
            next: 0,
            seen: 0,
            min_size,
        }
    }

    /// Folds in a close; NaN until `window` returns were seen.
    #[inline]
    pub fn update(&mut self, close: f64) -> f64 {
        let r = self.ret.update(close);
        if r.is_nan() {
            return f64::NAN;
        }
        let n = self.ring.len();
        self.ring[self.next] = r;
        self.next = if self.next + 1 == n { 0 } else { self.next + 1 };
        self.seen += 1;
        if self.seen < n {
            return f64::NAN;
        }
        self.value()
    }

    /// The `i`-th oldest return of the full window.
    #[inline]
    fn get(&self, i: usize) -> f64 {
        let j = self.next + i;
        let n = self.ring.len();
        self.ring[if j >= n { j - n } else { j }]
    }

    fn value(&self) -> f64 {
        let n = self.ring.len();
        let mut xs = [0.0; MAX_SIZES];
        let mut ys = [0.0; MAX_SIZES];
        let mut points = 0;
        let mut s = self.min_size;
        while s <= n && points < MAX_SIZES {
            let chunks = n / s;
            let start = n - chunks * s;
            let (mut total, mut valid) = (0.0, 0usize);
            for c in 0..chunks {
                let from = start + c * s;
                let mut sum = 0.0;
                for i in from..from + s {
                    sum += self.get(i);
                }
                let mean = sum / s as f64;
                let (mut y, mut hi, mut lo, mut ss) = (0.0, f64::NEG_INFINITY, f64::INFINITY, 0.0);
                for i in from..from + s {
                    let d = self.get(i) - mean;
                    y += d;
                    hi = hi.max(y);
                    lo = lo.min(y);
                    ss += d * d;
                }
                let sd = (ss / s as f64).sqrt();
                if sd > 0.0 {
                    total += (hi - lo) / sd;
                    valid += 1;
                }
            }
            if valid > 0 {
                xs[points] = (s as f64).ln();
                ys[points] = (total / valid as f64).ln();
                points += 1;
            }
            s *= 2;
        }
        if points < 2 {
            return f64::NAN;
        }
        let k = points as f64;
        let mx = xs[..points].iter().sum::<f64>() / k;
        let my = ys[..points].iter().sum::<f64>() / k;
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for i in 0..points {
            sxy += (xs[i] - mx) * (ys[i] - my);
            sxx += (xs[i] - mx) * (xs[i] - mx);
        }
        sxy / sxx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_trend_in_returns_is_persistent() {
        // Returns that grow steadily: every chunk's cumulative deviation is a
        // smooth bowl, R/S grows ~linearly in s, so H is near 1.
        let mut h = Hurst::new(64, 8);
        let mut close = 100.0;
        let mut v = f64::NAN;
        for i in 0..80 {
            close *= 1.0 + 1e-4 * f64::from(i);
            v = h.update(close);
        }
        assert!(v > 0.9 && v < 1.1, "{v}");
    }
}
