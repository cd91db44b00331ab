//! Model cards: the JSON that travels with every `.onnx` file.
//!
//! A model is only as trustworthy as what is known about how it was made.
//! The card says which feature set (name, version, definition hash) and
//! columns the model reads, how its inputs are normalised, what its output
//! means, which data it was trained on and until when, and how it scored.
//! The engine checks the card against its own configuration before the model
//! runs, and the model file against the card's SHA-256, and refuses any
//! mismatch with the field and both values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tradebot_chart::ChartConfig;
use tradebot_core::Timestamp;
use tradebot_features::FeatureSetDef;
use tradebot_garch::RollingGarchConfig;

use crate::label::{CLASS_NAMES, LabelSpec};
use crate::{AgentError, Normaliser};

/// The card format this engine reads and writes.
pub const CARD_FORMAT: u32 = 1;

/// The seed's agents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    Trend,
    Volatility,
    Pattern,
    Regime,
    Sentiment,
}

impl AgentRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentRole::Trend => "trend",
            AgentRole::Volatility => "volatility",
            AgentRole::Pattern => "pattern",
            AgentRole::Regime => "regime",
            AgentRole::Sentiment => "sentiment",
        }
    }
}

/// How the feature window is laid out in the model's one input tensor.
/// Both window layouts are time-major, oldest bar first, the card's columns
/// in order within a bar; they differ only in shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum InputLayout {
    /// `[1, window * columns]` (an MLP).
    Flat,
    /// `[window, 1, columns]` (an LSTM: ONNX's time-major layout).
    Sequence,
    /// `[1, 1, height, width]`: a chart image of the last `window` candles (a CNN).
    Image { height: usize, width: usize },
}

impl InputLayout {
    pub fn shape(self, window: usize, columns: usize) -> Vec<usize> {
        match self {
            InputLayout::Flat => vec![1, window * columns],
            InputLayout::Sequence => vec![window, 1, columns],
            InputLayout::Image { height, width } => vec![1, 1, height, width],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSetRef {
    pub name: String,
    pub version: u32,
    pub hash: String,
}

impl FeatureSetRef {
    pub fn of(def: &FeatureSetDef) -> Self {
        FeatureSetRef { name: def.name.clone(), version: def.version, hash: def.definition_hash() }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    pub layout: InputLayout,
    /// Bars in the window.
    pub window: usize,
    /// Feature-set columns the model reads, in input order (none for an
    /// image model).
    pub columns: Vec<String>,
    pub normalisation: Normaliser,
    /// The chart geometry of an `image` layout (absent otherwise, so older
    /// cards read unchanged): pixels in [0, 1], not normalised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<ChartConfig>,
}

/// What the model's output means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Probabilities of down, neutral, up (softmax; `classes` names them).
    Direction,
    /// One value `c`, the log correction of a GARCH(1,1) variance forecast:
    /// the next bar's variance is `garch × exp(c)` (see [`VolatilitySpec`]).
    Volatility,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    pub kind: OutputKind,
    /// The direction classes; empty (and omitted) for a volatility model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    pub label: LabelSpec,
    /// How a volatility model's GARCH input is made and what it predicts;
    /// absent for a direction model (so older cards read unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volatility: Option<VolatilitySpec>,
}

/// The volatility agent's extra input and what its output estimates.
///
/// Input: the flat feature window (`input.columns`, `input.window`) followed
/// by one value, `garch_input` applied to `ln(v)` where `v` is the
/// [`RollingGarch`](tradebot_garch::RollingGarch) one-step variance forecast (percent², see
/// `tradebot-garch`) after the bar's close, made with `garch`'s schedule.
/// Output: one value `c`; the forecast variance of the next bar, in squared
/// log-return fractions, is `v / 100² × exp(c)` (the [`target`](Self::target)
/// it was trained to estimate under a QLIKE loss).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolatilitySpec {
    pub target: VolatilityTarget,
    pub garch: RollingGarchConfig,
    /// Z-score of `ln(v)` (one column), fitted on the fold's training samples.
    pub garch_input: Normaliser,
}

/// The realised variance proxy a volatility model is trained on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolatilityTarget {
    /// Parkinson's range variance of the next bar, `ln(high/low)² / (4 ln 2)`
    /// (Parkinson 1980): an unbiased estimate of a driftless Brownian bar's
    /// variance, several times less noisy than the squared return and, on
    /// these thin markets, far less often zero.
    NextBarParkinson,
}

/// What the model was trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingInfo {
    pub symbols: Vec<String>,
    pub interval: String,
    /// Walk-forward fold this model belongs to.
    pub fold: usize,
    /// Open time of the first bar any training sample's window used.
    pub first_bar: Timestamp,
    /// Close time of the last bar whose price any training or validation
    /// label used; replay uses the model only for decisions at or after it.
    pub trained_through: Timestamp,
    /// SHA-256 of the training data (every candle of every symbol, in order).
    pub data_sha256: String,
    pub seed: u64,
    pub train_samples: usize,
    pub validation_samples: usize,
    pub epochs: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    pub format: u32,
    pub name: String,
    pub version: String,
    pub role: AgentRole,
    /// Human description of the network, e.g. `lstm(hidden=32)`.
    pub architecture: String,
    /// The `.onnx` file, relative to the card's folder.
    pub model_file: String,
    /// `sha256:` + hex of the `.onnx` file's bytes.
    pub model_sha256: String,
    pub feature_set: FeatureSetRef,
    pub input: InputSpec,
    pub output: OutputSpec,
    pub training: TrainingInfo,
    /// Out-of-sample metrics of this fold's test block (see `tradebot evaluate`).
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    /// When the card was written (wall clock of the training run); the only
    /// field that differs between two runs of the same training.
    pub created: String,
}

