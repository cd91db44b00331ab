//! Native position sizing (`[sizing]`): how many units an entry signal buys
//! or sells before the risk engine checks it.
//!
//! Sizing is a pure function of the account and market facts the engine
//! passes in ([`SizingInput`]), so it needs no state of its own beyond the
//! [`TradeStats`] the engine keeps for Kelly, and it is deterministic and
//! allocation-free. Whatever it returns, the risk engine still applies every
//! limit afterwards.

use serde::{Deserialize, Serialize};

use tradebot_core::{PluginFault, PluginRef, PluginStamp, Side, SymbolId};

use crate::TradeStats;
use crate::error::{Bounds, ConfigError};

/// Sizing method (`[sizing]`, `kind = "fixed_fractional" | "kelly" |
/// "volatility_adjusted" | "equity_fraction"`). Default: fixed fractional.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SizingConfig {
    FixedFractional(FixedFractionalSizing),
    Kelly(KellySizing),
    VolatilityAdjusted(VolatilitySizing),
    EquityFraction(EquityFractionSizing),
    /// A WASM component targeting the `sizing-policy` world; the engine
    /// instantiates it as a [`SizingPolicy`].
    Plugin(PluginRef),
}

impl Default for SizingConfig {
    fn default() -> Self {
        SizingConfig::FixedFractional(FixedFractionalSizing::default())
    }
}

/// Risk a fixed fraction of equity per trade:
/// `qty = equity * risk_fraction / |entry - stop|`. Without a stop (or with a
/// stop at the entry) the whole notional is at risk, so
/// `qty = equity * risk_fraction / entry`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct FixedFractionalSizing {
    pub risk_fraction: f64,
}

impl Default for FixedFractionalSizing {
    fn default() -> Self {
        FixedFractionalSizing { risk_fraction: 0.02 }
    }
}

/// Fractional Kelly from the closed trades:
/// `f = clamp(fraction * (p*W - (1-p)*L) / W, 0, cap)`, `qty = equity * f / entry`,
/// with `p` the win rate and `W`, `L` the average win and loss. Before
/// `min_trades` closed trades the estimate is noise, so `fallback_fraction` is
/// used instead (as given, not capped).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct KellySizing {
    pub fraction: f64,
    pub cap: f64,
    pub min_trades: u64,
    pub fallback_fraction: f64,
}

impl Default for KellySizing {
    fn default() -> Self {
        KellySizing { fraction: 0.5, cap: 0.10, min_trades: 20, fallback_fraction: 0.01 }
    }
}

impl KellySizing {
    /// The fraction of equity to commit given `stats`.
    pub fn equity_fraction(&self, stats: &TradeStats) -> f64 {
        if stats.closed() < self.min_trades || stats.closed() == 0 {
            return self.fallback_fraction;
        }
        let (p, w, l) = (stats.win_rate(), stats.avg_win(), stats.avg_loss());
        if w <= 0.0 {
            // No winning trade yet: there is no edge to bet on.
            return 0.0;
        }
        let kelly = (p * w - (1.0 - p) * l) / w;
        (self.fraction * kelly).clamp(0.0, self.cap)
    }
}

/// Volatility targeting: `fraction = min(target_risk / max(vol, vol_floor), max_fraction)`,
/// `qty = equity * fraction / entry`, with `vol` the standard deviation of
/// per-bar returns. The floor keeps a flat market from asking for infinite size.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VolatilitySizing {
    pub target_risk: f64,
    pub max_fraction: f64,
    pub vol_floor: f64,
}

impl Default for VolatilitySizing {
    fn default() -> Self {
        VolatilitySizing { target_risk: 0.02, max_fraction: 0.10, vol_floor: 0.0001 }
    }
}

/// A fixed fraction of equity, commission included:
/// `qty = fraction * equity / (entry * (1 + commission_fraction))`, rounded
/// down to the lot (whole units with lot 1). With the default 0.9999 this is
/// backtesting.py's default order size (`size=0.9999`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EquityFractionSizing {
    pub fraction: f64,
}

impl Default for EquityFractionSizing {
    fn default() -> Self {
        EquityFractionSizing { fraction: 0.9999 }
    }
}

