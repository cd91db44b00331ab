//! The report's HTML tables: metrics side by side, the monthly returns heat
//! table and latency percentiles.
//!
//! Tables are plain HTML rather than charts so numbers can be read exactly,
//! selected and copied.

mod latency;
mod metrics;
mod monthly;

pub(crate) use latency::latency_table;
pub(crate) use metrics::metrics_table;
pub(crate) use monthly::monthly_table;
