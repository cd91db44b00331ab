//! [`ChartRenderer`]: candles to pixels, the one drawing routine every path
//! (single image, dataset, stream) goes through, so they cannot disagree.
//!
//! It draws into a caller's buffer and keeps no scratch state, so a render
//! allocates nothing and a renderer can be shared between threads.

use tradebot_core::Candle;

use crate::{COLUMNS_PER_CANDLE, ChartConfig, ChartError};

/// Renders the last `candles` bars of a slice as a JKX-style OHLC image.
///
/// Layout (rows from the top, columns from the left):
///
/// * columns: `blank_columns()` blank ones, then 3 per candle, oldest first:
///   left = open tick, middle = high-low bar (and volume bar), right = close
///   tick;
/// * rows `0..price_rows()`: prices, the highest high (or moving average) of
///   the window in row 0, the lowest low (or moving average) in the last
///   price row; a price `p` is drawn in row
///   `price_rows - 1 - round((p - lo) / (hi - lo) * (price_rows - 1))`;
/// * then, when `volume_height > 0`, one blank row and `volume_height` rows
///   of volume: a candle's bar rises `round(volume / max_volume *
///   volume_height)` rows from the bottom row.
///
/// Degenerate windows are drawn, not rejected: when every price in the window
/// (moving average included) is the same, all price marks go to the middle
/// price row `(price_rows - 1) / 2`; zero volume draws no volume pixels (and
/// an all-zero-volume window leaves the volume area black).
#[derive(Clone, Debug)]
pub struct ChartRenderer {
    config: ChartConfig,
}

impl ChartRenderer {
    /// A renderer for a validated config.
    pub fn new(config: ChartConfig) -> Result<Self, ChartError> {
        config.validate()?;
        Ok(ChartRenderer { config })
    }

    pub fn config(&self) -> &ChartConfig {
        &self.config
    }

    pub fn height(&self) -> usize {
        self.config.height
    }

    pub fn width(&self) -> usize {
        self.config.width
    }

    /// Candles shown in one image.
    pub fn candles(&self) -> usize {
        self.config.candles
    }

    /// Candles a render reads from the end of its slice (see
    /// [`ChartConfig::lookback`]); earlier ones are ignored.
    pub fn lookback(&self) -> usize {
        self.config.lookback()
    }

    /// `height * width`.
    pub fn pixels(&self) -> usize {
        self.config.pixels()
    }

    /// A black image of this renderer's size, to render into.
    pub fn new_image(&self) -> ChartImage {
        ChartImage { height: self.height(), width: self.width(), pixels: vec![0.0; self.pixels()] }
    }

    /// [`render_into`](Self::render_into) a new image.
    pub fn render(&self, candles: &[Candle]) -> Result<ChartImage, ChartError> {
        let mut image = self.new_image();
        self.render_into(candles, &mut image.pixels)?;
        Ok(image)
    }

    /// Draws the chart of the window ending at the last candle of `candles`
    /// into `buf`: `height * width` values, row-major, top row first, 0.0 =
    /// black background, 1.0 = a drawn pixel. Nothing else is written.
    ///
    /// The last `candles` bars are drawn; with the moving average on, up to
    /// `candles - 1` bars before them are read as its history. A column gets
    /// a moving-average point only when the slice holds the `candles` closes
    /// ending at its bar; during warm-up the line starts later (or is absent).
    /// Only the slice is read, so passing `&all[..=t]` renders bar `t` without
    /// seeing the future.
    ///
    /// Errors (and `buf` unspecified) on a wrong buffer length, too few
    /// candles, or a bad value in a candle that is read: prices must be finite
    /// and positive with open and close inside [low, high], volume finite and
    /// non-negative (of history bars only the close is read and checked).
    /// Allocates nothing.
    pub fn render_into(&self, candles: &[Candle], buf: &mut [f32]) -> Result<(), ChartError> {
        let cfg = &self.config;
        let n = cfg.candles;
        if buf.len() != cfg.pixels() {
            return Err(ChartError::BufferSize { expected: cfg.pixels(), got: buf.len() });
        }
        if candles.len() < n {
            return Err(ChartError::NotEnoughCandles { needed: n, got: candles.len() });
        }
        let offset = candles.len() - candles.len().min(cfg.lookback());
        let view = &candles[offset..];
        let history = view.len() - n;
        validate(view, history, offset)?;

        let window = &view[history..];
        // Recomputed per column rather than kept as running sums, so every
        // path that renders the same candles gets the same bits.
        let ma = |k: usize| -> Option<f64> {
            if !cfg.moving_average || k + 1 < n {
                return None;
            }
            let inv = n as f64;
            let m = view[k + 1 - n..=k].iter().map(|c| c.close / inv).sum::<f64>();
            m.is_finite().then_some(m)
        };

        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        let mut max_volume = 0.0_f64;
        for c in window {
            lo = lo.min(c.low);
            hi = hi.max(c.high);
            max_volume = max_volume.max(c.volume);
        }
        for m in (history..view.len()).filter_map(ma) {
            lo = lo.min(m);
            hi = hi.max(m);
        }

        let price_rows = cfg.price_rows();
        let last_row = price_rows - 1;
        let row = |p: f64| -> usize {
            if hi > lo {
                // Dividing first keeps the ratio in [0, 1] even when hi - lo
                // is tiny, so nothing overflows.
                let y = ((p - lo) / (hi - lo) * last_row as f64).round() as usize;
                last_row - y.min(last_row)
            } else {
                last_row / 2
            }
        };

        let width = cfg.width;
        buf.fill(0.0);
        let mut set = |r: usize, col: usize| buf[r * width + col] = 1.0;
        let blank = cfg.blank_columns();
        let mut previous_ma: Option<(usize, usize)> = None;
        for (j, c) in window.iter().enumerate() {
            let left = blank + j * COLUMNS_PER_CANDLE;
            let mid = left + 1;
            for r in row(c.high)..=row(c.low) {
                set(r, mid);
            }
            set(row(c.open), left);
            set(row(c.close), left + 2);

            if let Some(m) = ma(history + j) {
                let point = (row(m), mid);
                match previous_ma {
                    Some(from) => line(from, point, &mut set),
                    None => set(point.0, point.1),
                }
                previous_ma = Some(point);
            } else {
                previous_ma = None;
            }

            if cfg.volume_height > 0 && max_volume > 0.0 {
                let rows = cfg.volume_height;
                let bar = ((c.volume / max_volume) * rows as f64).round() as usize;
                for r in cfg.height - bar.min(rows)..cfg.height {
                    set(r, mid);
                }
            }
        }
        Ok(())
    }
}

