//! Training samples for direction agents, built with the serving code.
//!
//! Several symbols on one clock are pooled: every bar has a position on a
//! shared time axis (the sorted union of open times), and walk-forward folds
//! cut that axis, so a fold's training data ends at the same instant for
//! every symbol. A sample is a bar `t` whose label is defined and whose
//! window of `window` feature rows ending at `t` is complete.

use std::ops::Range;

use tradebot_core::{Candle, Timestamp};

use crate::label::LabelSpec;
use crate::window::{FeatureWindow, Normaliser};
use crate::{AgentError, card::sha256_hex};

/// One symbol's candles and its feature matrix (one row per candle).
#[derive(Clone, Copy, Debug)]
pub struct SeriesData<'a> {
    pub symbol: &'a str,
    pub candles: &'a [Candle],
    pub features: &'a [Vec<f64>],
}

/// The shared time axis of several series.
#[derive(Clone, Debug)]
pub struct TimeAxis {
    times: Vec<Timestamp>,
}

impl TimeAxis {
    pub fn new(series: &[SeriesData<'_>]) -> Self {
        let mut times: Vec<Timestamp> = series.iter().flat_map(|s| s.candles.iter().map(|c| c.open_time)).collect();
        times.sort_unstable();
        times.dedup();
        TimeAxis { times }
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    pub fn index_of(&self, t: Timestamp) -> Option<usize> {
        self.times.binary_search(&t).ok()
    }

    pub fn time(&self, index: usize) -> Option<Timestamp> {
        self.times.get(index).copied()
    }
}

/// Where each sample comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleRef {
    pub series: u32,
    pub bar: u32,
    /// Position of the bar on the [`TimeAxis`].
    pub time: u32,
    pub label: u8,
}

/// Every usable sample of a set of series, in (time, series) order.
#[derive(Clone, Debug)]
pub struct DirectionSamples {
    pub samples: Vec<SampleRef>,
    pub columns: Vec<usize>,
    pub window: usize,
}

impl DirectionSamples {
    /// Collects the samples: label defined and the window complete.
    pub fn collect(
        series: &[SeriesData<'_>],
        axis: &TimeAxis,
        columns: &[usize],
        window: usize,
        label: &LabelSpec,
    ) -> Result<Self, AgentError> {
        label.validate()?;
        if window == 0 {
            return Err(AgentError::config("window", 0, "must be at least 1"));
        }
        let mut samples = Vec::new();
        for (s, data) in series.iter().enumerate() {
            if data.features.len() != data.candles.len() {
                return Err(AgentError::config(
                    "features",
                    format!("{} rows for {} candles of {}", data.features.len(), data.candles.len(), data.symbol),
                    "one feature row per candle",
                ));
            }
            let closes: Vec<f64> = data.candles.iter().map(|c| c.close).collect();
            let labels = label.direction_labels(&closes);
            // Validity only: the normaliser does not change which rows are complete.
            let mut w = FeatureWindow::new(columns.to_vec(), window);
            for (t, row) in data.features.iter().enumerate() {
                w.push(row, &Normaliser::None);
                if let (true, Some(y)) = (w.ready(), labels[t])
                    && let Some(time) = axis.index_of(data.candles[t].open_time)
                {
                    samples.push(SampleRef { series: s as u32, bar: t as u32, time: time as u32, label: y });
                }
            }
        }
        samples.sort_by_key(|r| (r.time, r.series));
        Ok(DirectionSamples { samples, columns: columns.to_vec(), window })
    }

    /// The samples whose time lies in `range`.
    pub fn in_time(&self, range: &Range<usize>) -> &[SampleRef] {
        let lo = self.samples.partition_point(|r| (r.time as usize) < range.start);
        let hi = self.samples.partition_point(|r| (r.time as usize) < range.end);
        &self.samples[lo..hi]
    }

    /// Fits a z-score normaliser on the feature rows the given samples read
    /// (each bar once per series, however many windows contain it).
    pub fn fit_normaliser(&self, series: &[SeriesData<'_>], samples: &[SampleRef], clip: f64) -> Normaliser {
        let mut used: Vec<Vec<bool>> = series.iter().map(|s| vec![false; s.features.len()]).collect();
        for r in samples {
            let t = r.bar as usize;
            for flag in &mut used[r.series as usize][t + 1 - self.window..=t] {
                *flag = true;
            }
        }
        let mut rows = Vec::new();
        for (s, data) in series.iter().enumerate() {
            for (t, row) in data.features.iter().enumerate() {
                if used[s][t] {
                    rows.push(self.columns.iter().map(|&c| row[c]).collect::<Vec<f64>>());
                }
            }
        }
        Normaliser::fit_zscore(self.columns.len(), rows.iter().map(Vec::as_slice), clip)
    }

    /// Model inputs of `samples`, one after the other, built by pushing each
    /// window through a [`FeatureWindow`] exactly as serving does.
    pub fn inputs(&self, series: &[SeriesData<'_>], samples: &[SampleRef], norm: &Normaliser) -> Vec<f32> {
        let mut w = FeatureWindow::new(self.columns.clone(), self.window);
        let len = w.input_len();
        let mut out = vec![0.0f32; samples.len() * len];
        for (r, chunk) in samples.iter().zip(out.chunks_exact_mut(len)) {
            let t = r.bar as usize;
            w.reset();
            for row in &series[r.series as usize].features[t + 1 - self.window..=t] {
                w.push(row, norm);
            }
            w.write(chunk);
        }
        out
    }

    pub fn labels(samples: &[SampleRef]) -> Vec<u8> {
        samples.iter().map(|r| r.label).collect()
    }
}

/// SHA-256 over every candle with open time at or before `through`, series by
/// series: the card's `data_sha256`. Later data does not change it.
pub fn data_hash(series: &[SeriesData<'_>], through: Timestamp) -> String {
    let mut bytes = Vec::new();
    for s in series {
        bytes.extend_from_slice(s.symbol.as_bytes());
        bytes.push(0);
        for c in s.candles.iter().take_while(|c| c.open_time <= through) {
            bytes.extend_from_slice(&c.open_time.as_nanos().to_le_bytes());
            for v in [c.open, c.high, c.low, c.close, c.volume] {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    sha256_hex(&bytes)
}
