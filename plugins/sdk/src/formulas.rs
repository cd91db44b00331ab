//! The seed's sizing formulas, written exactly like the engine's native ones
//! (`tradebot-risk`'s `sizing.rs`) so a plugin and the native sizing give the
//! same bits on the same inputs: the parity tests compare them.

/// `quantity` rounded down to a whole number of `lot`s (`lot = 0`: no
/// rounding); anything non-finite or non-positive gives 0. A quantity within
/// 1e-9 lots of a whole number of lots counts as that number.
pub fn round_down_to_lot(quantity: f64, lot: f64) -> f64 {
    const LOT_SNAP: f64 = 1e-9;
    if !(quantity.is_finite() && quantity > 0.0) {
        return 0.0;
    }
    if lot == 0.0 {
        return quantity;
    }
    if !(lot.is_finite() && lot > 0.0) {
        return 0.0;
    }
    let lots = quantity / lot;
    let nearest = lots.round();
    let whole = if (lots - nearest).abs() <= LOT_SNAP * nearest.max(1.0) { nearest } else { lots.floor() };
    let per_unit = (1.0 / lot).round();
    if per_unit >= 1.0 && (per_unit * lot - 1.0).abs() <= LOT_SNAP { whole / per_unit } else { whole * lot }
}

/// Fractional Kelly: `clamp(fraction * (p*W - (1-p)*L) / W, 0, cap)`; 0 without a win.
pub fn kelly_fraction(win_rate: f64, avg_win: f64, avg_loss: f64, fraction: f64, cap: f64) -> f64 {
    if avg_win <= 0.0 {
        return 0.0;
    }
    let kelly = (win_rate * avg_win - (1.0 - win_rate) * avg_loss) / avg_win;
    (fraction * kelly).clamp(0.0, cap)
}

/// Index of the largest value (the first on ties).
pub fn argmax(values: &[f64; 3]) -> usize {
    let mut best = 0;
    for i in 1..3 {
        if values[i] > values[best] {
            best = i;
        }
    }
    best
}

/// `p / sum(p)`, or the uniform distribution when the sum is not positive.
pub fn normalise(p: [f64; 3]) -> [f64; 3] {
    let sum = p[0] + p[1] + p[2];
    if sum.is_finite() && sum > 0.0 { [p[0] / sum, p[1] / sum, p[2] / sum] } else { [1.0 / 3.0; 3] }
}
