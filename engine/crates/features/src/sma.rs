//! Simple moving average with compensated add/remove.
//!
//! A naive running sum drifts: after millions of add/remove pairs it no
//! longer equals the sum of the window, and in flat markets SMA(10) and
//! SMA(20) of identical prices stop being equal, which makes a crossover
//! strategy see crossings that did not happen. This follows pandas'
//! `rolling(n).mean()` (Kahan-compensated adds and removes kept separately,
//! and a window of identical values returns that value exactly), so baseline
//! strategies agree bit-for-bit with backtesting.py, which uses pandas.

/// One compensated (Kahan) step: `sum + x` with `comp` the error carried
/// from the last step; returns the new sum and error. Adds and removes
/// (`x = -old`) keep separate errors, as pandas does.
#[inline(always)]
fn kahan(sum: f64, comp: f64, x: f64) -> (f64, f64) {
    let y = x - comp;
    let t = sum + y;
    (t, t - sum - y)
}

/// Simple moving average of the last `period` values.
#[derive(Clone, Debug)]
pub struct Sma {
    window: Box<[f64]>,
    /// The period as `f64` (converting a `usize` is several instructions
    /// on x86-64, and every bar divides by it).
    divisor: f64,
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
            divisor: period as f64,
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
            (self.sum, self.comp_remove) = kahan(self.sum, self.comp_remove, -self.window[self.next]);
        }
        (self.sum, self.comp_add) = kahan(self.sum, self.comp_add, value);
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
        let mean = self.sum / self.divisor;
        // All inputs are prices (> 0); a negative mean can only be rounding.
        if mean < 0.0 && self.window.iter().all(|v| !v.is_sign_negative()) { 0.0 } else { mean }
    }
}

/// `L` simple moving averages of one series, each exactly an [`Sma`] of its
/// period (the same operations on the same values, so bit for bit the
/// same), sharing one ring of past values and the flat-run count.
///
/// Why: an [`Sma`]'s compensated add and remove form a chain of four
/// dependent additions a bar; in one loop the lanes' chains run side by side
/// instead of one after another. Several SMAs of the close are common (the
/// TA-Lib suite's 10/20/50/200, a crossover's fast and slow).
#[derive(Clone, Debug)]
pub(crate) struct SmaGroup<const L: usize> {
    /// The last `ring.len()` values (a power of two at least the longest
    /// period), the newest at `seen - 1`.
    ring: Box<[f64]>,
    mask: usize,
    seen: usize,
    periods: [usize; L],
    /// The periods as `f64`: a `usize` to `f64` conversion is a sequence
    /// of several instructions on x86-64, once per lane per bar.
    divisors: [f64; L],
    /// The longest period: from then on every lane's window is full.
    longest: usize,
    sum: [f64; L],
    comp_add: [f64; L],
    comp_remove: [f64; L],
    same_run: usize,
    prev: f64,
    /// Values with the sign bit set in each lane's window: [`Sma::value`]'s
    /// scan of the window, kept as a count. Measured: the scan's call in
    /// the loop kept the lanes' state in memory, 14.6 -> 12.1 ns a bar for
    /// four lanes in a tight loop.
    negatives: [usize; L],
}

impl<const L: usize> SmaGroup<L> {
    /// Periods are clamped to at least 1, as [`Sma::new`] does.
    pub(crate) fn new(periods: [usize; L]) -> Self {
        let periods = periods.map(|p| p.max(1));
        let cap = periods.iter().copied().max().unwrap_or(1).next_power_of_two();
        SmaGroup {
            ring: vec![0.0; cap].into_boxed_slice(),
            mask: cap - 1,
            seen: 0,
            periods,
            divisors: periods.map(|p| p as f64),
            longest: periods.iter().copied().max().unwrap_or(1),
            sum: [0.0; L],
            comp_add: [0.0; L],
            comp_remove: [0.0; L],
            same_run: 0,
            prev: f64::NAN,
            negatives: [0; L],
        }
    }

