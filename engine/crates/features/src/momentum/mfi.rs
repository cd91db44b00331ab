//! Money flow index as TA-Lib's MFI: typical price `(h + l + c) / 3` times
//! volume is positive or negative flow as the typical price rose or fell
//! from the previous bar (neither when unchanged), summed over `period` bars.

use tradebot_core::Candle;

use super::WindowSum;

/// Typical prices this many ulps apart count as unchanged. Prices are
/// decimals, and two bars whose `h + l + c` are the same decimal can give
/// typical prices a few ulps apart depending on how each sum rounds (e.g.
/// 16850.9 + 16845 + 16845.2 vs 16848 + 16845.2 + 16847.9): that is not a
/// move, and TA-Lib's reference treats it as none (an exact `>` / `<` here
/// missed it on 42 rows of ORDERFLOW_BTC_USDT-5m). A real move is a tick,
/// ~1e-6 of the price or more, far above this.
const SAME_TP_ULPS: f64 = 8.0;

/// MFI in `[0, 100]`; NaN for the first `period` bars (flow needs a previous
/// bar).
#[derive(Clone, Debug)]
pub struct Mfi {
    positive: WindowSum,
    negative: WindowSum,
    prev_tp: f64,
}

impl Mfi {
    /// `period` is clamped to at least 1.
    pub fn new(period: usize) -> Self {
        Mfi { positive: WindowSum::new(period), negative: WindowSum::new(period), prev_tp: f64::NAN }
    }

    #[inline]
    pub fn update(&mut self, bar: &Candle) -> f64 {
        let tp = (bar.high + bar.low + bar.close) / 3.0;
        let prev = self.prev_tp;
        self.prev_tp = tp;
        if prev.is_nan() {
            return f64::NAN;
        }
        let flow = tp * bar.volume;
        let (pos, neg) = if (tp - prev).abs() <= SAME_TP_ULPS * f64::EPSILON * tp.abs().max(prev.abs()) {
            (0.0, 0.0)
        } else if tp > prev {
            (flow, 0.0)
        } else {
            (0.0, flow)
        };
        let full = self.positive.push(pos);
        self.negative.push(neg);
        if !full {
            return f64::NAN;
        }
        // Flows are >= 0; a running sum can only dip below 0 by rounding.
        let (pos, neg) = (self.positive.sum().max(0.0), self.negative.sum().max(0.0));
        let total = pos + neg;
        // TA-Lib returns 0 when the total flow is below 1.0 (an absolute
        // threshold that would zero low-notional markets); here only when
        // there was no flow at all.
        if total == 0.0 { 0.0 } else { 100.0 * (pos / total) }
    }
}
