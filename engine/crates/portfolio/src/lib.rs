//! Account state, updated only from [`Fill`](tradebot_core::Fill)s.
//!
//! [`Ledger`] is the double-entry core (cash, signed positions, marks, fees);
//! the simulated broker keeps one as the venue's books and the engine keeps
//! another as its own view, exactly as a live venue and a live client would.
//! [`TradeBook`] turns the stream of fills into round-trip trades for
//! `trades.csv` and the trade statistics.
//!
//! Margin model: a cash account with shorts collateralised one-to-one
//! (leverage 1). Buying power is `equity - gross exposure`, so a long position
//! consumes cash and a short position reserves its notional; this is what
//! backtesting.py does with its default `margin=1`.

mod ledger;
mod trades;

pub use ledger::{FillEffect, Ledger, Position};
pub use trades::{TradeBook, TradeRecord};
