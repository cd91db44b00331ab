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
//! Not O(1), but close: R/S has no incremental form for a chunk (its
//! cumulative-deviation range changes when a value enters), yet the chunks
//! are aligned to the window's end, so the chunks of size `s` at bar `t`
//! are the chunk that ends at `t` and those that ended at `t - s`, `t - 2s`,
//! ... — each of which was the newest chunk of its size `s`, `2s`, ... bars
//! ago. So each update computes one new chunk per size (8 + 16 + 32 + 64 +
//! 128 returns for the agents' setting) and reads the older chunks' R/S
//! from a ring; the mean over chunks is re-added every bar in a fixed order
//! (no running sum that could drift). A new chunk's mean is a difference
//! of prefix sums, and its cumulative deviations
//! `Y_j = P_{a+j+1} - P_a - (j+1) m` are independent of each other (no
//! serial add chain); its variance is summed from the values (four
//! accumulators). The returns sit in a linear buffer
//! of four windows; when it is full the newest window is moved to the
//! front and its prefix sums are recomputed from scratch, so their rounding
//! error never spans more than four windows (against the numpy estimator:
//! within 1e-9 of `H`, see `tests/golden_stats.rs`). No allocation after
//! `new`.

use wide::f64x2;

use super::SimpleReturn;

/// Enough chunk sizes for any window (sizes double each step).
const MAX_SIZES: usize = 64;
/// Windows of returns the linear buffer holds before it is compacted.
const SPAN: usize = 4;

/// Hurst exponent of the last `window` returns by rescaled range.
#[derive(Clone, Debug)]
pub struct Hurst {
    ret: SimpleReturn,
    window: usize,
    min_size: usize,
    /// Returns, oldest first; the window is `buf[len - window..len]`.
    buf: Box<[f64]>,
    /// `pre[k]` = sum of `buf[..k]`.
    pre: Box<[f64]>,
    len: usize,
    /// Returns seen, and the ring position (`(seen - 1) % window`) of the
    /// newest.
    seen: usize,
    pos: usize,
    /// `steps[j]` = `j + 1`, the weights of the chunk mean in `Y_j`.
    steps: Box<[f64]>,
    /// `ln` of each chunk size.
    ln_sizes: Box<[f64]>,
    /// `rs[i * window + e]`: R/S of the chunk of size `min_size << i` that
    /// ends with the return at ring position `e`; NaN if its variance is 0.
    rs: Box<[f64]>,
    /// Per size: division by the size, and by its number of chunks.
    by_size: Box<[ExactDiv]>,
    by_chunks: Box<[ExactDiv]>,
    /// Scratch: the mean R/S of each size.
    means: Box<[f64]>,
}

/// Division by a fixed count: a multiplication by its reciprocal when the
/// count is a power of two (then the reciprocal is exact and so the
/// product is the quotient, bit for bit), without the divider's latency.
/// The usual sizes (the agents': 8 to 128 in a window of 128) and their
/// chunk counts all are; fifteen divisions and roots a bar were a seventh
/// of the feature's cost.
#[derive(Clone, Copy, Debug)]
struct ExactDiv {
    count: f64,
    inverse: Option<f64>,
}

impl ExactDiv {
    fn new(count: usize) -> Self {
        let c = count as f64;
        ExactDiv { count: c, inverse: count.is_power_of_two().then(|| 1.0 / c) }
    }

    #[inline]
    fn of(self, x: f64) -> f64 {
        match self.inverse {
            Some(inv) => x * inv,
            None => x / self.count,
        }
    }
}

impl Hurst {
    /// `min_size` is clamped to at least 2 and `window` to at least
    /// `2 * min_size` (two chunk sizes).
    pub fn new(window: usize, min_size: usize) -> Self {
        let min_size = min_size.max(2);
        let window = window.max(2 * min_size);
        let cap = SPAN * window;
        let ln_sizes: Box<[f64]> = std::iter::successors(Some(min_size), |s| s.checked_mul(2))
            .take_while(|&s| s <= window)
            .take(MAX_SIZES)
            .map(|s| (s as f64).ln())
            .collect();
        Hurst {
            ret: SimpleReturn::new(),
            window,
            min_size,
            buf: vec![0.0; cap].into_boxed_slice(),
            pre: vec![0.0; cap + 1].into_boxed_slice(),
            len: 0,
            seen: 0,
            pos: window - 1,
            steps: (1..=window).map(|j| j as f64).collect(),
            rs: vec![f64::NAN; ln_sizes.len() * window].into_boxed_slice(),
            by_size: (0..ln_sizes.len()).map(|i| ExactDiv::new(min_size << i)).collect(),
            by_chunks: (0..ln_sizes.len()).map(|i| ExactDiv::new(window / (min_size << i))).collect(),
            means: vec![0.0; ln_sizes.len()].into_boxed_slice(),
            ln_sizes,
        }
    }

