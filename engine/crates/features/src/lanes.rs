//! Sums and dot products over four accumulators, for the few places that
//! reduce a whole window in one update (exact recomputes, the volume
//! profile's bins). One accumulator makes the reduction a chain of
//! dependent adds, four cycles each; four independent lanes let them
//! overlap. The lanes are combined in a fixed order, so results are still
//! deterministic (they differ from a left-to-right sum only by rounding).

/// Sum over four accumulators (a fixed order, so still deterministic).
#[inline]
pub(crate) fn sum4(x: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let mut quads = x.chunks_exact(4);
    for q in &mut quads {
        for l in 0..4 {
            acc[l] += q[l];
        }
    }
    for (l, &v) in quads.remainder().iter().enumerate() {
        acc[l] += v;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Dot product of two equally long slices over four accumulators.
#[inline]
pub(crate) fn dot4(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (mut qa, mut qb) = (a.chunks_exact(4), b.chunks_exact(4));
    for (x, y) in (&mut qa).zip(&mut qb) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    for (l, (&x, &y)) in qa.remainder().iter().zip(qb.remainder()).enumerate() {
        acc[l] += x * y;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}
