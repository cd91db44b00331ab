//! The feature window an agent reads, built by the same code in training and
//! serving, so a model never sees inputs prepared two different ways.
//!
//! [`Normaliser::apply`] maps a raw feature value to the model's input value;
//! [`FeatureWindow`] keeps the last `window` normalised rows of the selected
//! columns in a ring and writes them oldest-first into an input buffer. The
//! trainer builds every training sample through a `FeatureWindow` too.

use serde::{Deserialize, Serialize};

/// Input normalisation, fitted on a fold's training rows only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Normaliser {
    /// Values pass through (cast to f32).
    None,
    /// `clamp((x - mean) / std, -clip, clip)` per column.
    Zscore { mean: Vec<f64>, std: Vec<f64>, clip: f64 },
}

impl Normaliser {
    /// Z-score statistics of `rows` (each row the selected columns, in order;
    /// non-finite values are skipped). A column that never varies gets
    /// `std = 1` so it maps to 0 rather than dividing by zero.
    pub fn fit_zscore<'a>(columns: usize, rows: impl Iterator<Item = &'a [f64]>, clip: f64) -> Normaliser {
        let mut n = vec![0u64; columns];
        let mut mean = vec![0.0; columns];
        let mut m2 = vec![0.0; columns];
        for row in rows {
            for (c, &x) in row.iter().enumerate().take(columns) {
                if !x.is_finite() {
                    continue;
                }
                // Welford: the rows number in the hundreds of thousands and
                // some features sit far from zero (prices, volumes).
                n[c] += 1;
                let d = x - mean[c];
                mean[c] += d / n[c] as f64;
                m2[c] += d * (x - mean[c]);
            }
        }
        let std = (0..columns)
            .map(|c| {
                let s = if n[c] > 1 { (m2[c] / (n[c] - 1) as f64).sqrt() } else { 0.0 };
                if s.is_finite() && s > 1e-12 { s } else { 1.0 }
            })
            .collect();
        Normaliser::Zscore { mean, std, clip }
    }

    /// Checks sizes and values; the error is a sentence for a card error.
    pub fn check(&self, columns: usize) -> Result<(), String> {
        match self {
            Normaliser::None => Ok(()),
            Normaliser::Zscore { mean, std, clip } => {
                if mean.len() != columns || std.len() != columns {
                    return Err(format!("mean has {} and std {} values for {columns} columns", mean.len(), std.len()));
                }
                if let Some((i, m)) = mean.iter().enumerate().find(|(_, m)| !m.is_finite()) {
                    return Err(format!("mean[{i}] = {m} is not finite"));
                }
                if let Some((i, s)) = std.iter().enumerate().find(|(_, s)| !(s.is_finite() && **s > 0.0)) {
                    return Err(format!("std[{i}] = {s} must be finite and > 0"));
                }
                if !(clip.is_finite() && *clip > 0.0) {
                    return Err(format!("clip = {clip} must be finite and > 0"));
                }
                Ok(())
            }
        }
    }

    /// The model input for raw value `x` of selected column `c`.
    #[inline]
    pub fn apply(&self, c: usize, x: f64) -> f32 {
        match self {
            Normaliser::None => x as f32,
            Normaliser::Zscore { mean, std, clip } => ((x - mean[c]) / std[c]).clamp(-*clip, *clip) as f32,
        }
    }
}

/// The last `window` rows of the selected columns, normalised.
#[derive(Clone, Debug)]
pub struct FeatureWindow {
    columns: Vec<usize>,
    window: usize,
    ring: Vec<f32>,
    /// Slot the next row goes to.
    next: usize,
    /// Consecutive valid rows seen, capped at `window`.
    filled: usize,
}

impl FeatureWindow {
    /// `columns` are indices into the rows that will be pushed.
    pub fn new(columns: Vec<usize>, window: usize) -> Self {
        let width = columns.len();
        FeatureWindow { columns, window, ring: vec![0.0; window * width], next: 0, filled: 0 }
    }

    pub fn width(&self) -> usize {
        self.columns.len()
    }

    pub fn window(&self) -> usize {
        self.window
    }

    /// Values in one input: `window * width`.
    pub fn input_len(&self) -> usize {
        self.ring.len()
    }

    /// Adds a bar's feature row. A row with a missing (non-finite) selected
    /// value restarts the window: a model never sees a hole filled in.
    pub fn push(&mut self, row: &[f64], norm: &Normaliser) {
        let width = self.columns.len();
        let base = self.next * width;
        for (k, &c) in self.columns.iter().enumerate() {
            let x = row.get(c).copied().unwrap_or(f64::NAN);
            if !x.is_finite() {
                self.filled = 0;
                return;
            }
            self.ring[base + k] = norm.apply(k, x);
        }
        self.next = (self.next + 1) % self.window;
        self.filled = (self.filled + 1).min(self.window);
    }

    /// Whether the last `window` rows were all valid.
    pub fn ready(&self) -> bool {
        self.filled == self.window
    }

    pub fn reset(&mut self) {
        self.filled = 0;
        self.next = 0;
    }

    /// Writes the window oldest row first; `out.len()` must be [`Self::input_len`].
    pub fn write(&self, out: &mut [f32]) {
        let width = self.columns.len();
        // After a full cycle `next` is the oldest slot.
        let split = self.next * width;
        let (newer, older) = self.ring.split_at(split);
        let (a, b) = out.split_at_mut(older.len());
        a.copy_from_slice(older);
        b.copy_from_slice(newer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_written_oldest_first_and_a_hole_restarts_it() {
        let mut w = FeatureWindow::new(vec![1], 3);
        let norm = Normaliser::None;
        let mut out = [0.0f32; 3];
        for x in 1..=2 {
            w.push(&[0.0, x as f64], &norm);
        }
        assert!(!w.ready());
        for x in 3..=5 {
            w.push(&[0.0, x as f64], &norm);
        }
        assert!(w.ready());
        w.write(&mut out);
        assert_eq!(out, [3.0, 4.0, 5.0]);
        w.push(&[0.0, f64::NAN], &norm);
        assert!(!w.ready(), "a missing value must not be silently filled");
    }

    #[test]
    fn zscore_maps_the_training_mean_to_zero_and_clips_outliers() {
        let rows: Vec<Vec<f64>> = vec![vec![1.0, 5.0], vec![3.0, 5.0], vec![f64::NAN, 5.0]];
        let n = Normaliser::fit_zscore(2, rows.iter().map(Vec::as_slice), 3.0);
        assert_eq!(n.apply(0, 2.0), 0.0);
        assert_eq!(n.apply(0, 1000.0), 3.0);
        assert_eq!(n.apply(1, 5.0), 0.0, "a constant column maps to 0");
        assert!(n.check(2).is_ok());
    }
}
