//! Protective stops and take-profit targets: their configuration
//! (`[risk.stop_loss]`, `[risk.take_profit]`) and the price levels they give
//! a new position.
//!
//! Every position the engine opens gets its levels from here, so a strategy
//! cannot open a position without the configured protection. A level that
//! would sit on the wrong side of the entry (a long stop at or above it, a
//! target at or below it), at a non-positive price or from a missing input
//! (ATR or swing not known yet) is dropped rather than placed: a stop that
//! triggers at once protects nothing.

use serde::{Deserialize, Serialize};
use tradebot_core::Side;

use crate::error::{Bounds, ConfigError};

/// Stop-loss rule (`[risk.stop_loss]`, `kind = "none" | "fixed" | "atr" | "swing"`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StopLossConfig {
    /// No stop: the whole notional counts as the trade's risk.
    None,
    /// A fixed fraction away from the entry.
    Fixed(FixedStop),
    /// A multiple of the average true range (passed in by the engine) away from the entry.
    Atr(AtrStop),
    /// Beyond the recent swing low (long) or high (short).
    Swing(SwingStop),
}

impl Default for StopLossConfig {
    fn default() -> Self {
        StopLossConfig::Fixed(FixedStop::default())
    }
}

/// `kind = "fixed"`: long stop `entry * (1 - fraction)`, short `entry * (1 + fraction)`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FixedStop {
    pub fraction: f64,
    /// Trail the best price since entry at this fraction; `None` = a static stop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailing: Option<f64>,
}

impl Default for FixedStop {
    fn default() -> Self {
        FixedStop { fraction: 0.02, trailing: None }
    }
}

/// `kind = "atr"`: long stop `entry - multiplier * atr`, short `entry + multiplier * atr`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AtrStop {
    pub multiplier: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailing: Option<f64>,
}

impl Default for AtrStop {
    fn default() -> Self {
        AtrStop { multiplier: 2.0, trailing: None }
    }
}

/// `kind = "swing"`: long stop `swing_low * (1 - buffer)`, short
/// `swing_high * (1 + buffer)`, where the engine passes the lowest low /
/// highest high of the last `lookback` bars.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SwingStop {
    pub lookback: usize,
    pub buffer: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailing: Option<f64>,
}

impl Default for SwingStop {
    fn default() -> Self {
        SwingStop { lookback: 20, buffer: 0.001, trailing: None }
    }
}

/// Take-profit rule (`[risk.take_profit]`, `kind = "none" | "fixed" | "risk_multiple"`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TakeProfitConfig {
    #[default]
    None,
    /// A fixed fraction away from the entry.
    Fixed(FixedTarget),
    /// `multiple` times the initial stop distance away from the entry (no stop, no target).
    RiskMultiple(RiskMultipleTarget),
}

/// `kind = "fixed"`: long target `entry * (1 + fraction)`, short `entry * (1 - fraction)`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FixedTarget {
    /// Default 0.04: twice the default stop's distance.
    pub fraction: f64,
}

impl Default for FixedTarget {
    fn default() -> Self {
        FixedTarget { fraction: 0.04 }
    }
}

/// `kind = "risk_multiple"`: target `entry ± multiple * |entry - stop|`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskMultipleTarget {
    pub multiple: f64,
}

impl Default for RiskMultipleTarget {
    fn default() -> Self {
        RiskMultipleTarget { multiple: 2.0 }
    }
}

/// Market facts some stop rules need, computed by the engine's features.
/// Zero or non-finite means "not known yet": the rule that needs it places no stop.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StopInputs {
    /// Average true range, in price units.
    pub atr: f64,
    /// Lowest low of the swing stop's `lookback` bars.
    pub swing_low: f64,
    /// Highest high of the swing stop's `lookback` bars.
    pub swing_high: f64,
}

/// The levels attached to a new position.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Protection {
    pub stop: Option<f64>,
    pub take_profit: Option<f64>,
}

const FRACTION: Bounds = Bounds::open(0.0, 1.0);
const MULTIPLIER: Bounds = Bounds::open_closed(0.0, 1000.0);
const LOOKBACK: Bounds = Bounds::closed(1.0, 1_000_000.0);
const BUFFER: Bounds = Bounds::closed_open(0.0, 1.0);

impl StopLossConfig {
    /// The trailing distance, if the stop trails.
    pub fn trailing(&self) -> Option<f64> {
        match self {
            StopLossConfig::None => None,
            StopLossConfig::Fixed(s) => s.trailing,
            StopLossConfig::Atr(s) => s.trailing,
            StopLossConfig::Swing(s) => s.trailing,
        }
    }

