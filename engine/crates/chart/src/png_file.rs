//! PNG output, for people: look at what the CNN sees while debugging, or put
//! a chart in a README. Not on any hot path.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use crate::{ChartError, ChartImage};

/// Writes `image` as an 8-bit grayscale PNG at its own resolution: 0.0 ->
/// black, 1.0 -> white, values in between scaled, out-of-range clamped, NaN
/// black.
pub fn write_png(path: impl AsRef<Path>, image: &ChartImage) -> Result<(), ChartError> {
    let path = path.as_ref();
    let fail = |source: Box<dyn std::error::Error + Send + Sync>| ChartError::Png { path: path.to_owned(), source };
    let (Ok(width), Ok(height)) = (u32::try_from(image.width()), u32::try_from(image.height())) else {
        return Err(fail("image too large for PNG".into()));
    };
    let gray: Vec<u8> = image.pixels().iter().map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect();
    let file = File::create(path).map_err(|e| fail(e.into()))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| fail(e.into()))?;
    writer.write_image_data(&gray).map_err(|e| fail(e.into()))?;
    writer.finish().map_err(|e| fail(e.into()))
}
