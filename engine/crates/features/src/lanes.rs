//! Sums over four accumulators, for the few places that reduce a whole
//! window in one update (exact recomputes, the volume profile's bins). One
//! accumulator makes the reduction a chain of dependent adds, four cycles
//! each; four independent lanes let them overlap. The lanes are combined in
//! a fixed order, so results are still deterministic (they differ from a
//! left-to-right sum only by rounding).

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