const FRACTION: Bounds = Bounds::open_closed(0.0, 1.0);

impl SizingConfig {
    /// Checks every parameter; the error names the TOML key and the value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self {
            SizingConfig::FixedFractional(c) => FRACTION.check("sizing.risk_fraction", c.risk_fraction),
            SizingConfig::Kelly(c) => {
                FRACTION.check("sizing.fraction", c.fraction)?;
                FRACTION.check("sizing.cap", c.cap)?;
                Bounds::closed(0.0, 1e9).check("sizing.min_trades", c.min_trades as f64)?;
                Bounds::closed(0.0, 1.0).check("sizing.fallback_fraction", c.fallback_fraction)
            }
            SizingConfig::VolatilityAdjusted(c) => {
                FRACTION.check("sizing.target_risk", c.target_risk)?;
                FRACTION.check("sizing.max_fraction", c.max_fraction)?;
                FRACTION.check("sizing.vol_floor", c.vol_floor)
            }
            SizingConfig::EquityFraction(c) => FRACTION.check("sizing.fraction", c.fraction),
            SizingConfig::Plugin(_) => Ok(()),
        }
    }
}

/// What sizing needs to know about the account and the market at the entry.
#[derive(Debug, Clone, Copy)]
pub struct SizingInput<'a> {
    /// Account equity (cash plus positions at their marks).
    pub equity: f64,
    /// Expected entry price (the decision bar's close).
    pub price: f64,
    /// The protective stop the position would get, if any.
    pub stop: Option<f64>,
    /// Standard deviation of per-bar returns (for `volatility_adjusted`).
    pub volatility: f64,
    /// Closed-trade statistics (for `kelly`).
    pub stats: &'a TradeStats,
    /// The venue's lot size; 0 = any quantity.
    pub lot_size: f64,
    /// The broker's commission as a fraction of notional (for `equity_fraction`).
    pub commission_fraction: f64,
}

/// What a sizing policy knows besides [`SizingInput`]: the decision and
/// the account's state in that symbol.
#[derive(Debug, Clone, Copy)]
pub struct SizingContext {
    pub symbol: SymbolId,
    /// The entry being sized.
    pub side: Side,
    /// The decision's confidence in `[0, 1]`.
    pub confidence: f64,
    /// Average true range (NaN when the run does not compute it).
    pub atr: f64,
    /// Signed units held before the decision.
    pub position: f64,
    /// Gross exposure over equity before the decision.
    pub exposure: f64,
}

/// A sizing policy's answer; the risk engine still checks all of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SizingAnswer {
    /// Units to enter: finite and non-negative.
    pub quantity: f64,
    /// A stop the policy wants; the engine keeps the tighter of it and its own.
    pub stop: Option<f64>,
    /// A take-profit the policy wants instead of the engine's.
    pub take_profit: Option<f64>,
    /// The call failed: `quantity` is 0 (no new exposure).
    pub fault: Option<PluginFault>,
}

impl SizingAnswer {
    /// The safe default after a failed call: enter nothing.
    pub const fn refuse(fault: PluginFault) -> Self {
        SizingAnswer { quantity: 0.0, stop: None, take_profit: None, fault: Some(fault) }
    }
}