    /// How many bars the engine must scan for the swing low/high, if any.
    pub fn swing_lookback(&self) -> Option<usize> {
        match self {
            StopLossConfig::Swing(s) => Some(s.lookback),
            _ => None,
        }
    }

    /// The stop for a position entered at `entry`. A trailing stop starts at
    /// the tighter of the rule's level and the trailing level from `entry`.
    pub fn initial_stop(&self, side: Side, entry: f64, inputs: &StopInputs) -> Option<f64> {
        if !(entry.is_finite() && entry > 0.0) {
            return None;
        }
        let long = side == Side::Buy;
        // Missing inputs (NaN, 0) give levels that `protects` rejects below.
        let base = match self {
            StopLossConfig::None => None,
            StopLossConfig::Fixed(s) => Some(entry * (1.0 - side.sign() * s.fraction)),
            StopLossConfig::Atr(s) => Some(entry - side.sign() * s.multiplier * inputs.atr),
            StopLossConfig::Swing(s) if long => Some(inputs.swing_low * (1.0 - s.buffer)),
            StopLossConfig::Swing(s) => Some(inputs.swing_high * (1.0 + s.buffer)),
        };
        let base = base.filter(|&stop| protects(long, entry, stop));
        match self.trailing() {
            Some(trail) => Some(tighter(long, base, trail_level(long, entry, trail))),
            None => base,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        match self {
            StopLossConfig::None => Ok(()),
            StopLossConfig::Fixed(s) => {
                FRACTION.check("risk.stop_loss.fraction", s.fraction)?;
                validate_trailing(s.trailing)
            }
            StopLossConfig::Atr(s) => {
                MULTIPLIER.check("risk.stop_loss.multiplier", s.multiplier)?;
                validate_trailing(s.trailing)
            }
            StopLossConfig::Swing(s) => {
                LOOKBACK.check("risk.stop_loss.lookback", s.lookback as f64)?;
                BUFFER.check("risk.stop_loss.buffer", s.buffer)?;
                validate_trailing(s.trailing)
            }
        }
    }
}

fn validate_trailing(trailing: Option<f64>) -> Result<(), ConfigError> {
    trailing.map_or(Ok(()), |t| FRACTION.check("risk.stop_loss.trailing", t))
}

impl TakeProfitConfig {
    /// The target for a position entered at `entry` with initial stop `stop`.
    pub fn target(&self, side: Side, entry: f64, stop: Option<f64>) -> Option<f64> {
        if !(entry.is_finite() && entry > 0.0) {
            return None;
        }
        let sign = side.sign();
        let target = match self {
            TakeProfitConfig::None => None,
            TakeProfitConfig::Fixed(t) => Some(entry * (1.0 + sign * t.fraction)),
            TakeProfitConfig::RiskMultiple(t) => stop.map(|s| entry + sign * t.multiple * (entry - s).abs()),
        };
        // A target must lie on the profit side: above a long's entry, below a short's.
        target.filter(|&t| t.is_finite() && t > 0.0 && (t - entry) * sign > 0.0)
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        match self {
            TakeProfitConfig::None => Ok(()),
            TakeProfitConfig::Fixed(t) => FRACTION.check("risk.take_profit.fraction", t.fraction),
            TakeProfitConfig::RiskMultiple(t) => MULTIPLIER.check("risk.take_profit.multiple", t.multiple),
        }
    }
}

/// Stop and target for a position entered at `entry`.
pub fn protective_levels(
    stop_loss: &StopLossConfig,
    take_profit: &TakeProfitConfig,
    side: Side,
    entry: f64,
    inputs: &StopInputs,
) -> Protection {
    let stop = stop_loss.initial_stop(side, entry, inputs);
    Protection { stop, take_profit: take_profit.target(side, entry, stop) }
}

/// A usable stop: a positive price strictly on the losing side of the entry.
fn protects(long: bool, entry: f64, stop: f64) -> bool {
    stop.is_finite() && stop > 0.0 && if long { stop < entry } else { stop > entry }
}

/// The trailing stop level at distance `trail` from the best price `best`.
#[inline]
pub(crate) fn trail_level(long: bool, best: f64, trail: f64) -> f64 {
    if long { best * (1.0 - trail) } else { best * (1.0 + trail) }
}

/// The tighter (closer to the price) of an optional stop and a candidate.
#[inline]
pub(crate) fn tighter(long: bool, current: Option<f64>, candidate: f64) -> f64 {
    match current {
        Some(c) if long => c.max(candidate),
        Some(c) => c.min(candidate),
        None => candidate,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    const NO_INPUTS: StopInputs = StopInputs { atr: 0.0, swing_low: 0.0, swing_high: 0.0 };

    #[test]
    fn the_default_stop_is_two_percent_from_the_entry_on_the_losing_side() {
        let stop = StopLossConfig::default();
        assert!(close(stop.initial_stop(Side::Buy, 100.0, &NO_INPUTS), 98.0));
        assert!(close(stop.initial_stop(Side::Sell, 100.0, &NO_INPUTS), 102.0));
    }

    #[test]
    fn an_atr_stop_is_a_multiple_of_the_atr_away_and_absent_without_an_atr() {
        let stop = StopLossConfig::Atr(AtrStop { multiplier: 3.0, trailing: None });
        let inputs = StopInputs { atr: 1.5, ..NO_INPUTS };
        assert!(close(stop.initial_stop(Side::Buy, 100.0, &inputs), 95.5));
        assert!(close(stop.initial_stop(Side::Sell, 100.0, &inputs), 104.5));
        assert_eq!(stop.initial_stop(Side::Buy, 100.0, &NO_INPUTS), None);
        let nan = StopInputs { atr: f64::NAN, ..NO_INPUTS };
        assert_eq!(stop.initial_stop(Side::Buy, 100.0, &nan), None);
    }

    #[test]
    fn a_swing_stop_sits_a_buffer_beyond_the_swing_low_or_high() {
        let stop = StopLossConfig::Swing(SwingStop { lookback: 20, buffer: 0.01, trailing: None });
        let inputs = StopInputs { atr: 0.0, swing_low: 90.0, swing_high: 110.0 };
        assert!(close(stop.initial_stop(Side::Buy, 100.0, &inputs), 89.1));
        assert!(close(stop.initial_stop(Side::Sell, 100.0, &inputs), 111.1));
        assert_eq!(stop.swing_lookback(), Some(20));
    }

    #[test]
    fn a_stop_on_the_wrong_side_of_the_entry_is_dropped() {
        let stop = StopLossConfig::Swing(SwingStop { lookback: 20, buffer: 0.0, trailing: None });
        // The price gapped below the swing low: a long stop there would fire at once.
        let inputs = StopInputs { atr: 0.0, swing_low: 101.0, swing_high: 99.0 };
        assert_eq!(stop.initial_stop(Side::Buy, 100.0, &inputs), None);
        assert_eq!(stop.initial_stop(Side::Sell, 100.0, &inputs), None);
    }

    #[test]
    fn a_trailing_stop_starts_at_the_tighter_of_its_rule_and_the_trail() {
        let stop = StopLossConfig::Fixed(FixedStop { fraction: 0.05, trailing: Some(0.02) });
        assert!(close(stop.initial_stop(Side::Buy, 100.0, &NO_INPUTS), 98.0));
        assert!(close(stop.initial_stop(Side::Sell, 100.0, &NO_INPUTS), 102.0));
        let wide_trail = StopLossConfig::Fixed(FixedStop { fraction: 0.01, trailing: Some(0.10) });
        assert!(close(wide_trail.initial_stop(Side::Buy, 100.0, &NO_INPUTS), 99.0));
    }

    #[test]
    fn no_stop_rule_means_no_stop() {
        assert_eq!(StopLossConfig::None.initial_stop(Side::Buy, 100.0, &NO_INPUTS), None);
    }

    #[test]
    fn a_fixed_target_is_a_fraction_away_on_the_profit_side() {
        let tp = TakeProfitConfig::Fixed(FixedTarget { fraction: 0.05 });
        assert!(close(tp.target(Side::Buy, 100.0, None), 105.0));
        assert!(close(tp.target(Side::Sell, 100.0, None), 95.0));
    }

    #[test]
    fn a_risk_multiple_target_is_that_many_stop_distances_away() {
        let tp = TakeProfitConfig::RiskMultiple(RiskMultipleTarget { multiple: 2.0 });
        assert!(close(tp.target(Side::Buy, 100.0, Some(98.0)), 104.0));
        assert!(close(tp.target(Side::Sell, 100.0, Some(103.0)), 94.0));
        assert_eq!(tp.target(Side::Buy, 100.0, None), None);
        // 100 - 2 * 60 would be a negative price.
        assert_eq!(tp.target(Side::Sell, 100.0, Some(160.0)), None);
    }

    #[test]
    fn protective_levels_combine_the_default_stop_and_no_target() {
        let p =
            protective_levels(&StopLossConfig::default(), &TakeProfitConfig::default(), Side::Buy, 50.0, &NO_INPUTS);
        assert!(close(p.stop, 49.0));
        assert_eq!(p.take_profit, None);
    }

    #[test]
    fn a_bad_entry_price_gets_no_levels() {
        let p = protective_levels(
            &StopLossConfig::default(),
            &TakeProfitConfig::Fixed(FixedTarget::default()),
            Side::Buy,
            f64::NAN,
            &NO_INPUTS,
        );
        assert_eq!(p, Protection::default());
    }
}
