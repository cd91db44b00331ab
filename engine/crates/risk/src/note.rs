//! [`RiskNote`]: the structured record of every refusal or reduction.
//!
//! The decision log must say which rule cut an order and by how much without
//! formatting text on the hot path, so a note is a `Copy` value of the rule and
//! its numbers; the engine renders it when it writes the log.

use core::fmt;

use tradebot_core::SymbolId;

/// The rule that refused or reduced an order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RiskRule {
    /// The proposal itself is unusable: unknown symbol, a price, quantity,
    /// stop or lot size that is not finite or out of range.
    InvalidProposal,
    /// The kill switch was thrown: no entries for the rest of the run.
    KillSwitch,
    /// The drawdown reached `max_drawdown`: no entries for the rest of the run.
    MaxDrawdown,
    /// Equity is zero or negative, so no fraction of it can be risked.
    NoEquity,
    /// The day's loss reached `max_daily_loss`: no entries until the next UTC day.
    MaxDailyLoss,
    /// `max_daily_trades` entries were already approved this UTC day.
    MaxDailyTrades,
    /// Entry size scaled down because the drawdown passed `drawdown_reduction_threshold`.
    DrawdownReduction,
    /// `quantity * |entry - stop|` (or the notional, without a stop) above `max_risk_per_trade`.
    MaxRiskPerTrade,
    /// The position after the order above `max_position` of equity.
    MaxPosition,
    /// Gross exposure after the order above `max_total_exposure` of equity.
    MaxTotalExposure,
    /// Exposure of the instrument and those correlated with it above `max_correlated_exposure`.
    MaxCorrelatedExposure,
    /// Exposure of the instrument's sector above `max_sector_exposure`.
    MaxSectorExposure,
    /// What the limits left is less than one lot.
    LotSize,
    /// An exit asked for more than the position holds; it is cut to the position.
    ExitBeyondPosition,
}

impl RiskRule {
    /// Stable snake_case name for logs and reports (the config key where there is one).
    pub const fn as_str(self) -> &'static str {
        match self {
            RiskRule::InvalidProposal => "invalid_proposal",
            RiskRule::KillSwitch => "kill_switch",
            RiskRule::MaxDrawdown => "max_drawdown",
            RiskRule::NoEquity => "no_equity",
            RiskRule::MaxDailyLoss => "max_daily_loss",
            RiskRule::MaxDailyTrades => "max_daily_trades",
            RiskRule::DrawdownReduction => "drawdown_reduction",
            RiskRule::MaxRiskPerTrade => "max_risk_per_trade",
            RiskRule::MaxPosition => "max_position",
            RiskRule::MaxTotalExposure => "max_total_exposure",
            RiskRule::MaxCorrelatedExposure => "max_correlated_exposure",
            RiskRule::MaxSectorExposure => "max_sector_exposure",
            RiskRule::LotSize => "lot_size",
            RiskRule::ExitBeyondPosition => "exit_beyond_position",
        }
    }
}

impl fmt::Display for RiskRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One refusal or reduction of one proposal.
///
/// `requested` is the quantity that reached this rule (after the rules before
/// it) and `allowed` what the rule let through (0 = refused), both in units of
/// the instrument. `limit` is the configured limit and `value` the measured
/// quantity it was compared with, in the limit's own unit: a fraction of
/// equity for the exposure, risk, loss and drawdown rules (the value the
/// requested quantity would have produced, or the drawdown or loss that
/// triggered a halt); entries approved today for `max_daily_trades`; the lot
/// size and the quantity left for `lot_size`; the position size and the exit
/// asked for in `exit_beyond_position`; the equity for `no_equity`. For
/// `kill_switch` and `invalid_proposal` both are 0: there is nothing to measure.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct RiskNote {
    pub symbol: SymbolId,
    pub rule: RiskRule,
    pub limit: f64,
    pub value: f64,
    pub requested: f64,
    pub allowed: f64,
}

impl RiskNote {
    /// Whether the rule stopped the order entirely.
    #[inline]
    pub fn refused(&self) -> bool {
        self.allowed <= 0.0
    }
}
