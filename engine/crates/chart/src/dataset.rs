//! [`ChartDataset`]: one image per bar of a history, in one contiguous
//! buffer, the layout a training loop hands to a CNN as an `[n, 1, h, w]`
//! tensor without copying.

use tradebot_core::Candle;

use crate::{ChartError, ChartRenderer};

/// Images for bars `first_bar()..first_bar() + len()` of a candle slice,
/// each `height * width` values (row-major, top row first), back to back.
#[derive(Clone, PartialEq, Debug)]
pub struct ChartDataset {
    height: usize,
    width: usize,
    first_bar: usize,
    len: usize,
    pixels: Vec<f32>,
}

impl ChartRenderer {
    /// Renders the image of every bar that has a full window, i.e. bar `t`
    /// for `t >= candles - 1`, each from `&candles[..=t]` exactly as
    /// [`render_into`](Self::render_into) (and so [`ChartStream`](crate::ChartStream))
    /// does: no image sees a later bar. Fewer than `candles` bars give an
    /// empty dataset. Fails on the first bad candle a render reads.
    pub fn render_all(&self, candles: &[Candle]) -> Result<ChartDataset, ChartError> {
        let first_bar = self.candles() - 1;
        let len = candles.len().saturating_sub(first_bar);
        let size = self.pixels();
        let too_large = || ChartError::DatasetTooLarge { images: len, pixels_per_image: size };
        let total = len.checked_mul(size).ok_or_else(too_large)?;
        let mut pixels = Vec::new();
        // A long history at a large size can exceed memory: an error, not an abort.
        pixels.try_reserve_exact(total).map_err(|_| too_large())?;
        pixels.resize(total, 0.0);
        for (k, buf) in pixels.chunks_exact_mut(size).enumerate() {
            self.render_into(&candles[..=first_bar + k], buf)?;
        }
        Ok(ChartDataset { height: self.height(), width: self.width(), first_bar, len, pixels })
    }
}

impl ChartDataset {
    pub fn height(&self) -> usize {
        self.height
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// Index of the bar the first image ends at (`candles - 1`).
    pub fn first_bar(&self) -> usize {
        self.first_bar
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `k`-th image (ending at bar `first_bar() + k`).
    pub fn image(&self, k: usize) -> Option<&[f32]> {
        let size = self.height * self.width;
        self.pixels.get(k.checked_mul(size)?..k.checked_add(1)?.checked_mul(size)?)
    }

    /// The image whose window ends at bar `bar`, if it has one.
    pub fn image_for_bar(&self, bar: usize) -> Option<&[f32]> {
        self.image(bar.checked_sub(self.first_bar)?)
    }

    /// All images, back to back.
    pub fn pixels(&self) -> &[f32] {
        &self.pixels
    }

    pub fn into_pixels(self) -> Vec<f32> {
        self.pixels
    }
}
