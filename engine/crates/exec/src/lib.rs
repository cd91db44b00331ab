//! Simulated execution: [`SimBroker`], the fill model and trading costs.
//!
//! The engine runs one pipeline for backtest, paper and live trading; only
//! the clock, the data source and the broker change. `SimBroker` is the
//! broker for replay and paper trading: it takes
//! [`OrderRequest`](tradebot_core::OrderRequest)s and bars, reports
//! [`OrderEvent`](tradebot_core::OrderEvent)s with their
//! [`Fill`](tradebot_core::Fill)s through a callback (so matching never
//! allocates), and keeps the venue's own books in a
//! [`Ledger`](tradebot_portfolio::Ledger), exactly as a real venue keeps its
//! own account of the client.
//!
//! Storage for `max_working_orders` (default 1024) orders is allocated in
//! [`SimBroker::new`]; `submit`, `cancel`, `amend_stop` and `on_bar` never
//! allocate after that. A submit that finds the book full is rejected with
//! [`BOOK_FULL_REASON`].
//!
//! # Fill rules
//!
//! **Lifecycle.** Every order gets `Submitted`, then `Accepted` or `Rejected`
//! (`UnknownSymbol`, `InvalidQuantity` — not finite, not positive, or zero
//! after rounding down to `lot_size` — or `InvalidPrice`: a limit or stop
//! that is not a finite price > 0). An accepted order then gets zero or more
//! `PartiallyFilled`, then at most one terminal event: `Filled`, `Cancelled`,
//! or — only for an order that never filled and could not pay for any of its
//! quantity — `Rejected` with `InsufficientFunds`. Until then it is working.
//!
//! **No look-ahead.** An order created at `T` (the close of its decision bar,
//! which is the open of the next one) only takes part in bars whose
//! `open_time >= T`. The broker enforces this itself.
//!
//! **Order within a bar.** The bar is assumed to trade open → low → high →
//! close when `close >= open`, else open → high → low → close. Fills happen in
//! this order:
//! 1. market orders (and stops triggered in earlier bars), in submission
//!    order, at the open — or at the close, after everything else, with
//!    `market_fill = "next_close"`;
//! 2. resting orders the open gapped through, in submission order, at the
//!    open: buy stop `open >= stop`, sell stop `open <= stop`, buy limit
//!    `open <= limit`, sell limit `open >= limit`;
//! 3. resting orders reached inside the bar, in the order the assumed path
//!    reaches their price: limits fill at the limit, stops at the stop.
//!
//! **Stop-limit.** It triggers like a stop, at the open on a gap or at the
//! stop intrabar, and then is a limit order entering the market at that
//! trigger price. If the trigger price is at or better than the limit, it is
//! marketable and fills there with taker costs, capped at the limit;
//! otherwise it rests as a limit at its limit price — filled at the limit if
//! the rest of the path reaches it, else kept as a limit order for later bars.
//! Both leg orientations are accepted (a buy stop-limit's limit may be above
//! or below its stop).
//!
//! **Adverse first.** When a stop (or stop-limit) leg and a limit leg of one
//! OCO group (`OrderRequest::oco`, non-zero) both reach their price in the
//! same bar, the stop leg fills and the limit leg is cancelled
//! (`OcoSibling`), whatever the path says. Otherwise, when an OCO leg ends
//! after filling (fully, or partly with the rest cancelled), its working
//! siblings are cancelled (`OcoSibling`). Cancelling a leg by request leaves
//! its siblings alone.
//!
//! **Prices and costs.** With `hs = half_spread_bps / 1e4` and slippage
//! `s = reference * bps / 1e4` (`bps`) or `fraction * atr` (`atr_fraction`),
//! market and stop fills (the taker fills) buy at `reference * (1 + hs) + s`
//! and sell at `max(0, reference * (1 - hs) - s)`. Limit fills (at the limit,
//! or at a better open) pay no spread or slippage. The pre-cost reference
//! price of every fill lies within the bar's [low, high]. Every fill pays
//! `max(minimum, fraction * quantity * price + per_unit * quantity)` in
//! commission: the minimum applies to each fill, partial fills included.
//!
//! **Volume.** With `max_volume_participation = f`, at most `f * volume` units
//! fill per symbol per bar across all its orders (rounded down to lots),
//! first come first served in the order above; the rest stays working
//! (`PartiallyFilled`), and later bars continue it — a market order or
//! triggered stop at the next bar's open. A zero-volume bar then fills
//! nothing (stops still trigger on its prices). Without a cap, volume is
//! ignored.
//!
//! **Reduce-only.** Such an order fills at most the position it reduces and
//! never opens or flips one. When it would fill and there is no such position
//! it is cancelled (`ReduceOnlyNoPosition`); when it fills the whole position
//! with quantity left over, the rest is cancelled the same way. (The check is
//! made when the order would fill, not at submit, so a protective stop can be
//! sent together with the entry it protects.)
//!
//! **Funds.** Leverage 1, a cash account, shorts collateralised one-to-one
//! (`Ledger::buying_power`). The part of a fill that opens or adds exposure
//! must leave `equity - gross_exposure >= 0` at the fill price, after its
//! fee; the part that reduces or closes a position is always allowed. If not
//! all of it is affordable, the affordable quantity (whole lots) fills and
//! the rest is cancelled (`InsufficientFunds`); if none is and the order never
//! filled, it is `Rejected` (`InsufficientFunds`).
//!
//! **Time.** Fill, cancel and reject events from matching are stamped with the
//! bar's `open_time`, also for fills at the close (`next_close`); intake
//! events carry the order's `created` time; `cancel` and `cancel_all` carry
//! the `now` they are given. After matching a bar, the ledger marks the
//! symbol at the bar's close.

mod broker;
mod config;
mod costs;
mod error;
mod funds;
mod matching;
mod order;
mod path;
mod plan;

pub use broker::{BOOK_FULL_REASON, SimBroker};
pub use config::{CommissionConfig, MarketFill, SimBrokerConfig, Slippage};
pub use error::{AmendError, BarError, ConfigError};
pub use order::WorkingOrder;
