//! The pattern agent's input: a chart image of the last candles.
//!
//! Why this module exists: a pattern model reads pixels, not feature
//! columns. [`ChartWindow`] keeps the last candles a render reads in a ring
//! and draws them with `tradebot-chart` — the renderer training uses through
//! `ChartDataset` — so the image served at a bar is the image trained on for
//! that bar (the renderer reads only the slice it is given, so both see bars
//! up to `t` only).

use std::collections::VecDeque;

use tradebot_chart::{ChartConfig, ChartError, ChartRenderer};
use tradebot_core::Candle;

/// The last [`ChartConfig::lookback`] candles of one instrument and the
/// renderer that draws them. Pushing and rendering allocate nothing.
#[derive(Clone, Debug)]
pub struct ChartWindow {
    renderer: ChartRenderer,
    candles: VecDeque<Candle>,
}

impl ChartWindow {
    /// # Errors
    ///
    /// An invalid chart geometry.
    pub fn new(config: ChartConfig) -> Result<Self, ChartError> {
        let renderer = ChartRenderer::new(config)?;
        let candles = VecDeque::with_capacity(renderer.lookback());
        Ok(ChartWindow { renderer, candles })
    }

    pub fn config(&self) -> &ChartConfig {
        self.renderer.config()
    }

    /// `height * width`.
    pub fn pixels(&self) -> usize {
        self.renderer.pixels()
    }

    pub fn push(&mut self, candle: &Candle) {
        if self.candles.len() == self.renderer.lookback() {
            self.candles.pop_front();
        }
        self.candles.push_back(*candle);
    }

    /// Whether an image can be drawn: the shown candles are all there (the
    /// moving average may still be warming up, as in training).
    pub fn ready(&self) -> bool {
        self.candles.len() >= self.renderer.candles()
    }

    /// Draws the image ending at the last pushed candle into `out`.
    ///
    /// # Errors
    ///
    /// Too few candles, a wrong buffer length, or a candle the renderer
    /// refuses (non-finite or non-positive prices, open or close outside
    /// the range, negative volume).
    pub fn write(&mut self, out: &mut [f32]) -> Result<(), ChartError> {
        self.renderer.render_into(self.candles.make_contiguous(), out)
    }

    pub fn reset(&mut self) {
        self.candles.clear();
    }
}
