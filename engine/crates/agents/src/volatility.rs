//! The volatility agent: GARCH(1,1) plus a small network correcting it.
//!
//! Why this module exists: a GARCH(1,1) forecast is the classic, hard to
//! beat, variance forecast, but it sees only returns. The volatility agent
//! keeps it as the anchor and lets a small network, reading the agents'
//! feature window, learn a multiplicative correction: the next bar's
//! variance is `garch × exp(c)`. Training samples ([`VolatilitySamples`])
//! and served inputs ([`OnnxVolatilityAgent`]) are built by the same code —
//! the same [`RollingGarch`] schedule, [`FeatureWindow`] and
//! [`write_input`] — so there is no training/serving skew, and the GARCH
//! input at a bar only ever uses returns up to that bar.
//!
//! Units: the GARCH works on percent returns (variance in percent²); the
//! agent's outputs are in log-return fractions (`sigma = 0.004` is 0.4 %
//! per bar). The expected high–low range uses Parkinson (1980), "The
//! Extreme Value Method for Estimating the Variance of the Rate of Return",
//! *Journal of Business* 53(1): for a driftless Brownian log price with
//! variance `sigma²` over the bar, `E[ln(H/L)] = sqrt(8/pi) × sigma` and
//! `E[ln(H/L)²] = 4 ln 2 × sigma²`. Real bars are sampled from discrete
//! trades, which shortens their ranges, so the formula is an upper-biased
//! guide; `tradebot evaluate` reports how it compares with the ranges seen.

use std::ops::Range;
use std::path::{Path, PathBuf};

use tradebot_core::Timestamp;
use tradebot_garch::{RollingGarch, RollingGarchConfig};
use tradebot_onnx::OnnxRunner;

use crate::AgentError;
use crate::card::{CardExpectation, InputLayout, ModelCard, OutputKind, VolatilitySpec, sha256_hex};
use crate::dataset::{DirectionSamples, SampleRef, SeriesData, TimeAxis};
use crate::window::{FeatureWindow, Normaliser};

/// `sqrt(8 / pi)`: Parkinson's expected log range per unit of sigma.
pub const RANGE_PER_SIGMA: f64 = 1.595_769_121_605_730_7;

/// Percent² to fraction²: the GARCH's units to the agent's.
pub const PERCENT2_TO_FRACTION2: f64 = 1e-4;

/// Parkinson's variance of one bar, `ln(high/low)² / (4 ln 2)`, in squared
/// log-return fractions; `None` for prices that are not finite and positive
/// or `high < low`.
#[must_use]
pub fn parkinson_variance(high: f64, low: f64) -> Option<f64> {
    let ok = high.is_finite() && low.is_finite() && low > 0.0 && high >= low;
    ok.then(|| {
        let range = (high / low).ln();
        range * range / (4.0 * std::f64::consts::LN_2)
    })
}

/// The model input of a volatility agent: the window (oldest bar first),
/// then `garch_input` applied to `ln(garch_variance)` (percent²). The one
/// function training and serving both call. `out.len()` must be
/// `window.input_len() + 1`.
pub fn write_input(window: &FeatureWindow, garch_input: &Normaliser, garch_variance: f64, out: &mut [f32]) {
    let n = window.input_len();
    window.write(&mut out[..n]);
    out[n] = garch_input.apply(0, garch_variance.ln());
}

/// One training sample: bar `t`'s window and GARCH forecast, and the
/// realised Parkinson variance of bar `t + 1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VolatilitySample {
    /// Where it comes from (`label` is unused, 0).
    pub at: SampleRef,
    /// The [`RollingGarch`] variance forecast (percent²) after bar `t`.
    pub garch_variance: f64,
    /// Parkinson variance of bar `t + 1` (fraction²).
    pub realised: f64,
}

/// Every usable volatility sample of a set of series, in (time, series)
/// order: the window is complete, the GARCH has a forecast and the next bar
/// has a valid range.
#[derive(Clone, Debug)]
pub struct VolatilitySamples {
    pub samples: Vec<VolatilitySample>,
    pub columns: Vec<usize>,
    pub window: usize,
    pub garch: RollingGarchConfig,
}

