//! Rolling percentile rank of the close and rolling quantiles of the close:
//! where the price sits inside its recent distribution, scale-free across
//! markets, and robust summaries of that distribution (median, quartiles,
//! deciles) that a single outlier bar cannot drag like a mean or a std.
//!
//! Definitions (over the last `n` closes `x_1..x_n`, `x_(1) <= .. <= x_(n)`
//! sorted):
//! - percentile rank (pandas `rolling(n).rank(pct=True)`, ties averaged):
//!   `(#{x_i < c} + (#{x_i == c} + 1) / 2) / n`, `c` the current close, so
//!   it lies in `(0, 1]`;
//! - quantile `q` (pandas `rolling(n).quantile(q)`, linear interpolation):
//!   with `h = q (n - 1)`, `j = floor(h)`: `x_(j+1)` when `h == j`, else
//!   `x_(j+1) + (x_(j+2) - x_(j+1)) (h - j)`.
//!
//! Hand-written: neither `ta` nor `yata` has rolling quantiles or ranks.
//! Order statistics need the window sorted, so a sorted copy of the window
//! is kept next to the ring: each update replaces the oldest value by the
//! newest, finding both slots with branch-free counts and moving only the
//! values between them by one: O(n) for the bounded window (a few hundred
//! bytes for the usual windows); no allocation after `new`.

/// The last `n` values, in arrival order and sorted.
#[derive(Clone, Debug)]
struct SortedWindow {
    ring: Box<[f64]>,
    sorted: Box<[f64]>,
    next: usize,
    seen: usize,
}

impl SortedWindow {
    fn new(window: usize) -> Self {
        let n = window.max(1);
        SortedWindow {
            ring: vec![0.0; n].into_boxed_slice(),
            sorted: vec![0.0; n].into_boxed_slice(),
            next: 0,
            seen: 0,
        }
    }

    /// Number of values held (`n` once warm).
    fn len(&self) -> usize {
        self.seen.min(self.ring.len())
    }

    fn is_full(&self) -> bool {
        self.seen >= self.ring.len()
    }

    #[inline]
    fn push(&mut self, x: f64) {
        let n = self.ring.len();
        let len = self.len();
        if self.seen >= n {
            // Replace the oldest value (any equal slot will do) by `x`:
            // only the values between its slot and `x`'s slot move, by one.
            let old = self.ring[self.next];
            let sorted = &mut self.sorted[..len];
            let a = count_below(sorted, old).min(len - 1);
            let below_x = count_below(sorted, x);
            let b = if old < x { below_x - 1 } else { below_x };
            if a < b {
                sorted.copy_within(a + 1..=b, a);
            } else if b < a {
                sorted.copy_within(b..a, b + 1);
            }
            sorted[b] = x;
        } else {
            let at = count_below(&self.sorted[..len], x);
            self.sorted.copy_within(at..len, at + 1);
            self.sorted[at] = x;
        }
        self.ring[self.next] = x;
        self.next = if self.next + 1 == n { 0 } else { self.next + 1 };
        self.seen += 1;
    }

    /// pandas' linear-interpolation quantile of the full window.
    #[inline(always)]
    fn quantile(&self, q: f64) -> f64 {
        let n = self.ring.len();
        if !self.is_full() || !(0.0..=1.0).contains(&q) {
            return f64::NAN;
        }
        if n == 1 {
            return self.sorted[0];
        }
        // Same operations as pandas' `roll_quantile`, so the values agree to
        // the bit.
        let h = q * (n - 1) as f64;
        let j = h as usize;
        if h == j as f64 || j + 1 >= n {
            return self.sorted[j.min(n - 1)];
        }
        let (lo, hi) = (self.sorted[j], self.sorted[j + 1]);
        lo + (hi - lo) * (h - j as f64)
    }

    /// Average rank of `x` in the full window divided by `n`.
    #[inline]
    fn percent_rank(&self, x: f64) -> f64 {
        let n = self.ring.len();
        if !self.is_full() {
            return f64::NAN;
        }
        let less = count_below(&self.sorted, x);
        let not_greater = self.sorted.iter().map(|&v| usize::from(v <= x)).sum::<usize>();
        // Half-integers and small integers: exact in f64.
        let rank = less as f64 + ((not_greater - less) as f64 + 1.0) / 2.0;
        rank / n as f64
    }
}

/// How many values are below `x`: a branch-free count rather than a
/// binary search, whose mispredicted branches cost more than comparing all
/// of a window this short.
#[inline]
fn count_below(sorted: &[f64], x: f64) -> usize {
    sorted.iter().map(|&v| usize::from(v < x)).sum()
}

