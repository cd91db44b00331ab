//! [`ChartStream`]: the live/replay path. Bars arrive one at a time; the
//! stream keeps exactly the candles a render reads in a fixed ring, so a
//! bar costs a copy and a render, and neither allocates.

use tradebot_core::Candle;

use crate::{ChartConfig, ChartError, ChartRenderer};

/// The last [`lookback`](ChartRenderer::lookback) candles and a renderer.
///
/// The ring is stored twice over (each candle is written at `i` and
/// `i + capacity`), so the held candles are always one contiguous slice and
/// the render is the very same [`ChartRenderer::render_into`] call the
/// dataset path makes: both give bit-identical images.
#[derive(Clone, Debug)]
pub struct ChartStream {
    renderer: ChartRenderer,
    ring: Vec<Candle>,
    /// Next slot to write, in `0..capacity`.
    head: usize,
    /// Candles held, at most `capacity`.
    len: usize,
}

impl ChartStream {
    pub fn new(config: ChartConfig) -> Result<Self, ChartError> {
        Ok(Self::from_renderer(ChartRenderer::new(config)?))
    }

    pub fn from_renderer(renderer: ChartRenderer) -> Self {
        let capacity = renderer.lookback();
        ChartStream { ring: vec![Candle::default(); 2 * capacity], renderer, head: 0, len: 0 }
    }

    pub fn renderer(&self) -> &ChartRenderer {
        &self.renderer
    }

    /// Adds the newest bar, dropping the oldest once the ring is full. Bars
    /// are checked when rendered, not here, so a bad bar makes every render
    /// fail until it has left the ring.
    pub fn push(&mut self, candle: Candle) {
        let capacity = self.renderer.lookback();
        self.ring[self.head] = candle;
        self.ring[self.head + capacity] = candle;
        self.head = (self.head + 1) % capacity;
        self.len = (self.len + 1).min(capacity);
    }

    /// The candles held, oldest first.
    pub fn candles(&self) -> &[Candle] {
        let capacity = self.renderer.lookback();
        &self.ring[self.head + capacity - self.len..self.head + capacity]
    }

    /// Candles held (at most the renderer's lookback).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether enough candles for an image have arrived.
    pub fn is_ready(&self) -> bool {
        self.len >= self.renderer.candles()
    }

    /// Forgets every candle (e.g. after a gap in the feed).
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Renders the window ending at the newest candle into `buf` (layout as
    /// [`ChartRenderer::render_into`]). `Ok(false)` while warming up (fewer
    /// than `candles` bars held), with `buf` set to black. Error indices
    /// count the held candles, 0 = oldest. Allocates nothing.
    pub fn render_into(&self, buf: &mut [f32]) -> Result<bool, ChartError> {
        if buf.len() != self.renderer.pixels() {
            return Err(ChartError::BufferSize { expected: self.renderer.pixels(), got: buf.len() });
        }
        if !self.is_ready() {
            buf.fill(0.0);
            return Ok(false);
        }
        self.renderer.render_into(self.candles(), buf)?;
        Ok(true)
    }
}