/// Checks the candles a render reads; `history` leading ones only for their
/// close. Errors carry `offset + k`, the index in the caller's slice.
fn validate(view: &[Candle], history: usize, offset: usize) -> Result<(), ChartError> {
    for (k, c) in view.iter().enumerate() {
        let index = offset + k;
        let price = |field, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(ChartError::InvalidPrice { index, field, value })
            }
        };
        if k < history {
            price("close", c.close)?;
            continue;
        }
        price("open", c.open)?;
        price("high", c.high)?;
        price("low", c.low)?;
        price("close", c.close)?;
        if !(c.volume.is_finite() && c.volume >= 0.0) {
            return Err(ChartError::InvalidVolume { index, value: c.volume });
        }
        let outside = |field, value: f64| ChartError::InconsistentBar { index, field, value, low: c.low, high: c.high };
        if c.high < c.low {
            return Err(outside("low", c.low));
        }
        if !(c.low..=c.high).contains(&c.open) {
            return Err(outside("open", c.open));
        }
        if !(c.low..=c.high).contains(&c.close) {
            return Err(outside("close", c.close));
        }
    }
    Ok(())
}

/// Bresenham's line between two (row, column) points, both ends included:
/// joins consecutive moving-average points one pixel thick, like a plotted
/// line in the JKX images.
fn line(from: (usize, usize), to: (usize, usize), set: &mut impl FnMut(usize, usize)) {
    // Coordinates are at most MAX_SIDE, so isize arithmetic cannot overflow.
    let (mut r, mut c) = (from.0 as isize, from.1 as isize);
    let (r1, c1) = (to.0 as isize, to.1 as isize);
    let dc = (c1 - c).abs();
    let dr = -(r1 - r).abs();
    let sc = if c < c1 { 1 } else { -1 };
    let sr = if r < r1 { 1 } else { -1 };
    let mut err = dc + dr;
    loop {
        set(r as usize, c as usize);
        if r == r1 && c == c1 {
            break;
        }
        let e2 = 2 * err;
        if e2 >= dr {
            err += dr;
            c += sc;
        }
        if e2 <= dc {
            err += dc;
            r += sr;
        }
    }
}

/// One rendered chart: `height * width` values, row-major, top row first.
#[derive(Clone, PartialEq, Debug)]
pub struct ChartImage {
    height: usize,
    width: usize,
    pixels: Vec<f32>,
}

impl ChartImage {
    /// Wraps pixels (e.g. one image of a [`ChartDataset`](crate::ChartDataset))
    /// after checking the length.
    pub fn from_pixels(height: usize, width: usize, pixels: Vec<f32>) -> Result<Self, ChartError> {
        let expected = height.saturating_mul(width);
        if pixels.len() != expected {
            return Err(ChartError::BufferSize { expected, got: pixels.len() });
        }
        Ok(ChartImage { height, width, pixels })
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Row-major, top row first.
    pub fn pixels(&self) -> &[f32] {
        &self.pixels
    }

    pub fn pixels_mut(&mut self) -> &mut [f32] {
        &mut self.pixels
    }

    pub fn into_pixels(self) -> Vec<f32> {
        self.pixels
    }

    /// The pixel at `row` (0 = top) and `col` (0 = left).
    pub fn get(&self, row: usize, col: usize) -> Option<f32> {
        if row < self.height && col < self.width { self.pixels.get(row * self.width + col).copied() } else { None }
    }
}