/// What the engine's configuration requires of a model.
#[derive(Clone, Copy, Debug)]
pub struct CardExpectation<'a> {
    pub role: AgentRole,
    pub feature_set: &'a FeatureSetDef,
    /// The interval the model will see; `None` accepts any.
    pub interval: Option<&'a str>,
}

/// `sha256:` + lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

impl ModelCard {
    /// Reads a card; a syntax or schema error names the line and column.
    pub fn load(path: &Path) -> Result<ModelCard, AgentError> {
        let text = std::fs::read_to_string(path).map_err(|source| AgentError::Io { path: path.into(), source })?;
        serde_json::from_str(&text).map_err(|e| AgentError::CardSyntax {
            path: path.into(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    /// Writes the card next to nothing else: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The model file's path for a card read from `card_path`.
    pub fn model_path(&self, card_path: &Path) -> PathBuf {
        card_path.parent().unwrap_or(Path::new(".")).join(&self.model_file)
    }

    /// Checks the card's own consistency and that it fits `expect`; returns
    /// the indices of its columns in the feature set's output vector.
    pub fn check(&self, path: &Path, expect: &CardExpectation<'_>) -> Result<Vec<usize>, AgentError> {
        let mismatch = |field: &'static str, found: String, expected: String| AgentError::CardMismatch {
            path: path.into(),
            field,
            found,
            expected,
        };
        let invalid =
            |field: &'static str, reason: String| AgentError::CardInvalid { path: path.into(), field, reason };
        if self.format != CARD_FORMAT {
            return Err(mismatch("format", self.format.to_string(), format!("this engine reads format {CARD_FORMAT}")));
        }
        if self.role != expect.role {
            return Err(mismatch(
                "role",
                self.role.as_str().into(),
                format!("the configuration uses it as the {} agent", expect.role.as_str()),
            ));
        }
        let want = FeatureSetRef::of(expect.feature_set);
        if self.feature_set.name != want.name {
            return Err(mismatch(
                "feature_set.name",
                self.feature_set.name.clone(),
                format!("the configured feature set is {}", want.name),
            ));
        }
        if self.feature_set.version != want.version {
            return Err(mismatch(
                "feature_set.version",
                self.feature_set.version.to_string(),
                format!("the configured {} is version {}", want.name, want.version),
            ));
        }
        if self.feature_set.hash != want.hash {
            return Err(mismatch(
                "feature_set.hash",
                self.feature_set.hash.clone(),
                format!("the configured {} v{} hashes to {}", want.name, want.version, want.hash),
            ));
        }
        if let Some(interval) = expect.interval
            && self.training.interval != interval
        {
            return Err(mismatch(
                "training.interval",
                self.training.interval.clone(),
                format!("the configured data is {interval}"),
            ));
        }
        if self.input.window == 0 {
            return Err(invalid("input.window", "must be at least 1".into()));
        }
        match (self.input.layout, &self.input.chart) {
            (InputLayout::Image { height, width }, Some(chart)) => {
                chart.validate().map_err(|e| invalid("input.chart", e.to_string()))?;
                if (chart.height, chart.width) != (height, width) {
                    return Err(invalid(
                        "input.chart",
                        format!("a {}x{} chart for a {height}x{width} image input", chart.height, chart.width),
                    ));
                }
                if self.input.window != chart.candles {
                    return Err(invalid(
                        "input.window",
                        format!("{} bars, but the chart shows {} candles", self.input.window, chart.candles),
                    ));
                }
                if !self.input.columns.is_empty() {
                    return Err(invalid("input.columns", "an image model reads no feature columns".into()));
                }
                if self.input.normalisation != Normaliser::None {
                    return Err(invalid("input.normalisation", "an image model's pixels are not normalised".into()));
                }
            }
            (InputLayout::Image { .. }, None) => {
                return Err(invalid("input.chart", "an image model needs its chart geometry".into()));
            }
            (_, Some(_)) => return Err(invalid("input.chart", "only an image model has a chart".into())),
            (_, None) if self.input.columns.is_empty() => {
                return Err(invalid("input.columns", "lists no column".into()));
            }
            (_, None) => {}
        }
        let set_columns = expect.feature_set.columns();
        let mut indices = Vec::with_capacity(self.input.columns.len());
        for name in &self.input.columns {
            let Some(i) = set_columns.iter().position(|c| c == name) else {
                return Err(invalid(
                    "input.columns",
                    format!("`{name}` is not a column of feature set {} v{}", want.name, want.version),
                ));
            };
            indices.push(i);
        }
        self.input
            .normalisation
            .check(self.input.columns.len())
            .map_err(|reason| invalid("input.normalisation", reason))?;
        self.output.label.validate().map_err(|e| invalid("output.label", e.to_string()))?;
        match self.output.kind {
            OutputKind::Direction => {
                if self.output.classes != CLASS_NAMES {
                    return Err(mismatch(
                        "output.classes",
                        format!("{:?}", self.output.classes),
                        format!("a direction model outputs {CLASS_NAMES:?}"),
                    ));
                }
                if self.output.volatility.is_some() {
                    return Err(invalid("output.volatility", "a direction model has no volatility section".into()));
                }
            }
            OutputKind::Volatility => {
                if !self.output.classes.is_empty() {
                    return Err(invalid("output.classes", "a volatility model has no classes".into()));
                }
                let Some(vol) = &self.output.volatility else {
                    return Err(invalid("output.volatility", "a volatility model needs this section".into()));
                };
                vol.garch.validate().map_err(|e| invalid("output.volatility.garch", e.to_string()))?;
                vol.garch_input.check(1).map_err(|reason| invalid("output.volatility.garch_input", reason))?;
                if self.input.layout != InputLayout::Flat {
                    return Err(invalid("input.layout", "a volatility model reads a flat window".into()));
                }
            }
        }
        if (self.role == AgentRole::Volatility) != (self.output.kind == OutputKind::Volatility) {
            return Err(invalid(
                "output.kind",
                format!("role {} does not go with output kind {:?}", self.role.as_str(), self.output.kind),
            ));
        }
        Ok(indices)
    }
}
