//! Self-contained HTML report of a replay run, drawn as SVG.
//!
//! After a replay the engine hands [`render_html`] plain slices (equity
//! curves, prices, trades, monthly returns, latency percentiles, metric rows)
//! and gets back one HTML page that opens offline: inline CSS, inline SVG
//! charts drawn with `plotters`, no scripts, fonts or images from anywhere.
//! The input types are this crate's own so the report does not depend on the
//! engine's internals, and the same input always renders byte-identical HTML.
//!
//! Long series (a replay may have millions of bars) are thinned with
//! [`min_max_downsample`] before drawing, which keeps every spike visible while
//! bounding the file size.

mod charts;
mod downsample;
mod drawdown;
mod error;
mod escape;
mod format;
mod input;
mod page;
mod sections;
mod tables;
mod time_axis;
mod validate;

pub use downsample::min_max_downsample;
pub use drawdown::drawdown;
pub use error::ReportError;
pub use input::{MetricKind, MetricRow, MonthlyCell, PriceSeries, ReportInput, RunSeries, StageLatency, TradePoint};
pub use page::render_html;
