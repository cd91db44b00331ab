//! The strategy slot: the one place where a trading decision is made from
//! features. Rule-based baselines live here; the agent ensemble and WASM
//! strategy plugins fill the same slot, so every one of them is sized, risk
//! checked and executed by the same downstream stages.
//!
//! The contract is deliberately tiny (backtesting.py's is `init` + `next`):
//! a strategy declares the features it needs and, at each bar's close, says
//! which position it wants — long, short, flat, or "keep what I have". It
//! never sees the account and never sizes: sizing and risk are not its job
//! and cannot be bypassed by it.

mod agent;
mod baselines;
mod config;

pub use agent::{Agent, AgentContext, AgentOutput, AgentOutputs, AgentReading, MAX_AGENTS};
pub use baselines::{BuyAndHold, SmaCross};
pub use config::{EnsembleConfig, NativeStrategy, StrategyConfig, StrategyConfigError};

use tradebot_core::{Candle, PluginFault, PluginStamp, SymbolId, Timestamp};
use tradebot_features::FeatureSpec;

/// The position a strategy wants.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Long,
    Short,
    Flat,
}

impl Direction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::Long => "long",
            Direction::Short => "short",
            Direction::Flat => "flat",
        }
    }
}

/// A strategy's output for one bar.
///
/// Sixteen bytes, returned through one 16-byte store: a plugin's signal
/// crosses a `dyn Strategy` call every bar, and the 72-byte value it was
/// (with the plugin stamp) went through a stack temporary of mismatched
/// stores that the copy into the event could not forward from.
/// Which plugin made it is [`Strategy::plugin`], asked only for decisions.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Signal {
    /// `None`: keep the current position.
    pub target: Option<Direction>,
    /// In `[0, 1]`; rule-based strategies say 1. Agents will report their
    /// ensemble confidence here.
    pub confidence: f64,
    /// The plugin call failed and this is the safe default (hold).
    pub fault: Option<PluginFault>,
}

impl Signal {
    pub const HOLD: Signal = Signal { target: None, confidence: 0.0, fault: None };

    pub const fn go(direction: Direction) -> Signal {
        Signal { target: Some(direction), confidence: 1.0, fault: None }
    }
}

/// What a strategy sees at a bar's close.
#[derive(Copy, Clone, Debug)]
pub struct StrategyContext<'a> {
    pub symbol: SymbolId,
    /// The bar's close time: the decision instant.
    pub time: Timestamp,
    pub bar: &'a Candle,
    /// The values of [`Strategy::features`], in the same order, as of this
    /// bar's close (NaN while an indicator warms up).
    pub features: &'a [f64],
    /// What the run's agents said at this bar (empty without agents).
    pub agents: &'a AgentOutputs,
}

/// The strategy slot. One instance serves one instrument.
pub trait Strategy: Send + std::fmt::Debug {
    /// Short name for reports (`sma_cross(10,20,long_short)`).
    fn name(&self) -> &str;
    /// The features this strategy reads, in the order it reads them.
    fn features(&self) -> &[FeatureSpec];
    /// Called once per bar, at its close.
    fn on_bar(&mut self, ctx: &StrategyContext<'_>) -> Signal;

    /// The plugin behind this strategy, for the decision log (`None`: a
    /// native strategy).
    fn plugin(&self) -> Option<PluginStamp> {
        None
    }
}
