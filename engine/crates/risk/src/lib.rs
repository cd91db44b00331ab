//! Native risk engine and position sizing: limits, stops, drawdown halt, kill switch.
//!
//! The engine sizes every entry with [`size`] and then passes every order
//! through [`RiskEngine::check`], which no strategy or plugin can bypass. The
//! risk engine sees the account only through the
//! [`Ledger`](tradebot_portfolio::Ledger) and reports every refusal or
//! reduction as a `Copy` [`RiskNote`] (rule and numbers, never text) for the
//! decision log, and every state change the engine must act on (halt, flatten,
//! a trailing stop that moved) as a [`RiskEvent`].
//!
//! Per run the engine calls, in this order per time step: [`RiskEngine::on_bar`]
//! for each bar, [`RiskEngine::end_of_step`], then [`RiskEngine::check`] for
//! each order it wants to send, and [`RiskEngine::on_fill`] for each fill (which
//! returns the stop and target to attach to a new position).
//!
//! After [`RiskEngine::new`] nothing here allocates, locks, reads a clock or
//! depends on hash order.

mod check;
mod config;
mod correlation;
mod engine;
mod error;
mod event;
mod note;
mod sizing;
mod stats;
mod stops;
mod trailing;

pub use check::Proposal;
pub use config::{DrawdownAction, RiskConfig};
pub use engine::RiskEngine;
pub use error::{Bounds, ConfigError};
pub use event::{HaltReason, RiskEvent};
pub use note::{RiskNote, RiskRule};
pub use sizing::{
    EquityFractionSizing, FixedFractionalSizing, KellySizing, SizingAnswer, SizingConfig, SizingContext, SizingInput,
    SizingPolicy, VolatilitySizing, round_down_to_lot, size,
};
pub use stats::TradeStats;
pub use stops::{
    AtrStop, FixedStop, FixedTarget, Protection, RiskMultipleTarget, StopInputs, StopLossConfig, SwingStop,
    TakeProfitConfig, protective_levels,
};