impl VolatilitySamples {
    /// Runs a [`RollingGarch`] over each series' closes, bar by bar as
    /// serving does, and collects the samples.
    ///
    /// # Errors
    ///
    /// A zero window, an invalid GARCH schedule, or a series whose feature
    /// rows do not match its candles.
    pub fn collect(
        series: &[SeriesData<'_>],
        axis: &TimeAxis,
        columns: &[usize],
        window: usize,
        garch: RollingGarchConfig,
    ) -> Result<Self, AgentError> {
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
            let mut g = RollingGarch::new(garch).map_err(|e| AgentError::config("garch", e, "invalid schedule"))?;
            let mut w = FeatureWindow::new(columns.to_vec(), window);
            for (t, (candle, row)) in data.candles.iter().zip(data.features).enumerate() {
                g.push_close(candle.close);
                w.push(row, &Normaliser::None);
                let (Some(v), Some(next)) = (g.forecast_variance(), data.candles.get(t + 1)) else { continue };
                let (true, Some(realised), Some(time)) =
                    (w.ready(), parkinson_variance(next.high, next.low), axis.index_of(candle.open_time))
                else {
                    continue;
                };
                samples.push(VolatilitySample {
                    at: SampleRef { series: s as u32, bar: t as u32, time: time as u32, label: 0 },
                    garch_variance: v,
                    realised,
                });
            }
        }
        samples.sort_by_key(|x| (x.at.time, x.at.series));
        Ok(Self { samples, columns: columns.to_vec(), window, garch })
    }

    /// The samples whose time lies in `range`.
    #[must_use]
    pub fn in_time(&self, range: &Range<usize>) -> &[VolatilitySample] {
        let lo = self.samples.partition_point(|x| (x.at.time as usize) < range.start);
        let hi = self.samples.partition_point(|x| (x.at.time as usize) < range.end);
        &self.samples[lo..hi]
    }

    fn windows(&self, samples: &[VolatilitySample]) -> DirectionSamples {
        DirectionSamples {
            samples: samples.iter().map(|x| x.at).collect(),
            columns: self.columns.clone(),
            window: self.window,
        }
    }

    /// Z-score normalisers of the feature columns (each bar once, as for
    /// direction models) and of `ln(garch variance)`, on `samples` only.
    #[must_use]
    pub fn fit_normalisers(
        &self,
        series: &[SeriesData<'_>],
        samples: &[VolatilitySample],
        clip: f64,
    ) -> (Normaliser, Normaliser) {
        let windows = self.windows(samples);
        let features = windows.fit_normaliser(series, &windows.samples, clip);
        let logs: Vec<[f64; 1]> = samples.iter().map(|x| [x.garch_variance.ln()]).collect();
        let garch = Normaliser::fit_zscore(1, logs.iter().map(|v| v.as_slice()), clip);
        (features, garch)
    }

    /// Values in one input: the window and the GARCH value.
    #[must_use]
    pub fn input_len(&self) -> usize {
        self.window * self.columns.len() + 1
    }

    /// Model inputs of `samples`, one after the other, through
    /// [`write_input`].
    #[must_use]
    pub fn inputs(
        &self,
        series: &[SeriesData<'_>],
        samples: &[VolatilitySample],
        norm: &Normaliser,
        garch_input: &Normaliser,
    ) -> Vec<f32> {
        let mut w = FeatureWindow::new(self.columns.clone(), self.window);
        let len = self.input_len();
        let mut out = vec![0.0f32; samples.len() * len];
        for (x, chunk) in samples.iter().zip(out.chunks_exact_mut(len)) {
            let t = x.at.bar as usize;
            w.reset();
            for row in &series[x.at.series as usize].features[t + 1 - self.window..=t] {
                w.push(row, norm);
            }
            write_input(&w, garch_input, x.garch_variance, chunk);
        }
        out
    }

    /// `realised / garch` per sample, both in fraction²: what `exp(c)`
    /// should estimate.
    #[must_use]
    pub fn ratios(samples: &[VolatilitySample]) -> Vec<f32> {
        samples.iter().map(|x| (x.realised / (x.garch_variance * PERCENT2_TO_FRACTION2)) as f32).collect()
    }
}

/// What the volatility agent says about the next candle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VolatilityForecast {
    /// Variance of the next bar's log return (fraction²).
    pub variance: f64,
    /// `sqrt(variance)`: sigma of the next bar's log return (fraction).
    pub sigma: f64,
    /// The GARCH(1,1) sigma the model corrected (fraction).
    pub garch_sigma: f64,
    /// The model's output `c`: `variance = garch_variance × exp(c)`.
    pub log_correction: f32,
    /// Expected `ln(high/low)` of the next bar, `sqrt(8/pi) × sigma`
    /// (Parkinson; see the module docs).
    pub expected_log_range: f64,
}

impl VolatilityForecast {
    /// From the GARCH variance (percent²) and the model output `c`.
    #[must_use]
    pub fn new(garch_variance: f64, log_correction: f32) -> Self {
        let garch = garch_variance * PERCENT2_TO_FRACTION2;
        let variance = garch * f64::from(log_correction).exp();
        let sigma = variance.sqrt();
        VolatilityForecast {
            variance,
            sigma,
            garch_sigma: garch.sqrt(),
            log_correction,
            expected_log_range: RANGE_PER_SIGMA * sigma,
        }
    }

