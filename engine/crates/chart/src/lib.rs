//! Candlestick chart images for the pattern agent's CNN.
//!
//! Why this crate exists: Jiang, Kelly & Xiu (2023), "(Re-)Imag(in)ing Price
//! Trends", found that a CNN reading plain black-and-white OHLC charts
//! predicts returns; the pattern agent follows them, and needs the same
//! picture in training (a whole history at once) and live (bar by bar)
//! without the two ever differing. This crate draws that picture.
//!
//! An image (default 64 x 64, [`ChartConfig`]) shows the last `candles` bars,
//! 3 columns each: open tick left, high-low bar in the middle, close tick
//! right; the moving average of the close (window = `candles`) as a line
//! through the middle columns; volume bars under the prices, after a blank
//! row. Prices are scaled so the window's extremes fill the price area and
//! volumes so the largest fills the volume area: the image is unchanged when
//! all prices (or all volumes) are multiplied by a positive constant (bit for
//! bit for powers of two; otherwise unless the product's rounding moves a
//! value across a half-pixel boundary, which random data never hit in
//! 20 000 property cases). Pixels are
//! `f32`, 0.0 black and 1.0 white, row-major with the top row first (see
//! [`ChartRenderer`] for the exact rules, degenerate windows included).
//!
//! Three ways in, one drawing routine:
//! * [`ChartRenderer::render_into`]: the window ending at the last candle of
//!   a slice, into a caller's buffer, allocating nothing;
//! * [`ChartRenderer::render_all`]: one image per bar of a history, as a
//!   contiguous [`ChartDataset`] for training;
//! * [`ChartStream`]: `push` a bar, `render_into` a buffer, for live and
//!   replay; bit-identical to the dataset.
//!
//! [`write_png`] saves an image for people to look at.
//!
//! ```
//! use tradebot_chart::{ChartConfig, ChartStream};
//! use tradebot_core::{Candle, Timestamp};
//!
//! let mut stream = ChartStream::new(ChartConfig::default())?;
//! let mut buf = vec![0.0_f32; stream.renderer().pixels()];
//! for i in 0..50 {
//!     let close = 100.0 + (i as f64 * 0.3).sin();
//!     let bar = Candle {
//!         open_time: Timestamp::from_nanos(i * 300_000_000_000),
//!         open: close - 0.1, high: close + 0.5, low: close - 0.5, close, volume: 10.0 + i as f64,
//!     };
//!     stream.push(bar);
//!     let ready = stream.render_into(&mut buf)?;
//!     assert_eq!(ready, i >= 20);
//! }
//! assert!(buf.iter().all(|&v| v == 0.0 || v == 1.0));
//! # Ok::<(), tradebot_chart::ChartError>(())
//! ```

mod config;
mod dataset;
mod error;
mod png_file;
mod render;
mod stream;

pub use config::{COLUMNS_PER_CANDLE, ChartConfig, MAX_SIDE, MIN_PRICE_ROWS};
pub use dataset::ChartDataset;
pub use error::ChartError;
pub use png_file::write_png;
pub use render::{ChartImage, ChartRenderer};
pub use stream::ChartStream;
