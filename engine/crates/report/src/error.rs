//! [`ReportError`]: why a report could not be rendered.
//!
//! Every variant is an inconsistency in the input (a caller bug worth
//! surfacing rather than drawing a misleading chart) or a drawing failure.

/// Why [`render_html`](crate::render_html) refused its input or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A series has a different number of times and values.
    #[error("{what} '{name}': {times} times but {values} values")]
    LengthMismatch { what: &'static str, name: String, times: usize, values: usize },
    /// A series' times go backwards.
    #[error("{what} '{name}': time at index {index} is earlier than the one before it")]
    Unordered { what: &'static str, name: String, index: usize },
    /// A metric row does not have exactly one value per run.
    #[error("metric '{metric}': {values} values for {runs} runs")]
    MetricWidth { metric: String, values: usize, runs: usize },
    /// A monthly return names a month outside 1..=12.
    #[error("monthly return for {year}: month {month} is not in 1..=12")]
    InvalidMonth { year: i32, month: u8 },
    /// A trade refers to a price series that is not in the input.
    #[error("trade {trade}: symbol index {symbol} but there are {symbols} price series")]
    UnknownSymbol { trade: usize, symbol: usize, symbols: usize },
    /// plotters failed to draw a chart.
    #[error("drawing the {chart} chart failed: {message}")]
    Chart { chart: &'static str, message: String },
    /// Writing the page text failed (cannot happen with an in-memory page;
    /// kept so no error is silently dropped).
    #[error("writing the report failed")]
    Format(#[from] std::fmt::Error),
}