/// Rolling percentile rank of the close among the last `window` closes
/// (including itself), in `(0, 1]`; NaN for the first `window - 1` bars.
#[derive(Clone, Debug)]
pub struct PercentRank {
    window: SortedWindow,
}

impl PercentRank {
    /// `window` is clamped to at least 1.
    pub fn new(window: usize) -> Self {
        PercentRank { window: SortedWindow::new(window) }
    }

    #[inline]
    pub fn update(&mut self, close: f64) -> f64 {
        self.window.push(close);
        self.window.percent_rank(close)
    }
}

/// The 10/25/50/75/90 % rolling quantiles of the close.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct QuantileValues {
    pub q10: f64,
    pub q25: f64,
    pub q50: f64,
    pub q75: f64,
    pub q90: f64,
}

/// Rolling quantiles of the close over the last `window` closes (pandas
/// linear interpolation); NaN for the first `window - 1` bars.
#[derive(Clone, Debug)]
pub struct RollingQuantiles {
    window: SortedWindow,
}

impl RollingQuantiles {
    /// `window` is clamped to at least 1.
    pub fn new(window: usize) -> Self {
        RollingQuantiles { window: SortedWindow::new(window) }
    }

    #[inline]
    pub fn update(&mut self, close: f64) -> QuantileValues {
        self.window.push(close);
        QuantileValues {
            q10: self.window.quantile(0.1),
            q25: self.window.quantile(0.25),
            q50: self.window.quantile(0.5),
            q75: self.window.quantile(0.75),
            q90: self.window.quantile(0.9),
        }
    }

    /// Any other quantile `q` in `[0, 1]` of the current window (NaN during
    /// warm-up or for `q` outside `[0, 1]`).
    #[inline]
    pub fn quantile(&self, q: f64) -> f64 {
        self.window.quantile(q)
    }
}

/// [`PercentRank`] and [`RollingQuantiles`] of one window from one sorted
/// copy: a feature set that lists both with the same window (as the
/// built-in sets do) inserts each close once instead of twice. The values
/// are the two features', bit for bit (the same state, pushed the same
/// closes).
#[derive(Clone, Debug)]
pub(crate) struct RankQuantiles {
    window: SortedWindow,
}

impl RankQuantiles {
    pub(crate) fn new(window: usize) -> Self {
        RankQuantiles { window: SortedWindow::new(window) }
    }

    /// The percentile rank of `close`, then its quantiles.
    #[inline]
    pub(crate) fn update(&mut self, close: f64) -> [f64; 6] {
        let w = &mut self.window;
        w.push(close);
        [w.percent_rank(close), w.quantile(0.1), w.quantile(0.25), w.quantile(0.5), w.quantile(0.75), w.quantile(0.9)]
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp)]
    use super::*;

    #[test]
    fn ranks_average_ties_and_quantiles_interpolate() {
        let mut r = PercentRank::new(4);
        let mut q = RollingQuantiles::new(4);
        let mut last = (0.0, None);
        for x in [9.0, 1.0, 3.0, 3.0, 2.0] {
            last = (r.update(x), Some(q.update(x)));
        }
        // Window [1, 3, 3, 2]: 2 has one value below it -> rank 2 of 4.
        assert_eq!(last.0, 0.5);
        let v = last.1.unwrap_or(QuantileValues { q10: 0.0, q25: 0.0, q50: 0.0, q75: 0.0, q90: 0.0 });
        // Sorted [1, 2, 3, 3]: median at h = 1.5 -> 2.5.
        assert_eq!(v.q50, 2.5);
        assert_eq!(q.quantile(0.0), 1.0);
        assert_eq!(q.quantile(1.0), 3.0);
    }
}

#[cfg(test)]
mod sorted_window_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Values from a small set make ties common (the slot of a leaving
        /// value that has equal neighbours).
        #[test]
        fn the_sorted_copy_is_the_window_sorted(values in prop::collection::vec(0u8..6, 1..200), n in 1usize..30) {
            let mut w = SortedWindow::new(n);
            for (t, &v) in values.iter().enumerate() {
                w.push(f64::from(v));
                let from = (t + 1).saturating_sub(n);
                let mut want: Vec<f64> = values[from..=t].iter().map(|&v| f64::from(v)).collect();
                want.sort_by(f64::total_cmp);
                prop_assert_eq!(&w.sorted[..w.len()], &want[..]);
            }
        }
    }
}
