//! The plain data a report is drawn from.
//!
//! These are borrowed views the caller assembles at the end of a run; keeping
//! them separate from the engine's own types means the report can be rendered
//! from anything (a replay, a saved run, a test) and does not change when the
//! engine's internals do.

use tradebot_core::{Side, Timestamp};

/// Everything one report shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportInput<'a> {
    /// Page heading, e.g. `SMA crossover (10, 20) on ETH_BTC 5m`.
    pub title: &'a str,
    /// Run facts under the heading: data range, config file, engine version.
    pub subtitle: &'a str,
    /// `[0]` is the strategy, the rest are its baselines (buy-and-hold, ...).
    pub runs: &'a [RunSeries<'a>],
    /// One row per metric, one value per run in the order of `runs`.
    pub metrics_table: &'a [MetricRow<'a>],
    /// Close prices of the traded symbols (at most a few); trades refer to
    /// them by index.
    pub prices: &'a [PriceSeries<'a>],
    /// The strategy's closed trades.
    pub trades: &'a [TradePoint],
    /// The strategy's return per calendar month.
    pub monthly_returns: &'a [MonthlyCell],
    /// Latency percentiles per pipeline stage.
    pub latency: &'a [StageLatency<'a>],
    /// Warnings shown verbatim near the top (risk refusals, data gaps, ...).
    pub notes: &'a [&'a str],
}

/// The equity curve of one run; `times` and `equity` have the same length and
/// `times` never decreases.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunSeries<'a> {
    pub name: &'a str,
    pub times: &'a [Timestamp],
    pub equity: &'a [f64],
}

/// How a metric's values are displayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetricKind {
    /// A fraction shown as a percentage with two decimals (`0.1234` → `12.34%`).
    Fraction,
    /// A dimensionless ratio with two decimals (Sharpe, profit factor).
    Ratio,
    /// A whole number with thousands separators (trades, bars).
    Count,
    /// An amount of quote currency with two decimals and thousands separators.
    Money,
}

/// One row of the metrics table. `values[i]` belongs to `runs[i]`; a value
/// that does not exist for a run (a baseline's win rate) is `f64::NAN` and
/// shows as a dash; infinities show as `∞`.
#[derive(Clone, Copy, Debug)]
pub struct MetricRow<'a> {
    pub name: &'a str,
    pub kind: MetricKind,
    pub values: &'a [f64],
}

/// Close prices of one symbol; `times` and `closes` have the same length and
/// `times` never decreases.
#[derive(Clone, Copy, Debug, Default)]
pub struct PriceSeries<'a> {
    pub symbol: &'a str,
    pub times: &'a [Timestamp],
    pub closes: &'a [f64],
}

/// One closed round trip of the strategy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TradePoint {
    /// Index into [`ReportInput::prices`] of the symbol traded.
    pub symbol: usize,
    /// `Buy` for a long trade, `Sell` for a short one.
    pub side: Side,
    pub entry_time: Timestamp,
    pub entry_price: f64,
    pub exit_time: Timestamp,
    pub exit_price: f64,
    /// Profit net of fees, in quote currency.
    pub pnl: f64,
    /// Net return on the entry notional (`0.02` = +2 %).
    pub return_fraction: f64,
}

/// The strategy's return over one calendar month (UTC). Several cells for the
/// same month are compounded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MonthlyCell {
    pub year: i32,
    /// 1 = January ..= 12 = December.
    pub month: u8,
    /// `0.034` = +3.4 %.
    pub return_fraction: f64,
}

/// Latency percentiles of one pipeline stage, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StageLatency<'a> {
    pub stage: &'a str,
    /// Number of measurements.
    pub count: u64,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
}
