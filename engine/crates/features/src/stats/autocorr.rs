//! Rolling autocorrelation and partial autocorrelation of one-bar simple
//! returns at lags 1..=K (K = 10 for the agents): whether recent returns
//! trend (positive lag-1 autocorrelation) or mean-revert (negative), and at
//! which horizons, measured over a recent window so regime changes show.
//!
//! Definition, over the last `n` returns `r_1..r_n` (`r = close_t /
//! close_{t-1} - 1`) with window mean `m`: the standard sample ACF
//! (statsmodels `acf(window, nlags=K, adjusted=False)`),
//! `acf_k = sum_{i=1}^{n-k} (r_i - m)(r_{i+k} - m) / sum_{i=1}^{n} (r_i - m)²`,
//! and the PACF from those by the Durbin–Levinson recursion (statsmodels
//! `pacf(window, nlags=K, method="ldb")`):
//! `phi_11 = acf_1`, `v_1 = 1 - phi_11 acf_1`, and for `k >= 2`
//! `phi_kk = (acf_k - sum_{j<k} phi_{j,k-1} acf_{k-j}) / v_{k-1}`,
//! `phi_jk = phi_{j,k-1} - phi_kk phi_{k-j,k-1}`, `v_k = v_{k-1} (1 - phi_kk²)`;
//! `pacf_k = phi_kk`. This ACF (one mean, one denominator) is chosen over
//! pandas' `autocorr` (a separate Pearson correlation per lag) because it is
//! a positive semi-definite sequence, so the PACF recursion is well defined
//! and `|pacf_k| <= 1`.
//!
//! Hand-written: no maintained streaming crate has it. Streaming: per lag,
//! the lagged cross-product sum and the sums of the two overlapping
//! segments are updated with what enters and leaves the window, O(K) per
//! bar (plus O(K²) for Durbin–Levinson); values are taken relative to a
//! shift (the window mean at the last recomputation) so the sums do not
//! cancel, and every time the ring wraps all sums are recomputed exactly
//! from the window (amortised O(K)), so rounding error cannot build up.
//! Defined from the bar with `n` returns; NaN when all returns of the
//! window are equal (0 / 0).

use super::SimpleReturn;
use crate::lanes::{dot4, sum4};

/// ACF and PACF at lags `1..=max_lag` of the last `window` returns.
#[derive(Clone, Debug)]
pub struct Autocorr {
    ret: SimpleReturn,
    ring: Box<[f64]>,
    /// Returns pushed so far, and the ring slot of the next one (which
    /// holds the oldest once full).
    seen: usize,
    next: usize,
    /// Sequence number of the last return that differed from the one before.
    last_change: usize,
    prev: f64,
    shift: f64,
    /// Sum of `d = r - shift` and of `d²` over the window.
    s: f64,
    q: f64,
    /// Per lag `k` (index `k`): sum of `d_i d_{i+k}`, of the first `n - k`
    /// `d`s and of the last `n - k` `d`s of the window.
    cross: Box<[f64]>,
    head: Box<[f64]>,
    tail: Box<[f64]>,
    /// Deviations from the shift, scratch for `recompute`.
    dev: Box<[f64]>,
    /// Outputs (index 0 unused = 1) and Durbin–Levinson scratch.
    acf: Box<[f64]>,
    pacf: Box<[f64]>,
    phi: Box<[f64]>,
}

impl Autocorr {
    /// `window` is clamped to at least 3, `max_lag` to `1..=window - 2`.
    pub fn new(window: usize, max_lag: usize) -> Self {
        let n = window.max(3);
        let k = max_lag.clamp(1, n - 2) + 1;
        let z = || vec![0.0; k].into_boxed_slice();
        Autocorr {
            ret: SimpleReturn::new(),
            ring: vec![0.0; n].into_boxed_slice(),
            dev: vec![0.0; n].into_boxed_slice(),
            seen: 0,
            next: 0,
            last_change: 0,
            prev: f64::NAN,
            shift: 0.0,
            s: 0.0,
            q: 0.0,
            cross: z(),
            head: z(),
            tail: z(),
            acf: vec![f64::NAN; k].into_boxed_slice(),
            pacf: vec![f64::NAN; k].into_boxed_slice(),
            phi: z(),
        }
    }

    pub fn max_lag(&self) -> usize {
        self.acf.len() - 1
    }

    /// Autocorrelation at `lag` (1-based), NaN during warm-up, for a flat
    /// window or for a lag outside `1..=max_lag`.
    #[inline]
    pub fn acf(&self, lag: usize) -> f64 {
        if lag == 0 { f64::NAN } else { self.acf.get(lag).copied().unwrap_or(f64::NAN) }
    }

    /// Partial autocorrelation at `lag` (1-based), NaN as [`Autocorr::acf`].
    #[inline]
    pub fn pacf(&self, lag: usize) -> f64 {
        if lag == 0 { f64::NAN } else { self.pacf.get(lag).copied().unwrap_or(f64::NAN) }
    }

    /// `d` of the value `back` slots behind ring slot `pos` (wrapping).
    #[inline]
    fn behind(&self, pos: usize, back: usize) -> f64 {
        let n = self.ring.len();
        self.ring[if back <= pos { pos - back } else { pos + n - back }] - self.shift
    }

