//! [`RiskEvent`] and [`HaltReason`]: what the risk engine tells the engine
//! outside of order checks.
//!
//! State changes that need an action from the engine (amend a stop order,
//! flatten the book) or a line in the decision log are reported as `Copy`
//! events through a callback, so reporting them never allocates.

use tradebot_core::{SymbolId, Timestamp};

/// Why new entries are refused for the rest of the run.
#[derive(Copy, Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum HaltReason {
    /// The drawdown from the equity high-water mark reached `max_drawdown`.
    MaxDrawdown { drawdown: f64, limit: f64, at: Timestamp },
    /// The kill switch was thrown.
    KillSwitch { at: Timestamp },
}

impl HaltReason {
    /// The name of the rule, as in [`RiskRule::as_str`](crate::RiskRule::as_str).
    pub const fn as_str(&self) -> &'static str {
        match self {
            HaltReason::MaxDrawdown { .. } => "max_drawdown",
            HaltReason::KillSwitch { .. } => "kill_switch",
        }
    }
}

/// Something the engine must act on or log.
#[derive(Copy, Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RiskEvent {
    /// Trading is halted: no entries for the rest of the run (exits still work).
    Halted(HaltReason),
    /// Close every position now (kill switch, or `max_drawdown_action = "flatten"`).
    FlattenRequested,
    /// The day's loss reached `max_daily_loss`: no entries until the next UTC day.
    DailyLossReached { loss: f64, limit: f64 },
    /// A trailing stop tightened; the engine amends the broker's stop order.
    /// `from` is NaN when the position had no stop before.
    StopMoved { symbol: SymbolId, from: f64, to: f64 },
}