    /// Folds in a close; NaN until `window` returns were seen.
    #[inline]
    pub fn update(&mut self, close: f64) -> f64 {
        let r = self.ret.update(close);
        if r.is_nan() {
            return f64::NAN;
        }
        if self.len == self.buf.len() {
            self.compact();
        }
        let k = self.len;
        self.buf[k] = r;
        self.pre[k + 1] = self.pre[k] + r;
        self.len += 1;
        self.seen += 1;
        self.pos = if self.pos + 1 == self.window { 0 } else { self.pos + 1 };
        let n = self.window;
        for i in 0..self.ln_sizes.len() {
            let s = self.min_size << i;
            if s > self.seen {
                break;
            }
            self.rs[i * n + self.pos] = self.rescaled_range(self.len - s, s, self.by_size[i]);
        }
        if self.seen < n {
            return f64::NAN;
        }
        self.value()
    }

    /// Moves the newest `window - 1` returns to the front and recomputes
    /// their prefix sums exactly.
    #[cold]
    fn compact(&mut self) {
        let keep = self.window - 1;
        self.buf.copy_within(self.len - keep..self.len, 0);
        self.len = keep;
        for k in 0..keep {
            let r = self.buf[k];
            self.pre[k + 1] = self.pre[k] + r;
        }
    }

    /// `R / S` of the chunk `buf[a..a + s]`, NaN if its variance is 0.
    #[inline]
    fn rescaled_range(&self, a: usize, s: usize, by_size: ExactDiv) -> f64 {
        let p0 = self.pre[a];
        let m = by_size.of(self.pre[a + s] - p0);
        // The variance from the values themselves, not from prefix sums of
        // squares: a quiet chunk after a volatile stretch has a sum of
        // squares a million times smaller than the prefix it would be a
        // difference of. Four accumulators, so no single add chain.
        let chunk = &self.buf[a..a + s];
        let mut acc = [0.0; 4];
        let mut quads = chunk.chunks_exact(4);
        for q in &mut quads {
            for l in 0..4 {
                let d = q[l] - m;
                acc[l] += d * d;
            }
        }
        for (l, &x) in quads.remainder().iter().enumerate() {
            acc[l] += (x - m) * (x - m);
        }
        let ss = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        if ss.is_nan() || ss <= 0.0 {
            return f64::NAN;
        }
        let (pre, steps) = (&self.pre[a + 1..a + 1 + s], &self.steps[..s]);
        let (hi, lo) = deviation_extremes(pre, steps, p0, m);
        (hi - lo) / by_size.of(ss).sqrt()
    }

