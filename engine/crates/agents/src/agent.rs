//! The agent contract and the ONNX direction agent.
//!
//! An agent reads each closed bar (its candle and feature vector) and, once
//! its window is full, returns probabilities for down / neutral / up and a
//! confidence. [`OnnxDirectionAgent`] serves any ONNX model that obeys its
//! card: one f32 input in the card's layout — a feature window, or for a
//! pattern model a chart image of the last candles ([`ChartWindow`]) — and
//! one output of three probabilities. Nothing is
//! allocated per bar: the window, the input buffer and tract's state are made
//! when the model is loaded.

use std::path::{Path, PathBuf};

use tradebot_core::{Candle, Timestamp};
use tradebot_onnx::OnnxRunner;

use crate::AgentError;
use crate::card::{CardExpectation, InputLayout, ModelCard, sha256_hex};
use crate::chart_input::ChartWindow;
use crate::window::FeatureWindow;

/// Where a model's input comes from.
#[derive(Clone, Debug)]
enum Source {
    Features(FeatureWindow),
    Chart(ChartWindow),
}

/// What a direction agent says about the next candle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DirectionForecast {
    /// Down, neutral, up; they sum to 1.
    pub probs: [f32; 3],
    /// The largest probability: how sure the agent is of its own call.
    pub confidence: f32,
}

impl DirectionForecast {
    pub fn from_probs(probs: [f32; 3]) -> Self {
        let confidence = probs.iter().copied().fold(0.0f32, f32::max);
        DirectionForecast { probs, confidence }
    }
}

/// A loaded, checked ONNX direction model with its window.
#[derive(Debug)]
pub struct OnnxDirectionAgent {
    card: ModelCard,
    card_path: PathBuf,
    runner: OnnxRunner,
    source: Source,
    input: Vec<f32>,
}

impl OnnxDirectionAgent {
    /// Loads the card at `card_path`, checks it against `expect`, checks the
    /// model file's hash against the card, and loads the model with tract.
    pub fn load(card_path: &Path, expect: &CardExpectation<'_>) -> Result<Self, AgentError> {
        let card = ModelCard::load(card_path)?;
        let columns = card.check(card_path, expect)?;
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
        let shape = card.input.layout.shape(card.input.window, columns.len());
        let mut runner = OnnxRunner::from_bytes(&bytes, &shape)
            .map_err(|source| AgentError::Onnx { path: model_path.clone(), source })?;
        if runner.output_shape().iter().product::<usize>() != 3 {
            return Err(AgentError::CardInvalid {
                path: card_path.into(),
                field: "output",
                reason: format!(
                    "the model's output has shape {:?}; a direction model outputs 3 values",
                    runner.output_shape()
                ),
            });
        }
        // Every call sees a whole window: no hidden state may leak between bars.
        runner.set_carry_state(false);
        let (source, len) = match (card.input.layout, card.input.chart) {
            (InputLayout::Image { .. }, Some(chart)) => {
                let window = ChartWindow::new(chart).map_err(|e| AgentError::CardInvalid {
                    path: card_path.into(),
                    field: "input.chart",
                    reason: e.to_string(),
                })?;
                let len = window.pixels();
                (Source::Chart(window), len)
            }
            _ => {
                let window = FeatureWindow::new(columns, card.input.window);
                let len = window.input_len();
                (Source::Features(window), len)
            }
        };
        Ok(OnnxDirectionAgent { card, card_path: card_path.into(), runner, source, input: vec![0.0; len] })
    }

    /// The same model with an empty window, for another instrument; the
    /// optimised plan is shared, not rebuilt.
    pub fn fork(&self) -> Result<Self, AgentError> {
        let runner = self
            .runner
            .fork()
            .map_err(|source| AgentError::Onnx { path: self.card.model_path(&self.card_path), source })?;
        let mut source = self.source.clone();
        match &mut source {
            Source::Features(w) => w.reset(),
            Source::Chart(w) => w.reset(),
        }
        Ok(OnnxDirectionAgent {
            card: self.card.clone(),
            card_path: self.card_path.clone(),
            runner,
            source,
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

    /// Feeds a closed bar: its candle and its full feature vector (the
    /// feature set's order); each model reads what its card says.
    pub fn push(&mut self, candle: &Candle, row: &[f64]) {
        match &mut self.source {
            Source::Features(w) => w.push(row, &self.card.input.normalisation),
            Source::Chart(w) => w.push(candle),
        }
    }

    pub fn ready(&self) -> bool {
        match &self.source {
            Source::Features(w) => w.ready(),
            Source::Chart(w) => w.ready(),
        }
    }

    /// Runs the model on the current window; `None` while it is warming up.
    ///
    /// # Errors
    ///
    /// tract failing, an output that is not three probabilities, or a
    /// candle the chart renderer refuses.
    pub fn forecast(&mut self) -> Result<Option<DirectionForecast>, AgentError> {
        if !self.ready() {
            return Ok(None);
        }
        match &mut self.source {
            Source::Features(w) => w.write(&mut self.input),
            Source::Chart(w) => w.write(&mut self.input).map_err(|e| AgentError::CardInvalid {
                path: self.card_path.clone(),
                field: "input.chart",
                reason: format!("the chart of the last candles cannot be drawn: {e}"),
            })?,
        }
        let out =
            self.runner.run(&self.input).map_err(|source| AgentError::Onnx { path: self.card_path.clone(), source })?;
        let probs = [out[0], out[1], out[2]];
        let sum: f32 = probs.iter().sum();
        if !(probs.iter().all(|p| p.is_finite() && *p >= 0.0) && (sum - 1.0).abs() < 1e-3) {
            return Err(AgentError::CardInvalid {
                path: self.card_path.clone(),
                field: "output",
                reason: format!("the model returned {probs:?}, not three probabilities"),
            });
        }
        Ok(Some(DirectionForecast::from_probs(probs)))
    }

    /// Forgets the window (after a gap in the data).
    pub fn reset(&mut self) {
        match &mut self.source {
            Source::Features(w) => w.reset(),
            Source::Chart(w) => w.reset(),
        }
    }
}
