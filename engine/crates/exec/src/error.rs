//! Typed errors of the broker: a bad config, a refused stop amendment, a bar
//! the broker cannot match against. Order-level problems are not errors: they
//! are reported as `Rejected`/`Cancelled` events with an
//! [`OrderReason`](tradebot_core::OrderReason), as a venue would.

use thiserror::Error;
use tradebot_core::{ClientOrderId, SymbolId, Timestamp};

/// A `[broker]` value outside its range.
#[derive(Clone, Debug, PartialEq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{field}: {value} is not {expected}")]
    OutOfRange { field: &'static str, value: f64, expected: &'static str },
}

/// Why [`SimBroker::amend_stop`](crate::SimBroker::amend_stop) refused.
#[derive(Clone, Debug, PartialEq, Error)]
#[non_exhaustive]
pub enum AmendError {
    #[error("order {0} is not working (unknown, filled, cancelled or rejected)")]
    NotWorking(ClientOrderId),
    #[error("order {0} is not a stop or stop-limit order")]
    NotAStop(ClientOrderId),
    #[error("order {0} has already triggered; its stop no longer matters")]
    AlreadyTriggered(ClientOrderId),
    #[error("order {id}: stop {stop} is not a finite price > 0")]
    InvalidPrice { id: ClientOrderId, stop: f64 },
}

/// Why [`SimBroker::on_bar`](crate::SimBroker::on_bar) did not match a bar.
#[derive(Clone, Debug, PartialEq, Error)]
#[non_exhaustive]
pub enum BarError {
    #[error("symbol #{} is not one of the broker's symbols", .0.0)]
    UnknownSymbol(SymbolId),
    /// Prices not finite and positive, or open/close outside [low, high].
    #[error("bar of symbol #{} at {open_time} is not a valid OHLC bar", symbol.0)]
    InvalidBar { symbol: SymbolId, open_time: Timestamp },
}