    /// `d` of the value `ahead` slots after ring slot `pos` (wrapping).
    #[inline]
    fn ahead(&self, pos: usize, ahead: usize) -> f64 {
        let n = self.ring.len();
        let j = pos + ahead;
        self.ring[if j >= n { j - n } else { j }] - self.shift
    }

    /// Folds in a close; the values are then read with `acf` / `pacf`.
    #[inline]
    pub fn update(&mut self, close: f64) {
        let r = self.ret.update(close);
        if r.is_nan() {
            return;
        }
        let n = self.ring.len();
        let t = self.seen;
        // The newest return's slot; it still holds the one leaving.
        let pos = self.next;
        if r != self.prev {
            self.last_change = t;
        }
        self.prev = r;
        let wraps = pos + 1 == n;
        if t >= n && !wraps {
            // Slide: `out` (sequence t - n) leaves, `d` (t) enters. Skipped
            // when this push completes a ring cycle: then all is recomputed.
            let out = self.ring[pos] - self.shift;
            let d = r - self.shift;
            for k in 1..self.acf.len() {
                let (lag_back, lead_out) = (self.behind(pos, k), self.ahead(pos, k));
                self.cross[k] += lag_back * d - out * lead_out;
                self.head[k] += lag_back - out;
                self.tail[k] += d - lead_out;
            }
            self.s += d - out;
            self.q += d * d - out * out;
        }
        self.ring[pos] = r;
        self.seen += 1;
        self.next = if wraps { 0 } else { pos + 1 };
        if wraps {
            self.recompute();
        }
        self.evaluate();
    }

    /// Exact sums of the window, re-centred on its mean. Called when the
    /// newest value is at the last ring slot, so the ring is in order.
    ///
    /// This runs once per `window` bars, so it sets the update's tail
    /// latency: the deviations are formed once, every dot product runs on
    /// four accumulators (no single add chain through the window), and the
    /// segment sums are the total minus the few values a lag leaves out.
    fn recompute(&mut self) {
        let n = self.ring.len();
        self.shift = self.ring.iter().sum::<f64>() / n as f64;
        let c = self.shift;
        for (d, &x) in self.dev.iter_mut().zip(self.ring.iter()) {
            *d = x - c;
        }
        let d = &self.dev;
        let (s, q) = (sum4(d), dot4(d, d));
        (self.s, self.q) = (s, q);
        for k in 1..self.acf.len() {
            self.cross[k] = dot4(&d[..n - k], &d[k..]);
            self.head[k] = s - d[n - k..].iter().sum::<f64>();
            self.tail[k] = s - d[..k].iter().sum::<f64>();
        }
    }

    fn evaluate(&mut self) {
        let n = self.ring.len();
        let t = self.seen - 1;
        // Flat (no change since the window's second return) or not warm.
        if self.seen < n || self.last_change + n <= t + 1 {
            self.acf.fill(f64::NAN);
            self.pacf.fill(f64::NAN);
            return;
        }
        let nf = n as f64;
        let m = self.s / nf;
        // One division for all lags (a multiplication each is within an
        // ulp of dividing, far inside the 1e-9 the reference checks).
        let inv_denom = 1.0 / (self.q - self.s * m);
        for k in 1..self.acf.len() {
            let pairs = (n - k) as f64;
            let num = self.cross[k] - m * (self.head[k] + self.tail[k]) + pairs * m * m;
            self.acf[k] = num * inv_denom;
        }
        // Durbin–Levinson, as statsmodels' `levinson_durbin(isacov=True)`.
        // `phi_{j,k} = phi_{j,k-1} - pkk phi_{k-j,k-1}` is updated in place
        // pairwise (j with k - j), so no copy of the previous row is needed.
        let acf = &self.acf;
        let phi = &mut self.phi;
        phi.fill(0.0);
        phi[1] = acf[1];
        self.pacf[1] = acf[1];
        let mut v = 1.0 - phi[1] * acf[1];
        for k in 2..acf.len() {
            let mut dot = 0.0;
            for j in 1..k {
                dot += phi[j] * acf[k - j];
            }
            let pkk = (acf[k] - dot) / v;
            for j in 1..=(k / 2) {
                let (a, b) = (phi[j], phi[k - j]);
                phi[j] = a - pkk * b;
                if j != k - j {
                    phi[k - j] = b - pkk * a;
                }
            }
            phi[k] = pkk;
            self.pacf[k] = pkk;
            v *= 1.0 - pkk * pkk;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternating_returns_have_negative_lag_one_autocorrelation() {
        let mut a = Autocorr::new(20, 3);
        let mut close = 100.0;
        for i in 0..50 {
            close *= if i % 2 == 0 { 1.01 } else { 0.995 };
            a.update(close);
        }
        assert!(a.acf(1) < -0.9, "{}", a.acf(1));
        assert!(a.acf(2) > 0.8, "{}", a.acf(2));
        assert!((a.pacf(1) - a.acf(1)).abs() < 1e-15);
        assert!(a.acf(4).is_nan() && a.acf(0).is_nan());
    }
}