/// A sizing method that is not one of the native ones: a plugin.
pub trait SizingPolicy: Send + std::fmt::Debug {
    fn size(&mut self, input: &SizingInput<'_>, context: &SizingContext) -> SizingAnswer;
    /// Who is answering, for the decision log.
    fn stamp(&self) -> Option<PluginStamp>;
}

/// The quantity to enter: finite, non-negative, rounded down to the lot.
/// Unusable input (non-positive equity or price, a non-finite volatility or
/// commission, a negative lot) sizes to 0 rather than guessing.
pub fn size(config: &SizingConfig, input: &SizingInput<'_>) -> f64 {
    let SizingInput { equity, price, .. } = *input;
    if !(equity.is_finite() && equity > 0.0 && price.is_finite() && price > 0.0) {
        return 0.0;
    }
    let quantity = match config {
        SizingConfig::FixedFractional(c) => {
            let distance = input.stop.map(|s| (price - s).abs()).filter(|d| d.is_finite() && *d > 0.0);
            equity * c.risk_fraction / distance.unwrap_or(price)
        }
        SizingConfig::Kelly(c) => equity * c.equity_fraction(input.stats) / price,
        SizingConfig::VolatilityAdjusted(c) => {
            let vol = input.volatility;
            if !(vol.is_finite() && vol >= 0.0) {
                return 0.0;
            }
            equity * (c.target_risk / vol.max(c.vol_floor)).min(c.max_fraction) / price
        }
        SizingConfig::EquityFraction(c) => {
            let commission = input.commission_fraction;
            if !(commission.is_finite() && commission > -1.0) {
                return 0.0;
            }
            c.fraction * equity / (price * (1.0 + commission))
        }
        // Only the plugin host can run a plugin; this function never guesses.
        SizingConfig::Plugin(_) => return 0.0,
    };
    round_down_to_lot(quantity, input.lot_size)
}

/// How close (in lots, relative) a quantity must be to a whole number of lots
/// to count as that number: `0.3 / 0.1` is `2.9999999999999996` in binary and
/// must still be 3 lots.
const LOT_SNAP: f64 = 1e-9;

/// `quantity` rounded down to a whole number of `lot`s; `lot = 0` means no
/// rounding. Anything non-finite, non-positive or with a negative lot gives 0.
pub fn round_down_to_lot(quantity: f64, lot: f64) -> f64 {
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
    // Decimal lots (0.1, 0.001) are divided by their exact inverse (10, 1000)
    // so 3 lots of 0.1 come out as the double nearest 0.3, as a venue writes
    // it, rather than as 3 × 0.1 = 0.30000000000000004.
    let per_unit = (1.0 / lot).round();
    if per_unit >= 1.0 && (per_unit * lot - 1.0).abs() <= LOT_SNAP { whole / per_unit } else { whole * lot }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]
    use super::*;