    fn value(&mut self) -> f64 {
        let n = self.window;
        let mut all_valid = true;
        for (i, mean) in self.means.iter_mut().enumerate() {
            let s = self.min_size << i;
            let ring = &self.rs[i * n..(i + 1) * n];
            let (mut total, mut valid) = (0.0, 0usize);
            // Oldest chunk first, the newest ending at `pos`.
            for c in (0..n / s).rev() {
                let back = c * s;
                let e = if back <= self.pos { self.pos - back } else { self.pos + n - back };
                let rs = ring[e];
                if !rs.is_nan() {
                    total += rs;
                    valid += 1;
                }
            }
            *mean = match valid {
                0 => f64::NAN,
                v if v == n / s => self.by_chunks[i].of(total),
                v => total / v as f64,
            };
            all_valid &= valid > 0;
        }
        let means = &self.means;
        if all_valid && let Some(h) = equally_spaced_slope(means) {
            return h;
        }
        let (mut xs, mut ys) = ([0.0; MAX_SIZES], [0.0; MAX_SIZES]);
        let mut points = 0;
        for (&ln_s, &mean) in self.ln_sizes.iter().zip(means.iter()) {
            if !mean.is_nan() {
                xs[points] = ln_s;
                ys[points] = mean.ln();
                points += 1;
            }
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

/// Largest and smallest `(pre[j] - p0) - steps[j] * m`.
///
/// One running max is a chain of dependent compares over every chunk of
/// every size, most of this feature's cost, so the extremes run in four
/// lanes: two SSE2 registers each, through `wide`'s `f64x2`. Plain arrays
/// of lanes do not get there: LLVM lowers a 4-wide select to compares and
/// mask shuffles, and even a 2-wide one shuffles the lanes at every step
/// (measured for the feature alone: 693 ns a bar with 4-wide selects, 371
/// with 2-wide, 311 with these). `fast_max(y, hi)` is `maxpd`, `if y > hi
/// { y } else { hi }` as in the tail's loop below; an extreme is exact,
/// so neither the lanes nor the order change the result.
#[inline]
fn deviation_extremes(pre: &[f64], steps: &[f64], p0: f64, m: f64) -> (f64, f64) {
    let (vp0, vm) = (f64x2::splat(p0), f64x2::splat(m));
    let (mut hi, mut lo) = ([f64x2::splat(f64::NEG_INFINITY); 2], [f64x2::splat(f64::INFINITY); 2]);
    let (mut qp, mut qj) = (pre.chunks_exact(4), steps.chunks_exact(4));
    for (p, j) in (&mut qp).zip(&mut qj) {
        for h in 0..2 {
            let pv = f64x2::new([p[2 * h], p[2 * h + 1]]);
            let jv = f64x2::new([j[2 * h], j[2 * h + 1]]);
            let y = (pv - vp0) - jv * vm;
            hi[h] = y.fast_max(hi[h]);
            lo[h] = y.fast_min(lo[h]);
        }
    }
    let (th, tl) = deviation_extremes_tail(qp.remainder(), qj.remainder(), p0, m);
    let h = hi[0].fast_max(hi[1]).to_array().into_iter().fold(th, |a, y| if y > a { y } else { a });
    let l = lo[0].fast_min(lo[1]).to_array().into_iter().fold(tl, |a, y| if y < a { y } else { a });
    (h, l)
}

/// [`deviation_extremes`] of a chunk's last values that do not fill four
/// lanes (fewer than four: a plain loop).
#[inline]
fn deviation_extremes_tail(pre: &[f64], steps: &[f64], p0: f64, m: f64) -> (f64, f64) {
    let (mut hi, mut lo) = (f64::NEG_INFINITY, f64::INFINITY);
    for (&p, &j) in pre.iter().zip(steps) {
        let y = (p - p0) - j * m;
        hi = if y > hi { y } else { hi };
        lo = if y < lo { y } else { lo };
    }
    (hi, lo)
}

/// The least-squares slope of `ln means[i]` on `ln (s_0 2^i)` with one
/// logarithm instead of one per size (five `ln` calls were an eighth of the
/// feature's cost). The sizes' logarithms are equally spaced, `ln 2` apart,
/// so with `c_i = 2 i - (p - 1)` the slope is `sum c_i ln m_i / (ln 2 sum
/// c_i² / 2)`, and as `c` is antisymmetric the sum is the logarithm of
/// `prod_{i < p/2} (m_{p-1-i} / m_i)^{c_{p-1-i}}`. `None` if that product
/// leaves the finite positive range (then the logarithms are summed one by
/// one), or if there are fewer than two sizes.
fn equally_spaced_slope(means: &[f64]) -> Option<f64> {
    let p = means.len();
    if p < 2 {
        return None;
    }
    let mut product = 1.0;
    for i in 0..p / 2 {
        let power = (p - 1 - 2 * i) as i32;
        product *= (means[p - 1 - i] / means[i]).powi(power);
    }
    if !(product.is_finite() && product > 0.0) {
        return None;
    }
    let sum_c2 = (p * (p * p - 1) / 3) as f64;
    Some(2.0 * product.ln() / (std::f64::consts::LN_2 * sum_c2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The estimator of the module doc, evaluated literally over the last
    /// `n` returns (two passes per chunk, every chunk every time).
    fn literal(returns: &[f64], n: usize, min_size: usize) -> f64 {
        let w = &returns[returns.len() - n..];
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        let mut s = min_size;
        while s <= n {
            let chunks = n / s;
            let start = n - chunks * s;
            let (mut total, mut valid) = (0.0, 0);
            for c in 0..chunks {
                let chunk = &w[start + c * s..start + (c + 1) * s];
                let mean = chunk.iter().sum::<f64>() / s as f64;
                let (mut y, mut hi, mut lo, mut ss) = (0.0, f64::NEG_INFINITY, f64::INFINITY, 0.0);
                for &x in chunk {
                    y += x - mean;
                    hi = f64::max(hi, y);
                    lo = f64::min(lo, y);
                    ss += (x - mean) * (x - mean);
                }
                if ss > 0.0 {
                    total += (hi - lo) / (ss / s as f64).sqrt();
                    valid += 1;
                }
            }
            if valid > 0 {
                xs.push((s as f64).ln());
                ys.push((total / f64::from(valid)).ln());
            }
            s *= 2;
        }
        if xs.len() < 2 {
            return f64::NAN;
        }
        let k = xs.len() as f64;
        let (mx, my) = (xs.iter().sum::<f64>() / k, ys.iter().sum::<f64>() / k);
        let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
        sxy / sxx
    }

    proptest! {
        /// Chunks cached from earlier bars, prefix sums across compactions
        /// and windows that are not a multiple of the chunk sizes all give
        /// the literal estimator's value.
        #[test]
        fn every_bar_matches_the_literal_estimator(
            moves in prop::collection::vec(prop_oneof![Just(0.0), -0.02f64..0.02], 1..900),
            window in 4usize..150,
            min_size in 2usize..10,
        ) {
            let mut h = Hurst::new(window, min_size);
            let (n, min_size) = (h.window, h.min_size);
            let mut close = 100.0;
            let mut returns = Vec::new();
            h.update(close);
            for m in moves {
                let next = close * (1.0 + m);
                returns.push(next / close - 1.0);
                close = next;
                let ours = h.update(close);
                if returns.len() < n {
                    prop_assert!(ours.is_nan());
                } else {
                    let want = literal(&returns, n, min_size);
                    prop_assert!(ours.is_nan() == want.is_nan() && (ours.is_nan() || (ours - want).abs() <= 1e-9),
                        "bar {}: {} vs {}", returns.len(), ours, want);
                }
            }
        }
    }

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