    /// Expected `high − low` in price units around `price` (e.g. the last
    /// close): `price × (exp(expected_log_range) − 1)`, first order in the
    /// range, which is a fraction of a percent on a 5-minute bar.
    #[must_use]
    pub fn expected_range(&self, price: f64) -> f64 {
        price * self.expected_log_range.exp_m1()
    }
}

/// A loaded, checked ONNX volatility model with its feature window.
///
/// It does not own the GARCH: every fold's model of one market reads the
/// same [`RollingGarch`] forecast, so a caller keeps one per market, built
/// with [`new_garch`](Self::new_garch), and per closed bar pushes the close
/// into it and then the feature row and its forecast into every model
/// (see [`push`](Self::push)).
#[derive(Debug)]
pub struct OnnxVolatilityAgent {
    card: ModelCard,
    card_path: PathBuf,
    spec: VolatilitySpec,
    runner: OnnxRunner,
    window: FeatureWindow,
    garch_variance: Option<f64>,
    input: Vec<f32>,
}

impl OnnxVolatilityAgent {
    /// Loads the card at `card_path`, checks it against `expect` (whose role
    /// must be volatility) and the model file against the card's hash, and
    /// loads the model with tract.
    ///
    /// # Errors
    ///
    /// Any card mismatch, a model file that is missing, altered or not one
    /// input of the card's size and one output value.
    pub fn load(card_path: &Path, expect: &CardExpectation<'_>) -> Result<Self, AgentError> {
        let card = ModelCard::load(card_path)?;
        let columns = card.check(card_path, expect)?;
        let invalid =
            |field: &'static str, reason: String| AgentError::CardInvalid { path: card_path.into(), field, reason };
        let spec = match (&card.output.kind, &card.output.volatility) {
            (OutputKind::Volatility, Some(spec)) => spec.clone(),
            _ => return Err(invalid("output.kind", "a volatility agent serves volatility models only".into())),
        };
        let model_path = card.model_path(card_path);
        let bytes = std::fs::read(&model_path).map_err(|source| AgentError::Io { path: model_path.clone(), source })?;
        let found = sha256_hex(&bytes);
        if found != card.model_sha256 {
            return Err(AgentError::CardMismatch {
                path: card_path.into(),
                field: "model_sha256",
                found: card.model_sha256.clone(),
                expected: format!("{} hashes to {found}", model_path.display()),
            });
        }
        let window = FeatureWindow::new(columns, card.input.window);
        let shape = vec![1, window.input_len() + 1];
        debug_assert_eq!(card.input.layout, InputLayout::Flat, "checked by ModelCard::check");
        let mut runner = OnnxRunner::from_bytes(&bytes, &shape)
            .map_err(|source| AgentError::Onnx { path: model_path.clone(), source })?;
        if runner.output_shape().iter().product::<usize>() != 1 {
            return Err(invalid(
                "output",
                format!("the model's output has shape {:?}; a volatility model outputs 1 value", runner.output_shape()),
            ));
        }
        runner.set_carry_state(false);
        let input = vec![0.0; window.input_len() + 1];
        Ok(OnnxVolatilityAgent { card, card_path: card_path.into(), spec, runner, window, garch_variance: None, input })
    }

    /// A second server of the same model for another instrument: it shares
    /// the optimised plan (no reload, no re-check) and starts with an empty
    /// window and no GARCH value.
    ///
    /// # Errors
    ///
    /// tract failing to make a fresh state for the plan.
    pub fn fork(&self) -> Result<Self, AgentError> {
        let runner = self
            .runner
            .fork()
            .map_err(|source| AgentError::Onnx { path: self.card.model_path(&self.card_path), source })?;
        let mut window = self.window.clone();
        window.reset();
        Ok(OnnxVolatilityAgent {
            card: self.card.clone(),
            card_path: self.card_path.clone(),
            spec: self.spec.clone(),
            runner,
            window,
            garch_variance: None,
            input: vec![0.0; self.input.len()],
        })
    }

