//! Performance metrics of a run, computed streaming from the equity curve and
//! the closed trades.
//!
//! The portfolio stage feeds a [`MetricsAccumulator`] one equity sample per
//! time step ([`MetricsAccumulator::on_step`]), each closed trade
//! ([`MetricsAccumulator::on_trade`]) and each fill's notional and fee
//! ([`MetricsAccumulator::on_fill_notional`]), and asks for [`Metrics`] (the
//! `metrics.json` schema, see `METRICS.md`) and the [`MonthlyReturn`] table
//! whenever it wants them. A replay may have millions of steps and a live run
//! never ends, so all metrics come from O(1) state updated without
//! allocation; only the monthly table grows, by one row per month.
//!
//! Annualisation needs the number of bars per year, which depends on the
//! market's [`Calendar`]: [`periods_per_year`] gives it for every interval.
//!
//! ```
//! use tradebot_analytics::{Calendar, MetricsAccumulator, MetricsConfig, periods_per_year};
//! use tradebot_core::{Interval, Timestamp};
//!
//! let config = MetricsConfig {
//!     periods_per_year: periods_per_year(Interval::D1, &Calendar::Crypto),
//!     ..MetricsConfig::default()
//! };
//! let mut acc = MetricsAccumulator::new(config, 10_000.0, 12);
//! let day = 86_400_000_000_000;
//! for (i, equity) in [10_100.0, 10_050.0, 10_200.0].into_iter().enumerate() {
//!     acc.on_step(Timestamp::from_nanos(i as i64 * day), equity, true);
//! }
//! let m = acc.metrics();
//! assert!((m.total_return.unwrap() - 0.02).abs() < 1e-12);
//! assert_eq!(m.win_rate, None); // no trades yet
//! ```

mod accumulator;
mod calendar;
mod compare;
mod config;
mod drawdown;
mod error;
mod metrics;
mod moments;
mod monthly;
mod trades;

pub use accumulator::{MIN_STEP_VOLATILITY, MetricsAccumulator};
pub use calendar::{Calendar, periods_per_year};
pub use compare::{ExcessReturn, excess_return};
pub use config::MetricsConfig;
pub use error::ConfigError;
pub use metrics::Metrics;
pub use monthly::MonthlyReturn;
