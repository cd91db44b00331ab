//! [`Record`]: what the account stage reports to the recorder, one `Copy`
//! value per order event, trade, decision, equity sample or alert. Formatting
//! and file I/O happen in the recorder, off the decision path.

use tradebot_core::{OrderEvent, OrderRequest, PluginFault, PluginSlot, PluginStamp, SymbolId, Timestamp};
use tradebot_portfolio::TradeRecord;
use tradebot_risk::{RiskEvent, RiskNote};
use tradebot_strategy::Direction;

/// Most risk notes one decision can carry (one per rule is far fewer).
pub const MAX_NOTES: usize = 8;

/// What the risk engine made of a decision's entry.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to do: the position already matches the target.
    NoChange,
    /// Only an exit was needed (target flat).
    ExitOnly,
    Approved,
    Reduced,
    Refused,
}

impl Verdict {
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::NoChange => "no_change",
            Verdict::ExitOnly => "exit_only",
            Verdict::Approved => "approved",
            Verdict::Reduced => "reduced",
            Verdict::Refused => "refused",
        }
    }
}

/// One line of the decision log.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Decision {
    pub time: Timestamp,
    pub symbol: SymbolId,
    /// Inputs' summary: the bar's close, the strategy's first features, ATR
    /// and return volatility.
    pub close: f64,
    pub inputs: [f64; 4],
    pub n_inputs: u8,
    pub atr: f64,
    pub volatility: f64,
    pub target: Direction,
    pub confidence: f64,
    pub equity: f64,
    /// Gross exposure of all positions at their marks, before the decision.
    pub exposure: f64,
    pub position_before: f64,
    /// Units the exit order closes (0 = none).
    pub exit_quantity: f64,
    /// Units sizing asked for, and what risk allowed.
    pub sized_quantity: f64,
    pub approved_quantity: f64,
    pub stop: f64,
    pub take_profit: f64,
    pub verdict: Verdict,
    pub notes: [Option<RiskNote>; MAX_NOTES],
    /// The strategy plugin that made the signal (`None`: native).
    pub strategy_plugin: Option<PluginStamp>,
    /// The sizing plugin that sized the entry (`None`: native or no entry).
    pub sizing_plugin: Option<PluginStamp>,
    /// The sizing call failed and the entry was not sized (0 units).
    pub sizing_fault: Option<PluginFault>,
}

/// Equity after marking to a step's closes.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct EquitySample {
    pub time: Timestamp,
    pub equity: f64,
    pub cash: f64,
    pub gross_exposure: f64,
    pub drawdown: f64,
    pub open_positions: u16,
}

/// Something an operator must see.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Alert {
    Risk(RiskEvent),
    /// The kill switch was thrown.
    KillSwitch,
    /// The broker rejected an order the engine sent.
    OrderRejected,
    /// The broker refused a bar (malformed prices); nothing filled on it.
    InvalidBar,
    /// A plugin call failed; the slot's safe default was used instead.
    Plugin {
        slot: PluginSlot,
        fault: PluginFault,
    },
}

/// Everything the account stage reports.
///
/// Records travel by value through a fixed ring, so the size of the largest
/// variant is the price of never allocating (boxing a decision would).
#[allow(clippy::large_enum_variant)]
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Record {
    Order {
        request: OrderRequest,
        event: OrderEvent,
    },
    Trade(TradeRecord),
    Decision(Decision),
    Equity(EquitySample),
    Alert {
        time: Timestamp,
        alert: Alert,
    },
    /// The risk engine tightened a trailing stop; the broker's stop order was
    /// amended (`long`: the position is long, so the stop only rises).
    StopMoved {
        time: Timestamp,
        symbol: SymbolId,
        from: f64,
        to: f64,
        long: bool,
    },
    End,
}