    /// Folds in one value; every lane's [`Sma::update`]. Always inlined:
    /// unrolled over four lanes it is past LLVM's inlining threshold, and
    /// called out of line its state lives in memory (measured 15.8 ns a bar
    /// for four lanes, no better than four separate SMAs).
    #[inline(always)]
    pub(crate) fn update(&mut self, value: f64) -> [f64; L] {
        if self.seen >= self.longest {
            return self.update_full(value);
        }
        for l in 0..L {
            let n = self.periods[l];
            if self.seen >= n {
                let old = self.ring[self.seen.wrapping_sub(n) & self.mask];
                self.negatives[l] -= usize::from(old.is_sign_negative());
                (self.sum[l], self.comp_remove[l]) = kahan(self.sum[l], self.comp_remove[l], -old);
            }
            self.negatives[l] += usize::from(value.is_sign_negative());
            (self.sum[l], self.comp_add[l]) = kahan(self.sum[l], self.comp_add[l], value);
        }
        self.same_run = if value == self.prev { self.same_run + 1 } else { 1 };
        self.prev = value;
        self.ring[self.seen & self.mask] = value;
        self.seen += 1;
        std::array::from_fn(|l| self.value(l))
    }

    /// [`update`](Self::update) once every lane's window is full: the same
    /// operations, with no branch between the lanes, so LLVM runs them side
    /// by side in vector registers.
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // one index across six lane arrays
    fn update_full(&mut self, value: f64) -> [f64; L] {
        let old: [f64; L] = std::array::from_fn(|l| self.ring[self.seen.wrapping_sub(self.periods[l]) & self.mask]);
        let negative = usize::from(value.is_sign_negative());
        for l in 0..L {
            self.negatives[l] = self.negatives[l] - usize::from(old[l].is_sign_negative()) + negative;
            let (t, comp_remove) = kahan(self.sum[l], self.comp_remove[l], -old[l]);
            (self.sum[l], self.comp_add[l]) = kahan(t, self.comp_add[l], value);
            self.comp_remove[l] = comp_remove;
        }
        self.same_run = if value == self.prev { self.same_run + 1 } else { 1 };
        self.prev = value;
        self.ring[self.seen & self.mask] = value;
        self.seen += 1;
        std::array::from_fn(|l| {
            let mean = self.sum[l] / self.divisors[l];
            let mean = if mean < 0.0 && self.negatives[l] == 0 { 0.0 } else { mean };
            if self.same_run >= self.periods[l] { value } else { mean }
        })
    }

    /// Lane `l`'s [`Sma::value`].
    #[inline]
    fn value(&self, l: usize) -> f64 {
        let n = self.periods[l];
        if self.seen < n {
            return f64::NAN;
        }
        if self.same_run >= n {
            return self.prev;
        }
        let mean = self.sum[l] / self.divisors[l];
        if mean < 0.0 && self.negatives[l] == 0 { 0.0 } else { mean }
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

    /// Every lane of a group equals its own [`Sma`], bit for bit, through
    /// warm-up, flat runs, negative values, a window whose mean cancels and
    /// non-negative windows whose running sum comes out negative.
    #[test]
    fn a_group_of_smas_is_each_sma_bit_for_bit() {
        let mut state = 7_u64;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut g = SmaGroup::new([10, 20, 50, 200]);
        let mut g3 = SmaGroup::new([3, 1, 7]);
        let mut one: Vec<Sma> = [10, 20, 50, 200].map(Sma::new).into();
        let mut three: Vec<Sma> = [3, 1, 7].map(Sma::new).into();
        let mut x = 100.0;
        let mut clamped = 0;
        for i in 0..25_000 {
            x = match (i / 1000) % 5 {
                0 => x * (1.0 + 0.01 * (next() - 0.5)),
                1 => x,                     // a flat run longer than every period
                2 => 1e-3 * (next() - 0.5), // values around zero, both signs
                3 => [0.0, -0.0, 1e-300][i % 3],
                // Runs of large negatives, then of tiny positives: windows of
                // non-negative values whose running sum comes out negative,
                // which both clamp to zero.
                _ if (i / 7) % 2 == 0 => -next() * 10f64.powi((next() * 20.0) as i32),
                _ => next() * 10f64.powi(-((next() * 20.0) as i32)),
            };
            let lanes = g.update(x);
            for (l, s) in one.iter_mut().enumerate() {
                let want = s.update(x);
                clamped += usize::from(want == 0.0 && x > 0.0);
                assert_eq!(lanes[l].to_bits(), want.to_bits(), "lane {l} at {i}");
            }
            let lanes = g3.update(x);
            for (l, s) in three.iter_mut().enumerate() {
                let want = s.update(x);
                clamped += usize::from(want == 0.0 && x > 0.0);
                assert_eq!(lanes[l].to_bits(), want.to_bits(), "lane {l} of 3 at {i}");
            }
        }
        assert!(clamped > 0, "the negative-sum clamp was never exercised");
    }
}
