//! Why a chart could not be configured, rendered or written.
//!
//! One error type for the whole crate: every variant names what was wrong
//! (config field, candle index and column, buffer length) so a bad bar in a
//! month of data is found without a debugger. Rendering never panics on data.

use std::path::PathBuf;

/// Why a [`ChartConfig`](crate::ChartConfig) was rejected, a render failed or
/// a PNG could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// A config field is out of range.
    #[error("invalid chart config: {field} = {value}: {reason}")]
    InvalidConfig {
        /// The field's name as written in the config.
        field: &'static str,
        /// Its value.
        value: usize,
        /// What the field must satisfy.
        reason: &'static str,
    },
    /// A price is NaN, infinite, zero or negative.
    #[error("candle {index}: {field} = {value} is not a finite positive price")]
    InvalidPrice {
        /// Index of the candle in the slice given to the renderer (for a
        /// [`ChartStream`](crate::ChartStream): among the candles it holds,
        /// 0 = oldest).
        index: usize,
        /// `"open"`, `"high"`, `"low"` or `"close"`.
        field: &'static str,
        /// The offending value.
        value: f64,
    },
    /// The volume is NaN, infinite or negative.
    #[error("candle {index}: volume = {value} is not a finite non-negative number")]
    InvalidVolume {
        /// Index of the candle, as for [`ChartError::InvalidPrice`].
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// The bar's prices contradict each other (high below low, or open or
    /// close outside [low, high]): it cannot be drawn as an OHLC bar.
    #[error("candle {index}: {field} = {value} lies outside [low {low}, high {high}]")]
    InconsistentBar {
        /// Index of the candle, as for [`ChartError::InvalidPrice`].
        index: usize,
        /// `"open"`, `"close"` or `"low"` (the latter when high < low).
        field: &'static str,
        /// The offending value.
        value: f64,
        /// The bar's low.
        low: f64,
        /// The bar's high.
        high: f64,
    },
    /// Fewer candles than the chart shows.
    #[error("a chart of {needed} candles was given {got}")]
    NotEnoughCandles {
        /// The configured number of candles.
        needed: usize,
        /// How many were given.
        got: usize,
    },
    /// The output buffer is not `height * width` long.
    #[error("pixel buffer has {got} values, the chart needs height x width = {expected}")]
    BufferSize {
        /// `height * width`.
        expected: usize,
        /// The buffer's length.
        got: usize,
    },
    /// The dataset's pixel buffer could not be allocated.
    #[error("a dataset of {images} images of {pixels_per_image} pixels does not fit in memory")]
    DatasetTooLarge {
        /// Images that were to be rendered.
        images: usize,
        /// `height * width`.
        pixels_per_image: usize,
    },
    /// Creating or encoding the PNG file failed.
    #[error("cannot write PNG {}: {source}", path.display())]
    Png {
        /// The file being written.
        path: PathBuf,
        /// The I/O or encoder error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