    pub fn card(&self) -> &ModelCard {
        &self.card
    }

    pub fn card_path(&self) -> &Path {
        &self.card_path
    }

    /// Close time of the last bar the model's training saw.
    pub fn trained_through(&self) -> Timestamp {
        self.card.training.trained_through
    }

    /// The GARCH schedule the model was trained with.
    pub fn garch_config(&self) -> RollingGarchConfig {
        self.spec.garch
    }

    /// A fresh [`RollingGarch`] with the card's schedule, for one market.
    ///
    /// # Errors
    ///
    /// Never for a card that loaded (its schedule was validated); typed for
    /// safety.
    pub fn new_garch(&self) -> Result<RollingGarch, AgentError> {
        RollingGarch::new(self.spec.garch).map_err(|e| AgentError::config("garch", e, "invalid schedule"))
    }

    /// Feeds a closed bar: its full feature vector (the feature set's
    /// order) and the market's [`RollingGarch::forecast_variance`] *after*
    /// that bar's close was pushed into it (`None` while it warms up).
    pub fn push(&mut self, row: &[f64], garch_variance: Option<f64>) {
        self.window.push(row, &self.card.input.normalisation);
        self.garch_variance = garch_variance.filter(|v| v.is_finite() && *v > 0.0);
    }

    /// Whether a forecast can be made: a full window and a GARCH forecast.
    pub fn ready(&self) -> bool {
        self.window.ready() && self.garch_variance.is_some()
    }

    /// The next bar's variance, sigma and expected range; `None` while
    /// warming up.
    ///
    /// # Errors
    ///
    /// tract failing, or a non-finite model output.
    pub fn forecast(&mut self) -> Result<Option<VolatilityForecast>, AgentError> {
        let Some(v) = self.garch_variance.filter(|_| self.window.ready()) else { return Ok(None) };
        write_input(&self.window, &self.spec.garch_input, v, &mut self.input);
        let out =
            self.runner.run(&self.input).map_err(|source| AgentError::Onnx { path: self.card_path.clone(), source })?;
        let c = out[0];
        let forecast = VolatilityForecast::new(v, c);
        if !(c.is_finite() && forecast.variance.is_finite() && forecast.variance > 0.0) {
            return Err(AgentError::CardInvalid {
                path: self.card_path.clone(),
                field: "output",
                reason: format!("the model returned {c}, not a finite log correction"),
            });
        }
        Ok(Some(forecast))
    }

    /// Forgets the window and the GARCH value (after a gap in the data).
    pub fn reset(&mut self) {
        self.window.reset();
        self.garch_variance = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parkinson_is_the_squared_log_range_over_4_ln_2() {
        let v = parkinson_variance(101.0, 100.0).unwrap();
        assert!((v - (1.01f64.ln().powi(2) / (4.0 * 2f64.ln()))).abs() < 1e-18);
        assert_eq!(parkinson_variance(1.0, 1.0), Some(0.0));
        assert_eq!(parkinson_variance(1.0, 2.0), None, "high below low");
        assert_eq!(parkinson_variance(1.0, 0.0), None);
    }

    #[test]
    fn a_forecast_converts_percent_squared_and_applies_the_correction() {
        // GARCH variance 0.25 %² = sigma 0.5 % = 0.005; c = ln 4 doubles sigma.
        let f = VolatilityForecast::new(0.25, 4f32.ln());
        assert!((f.garch_sigma - 0.005).abs() < 1e-15);
        assert!((f.sigma - 0.010).abs() < 1e-8);
        assert!((f.expected_log_range - (8.0 / std::f64::consts::PI).sqrt() * f.sigma).abs() < 1e-15);
        assert!((f.expected_range(200.0) - 200.0 * f.expected_log_range.exp_m1()).abs() < 1e-12);
    }

    #[test]
    fn the_input_is_the_window_then_the_normalised_garch_log_variance() {
        let mut w = FeatureWindow::new(vec![0], 2);
        w.push(&[1.0], &Normaliser::None);
        w.push(&[2.0], &Normaliser::None);
        let g = Normaliser::Zscore { mean: vec![0.0], std: vec![2.0], clip: 5.0 };
        let mut out = [0.0f32; 3];
        write_input(&w, &g, 1f64.exp().powi(4), &mut out);
        assert_eq!(out, [1.0, 2.0, 2.0]);
    }
}