    fn input(stats: &TradeStats) -> SizingInput<'_> {
        SizingInput {
            equity: 10_000.0,
            price: 100.0,
            stop: None,
            volatility: 0.01,
            stats,
            lot_size: 0.0,
            commission_fraction: 0.0,
        }
    }

    fn near(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 * b.abs().max(1.0)
    }

    fn stats(wins: u32, win: f64, losses: u32, loss: f64) -> TradeStats {
        let mut s = TradeStats::new();
        (0..wins).for_each(|_| s.record(win));
        (0..losses).for_each(|_| s.record(-loss));
        s
    }

    #[test]
    fn fixed_fractional_risks_the_fraction_over_the_stop_distance() {
        let s = TradeStats::new();
        let config = SizingConfig::default();
        // 2 % of 10 000 = 200 at risk, 2 per unit.
        assert!(near(size(&config, &SizingInput { stop: Some(98.0), ..input(&s) }), 100.0));
        assert!(near(size(&config, &SizingInput { stop: Some(104.0), ..input(&s) }), 50.0));
    }

    #[test]
    fn fixed_fractional_without_a_stop_risks_the_whole_notional() {
        let s = TradeStats::new();
        assert!(near(size(&SizingConfig::default(), &input(&s)), 2.0));
        // A stop at the entry is no stop at all.
        assert!(near(size(&SizingConfig::default(), &SizingInput { stop: Some(100.0), ..input(&s) }), 2.0));
    }

    #[test]
    fn kelly_applies_its_fraction_to_the_kelly_bet_and_caps_it() {
        // p = 0.6, W = 10, L = 5: f = (0.6*10 - 0.4*5) / 10 = 0.4; half Kelly 0.2.
        let s = stats(18, 10.0, 12, 5.0);
        let uncapped = SizingConfig::Kelly(KellySizing { cap: 1.0, ..KellySizing::default() });
        assert!(near(size(&uncapped, &input(&s)), 10_000.0 * 0.2 / 100.0));
        let capped = SizingConfig::Kelly(KellySizing::default());
        assert!(near(size(&capped, &input(&s)), 10_000.0 * 0.10 / 100.0));
    }

    #[test]
    fn kelly_uses_the_fallback_before_min_trades() {
        let s = stats(15, 10.0, 4, 5.0);
        let config = SizingConfig::Kelly(KellySizing::default());
        assert!(near(size(&config, &input(&s)), 10_000.0 * 0.01 / 100.0));
    }

    #[test]
    fn kelly_bets_nothing_without_an_edge() {
        // p = 0.3, W = 5, L = 5: f = (1.5 - 3.5) / 5 < 0.
        let s = stats(9, 5.0, 21, 5.0);
        assert_eq!(size(&SizingConfig::Kelly(KellySizing::default()), &input(&s)), 0.0);
        let no_wins = stats(0, 0.0, 30, 1.0);
        assert_eq!(size(&SizingConfig::Kelly(KellySizing::default()), &input(&no_wins)), 0.0);
    }

    #[test]
    fn volatility_adjusted_targets_risk_over_volatility_up_to_the_max_fraction() {
        let s = TradeStats::new();
        let config = SizingConfig::VolatilityAdjusted(VolatilitySizing::default());
        // 0.02 / 0.5 = 0.04 of equity.
        assert!(near(size(&config, &SizingInput { volatility: 0.5, ..input(&s) }), 4.0));
        // 0.02 / 0.01 = 2.0, capped at 0.10.
        assert!(near(size(&config, &SizingInput { volatility: 0.01, ..input(&s) }), 10.0));
        // Zero volatility is floored, then capped, never infinite.
        assert!(near(size(&config, &SizingInput { volatility: 0.0, ..input(&s) }), 10.0));
        assert_eq!(size(&config, &SizingInput { volatility: f64::NAN, ..input(&s) }), 0.0);
    }

    #[test]
    fn equity_fraction_buys_whole_units_net_of_commission_like_backtesting_py() {
        let s = TradeStats::new();
        let config = SizingConfig::EquityFraction(EquityFractionSizing::default());
        for (equity, price, commission) in [(10_000.0, 33.0, 0.002), (10_000.0, 100.0, 0.0), (1234.5, 0.07, 0.001)] {
            let q = size(
                &config,
                &SizingInput { equity, price, lot_size: 1.0, commission_fraction: commission, ..input(&s) },
            );
            assert_eq!(q, (0.9999 * equity / (price * (1.0 + commission))).floor());
        }
        // 0.9999 of 10 000 at 100 is 99.99 units: 99 whole ones.
        let q = size(&config, &SizingInput { lot_size: 1.0, ..input(&s) });
        assert_eq!(q, 99.0);
    }

    #[test]
    fn quantities_are_rounded_down_to_the_lot() {
        let s = TradeStats::new();
        let config = SizingConfig::default();
        // 200 / 3 = 66.67 units.
        assert_eq!(size(&config, &SizingInput { stop: Some(97.0), lot_size: 1.0, ..input(&s) }), 66.0);
        assert!(near(size(&config, &SizingInput { stop: Some(97.0), lot_size: 0.5, ..input(&s) }), 66.5));
    }

    #[test]
    fn rounding_keeps_quantities_already_on_the_lot_grid() {
        assert_eq!(round_down_to_lot(0.3, 0.1), 0.3);
        assert_eq!(round_down_to_lot(1.234, 0.001), 1.234);
        assert_eq!(round_down_to_lot(10.0, 2.5), 10.0);
        assert_eq!(round_down_to_lot(0.29, 0.1), 0.2);
        assert_eq!(round_down_to_lot(7.0, 0.0), 7.0);
        assert_eq!(round_down_to_lot(7.0, -1.0), 0.0);
        assert_eq!(round_down_to_lot(f64::NAN, 1.0), 0.0);
    }

    #[test]
    fn unusable_inputs_size_to_zero() {
        let s = TradeStats::new();
        let config = SizingConfig::default();
        for bad in [
            SizingInput { equity: 0.0, ..input(&s) },
            SizingInput { equity: f64::NAN, ..input(&s) },
            SizingInput { price: -1.0, ..input(&s) },
            SizingInput { price: f64::INFINITY, ..input(&s) },
            SizingInput { lot_size: -1.0, ..input(&s) },
        ] {
            assert_eq!(size(&config, &bad), 0.0);
        }
    }
}
