//! The agent layer of tradebot: what a learned model is, what it may read,
//! and when it may be used.
//!
//! - [`ModelCard`]: the JSON card every `.onnx` model carries; checked
//!   against the engine's configuration before the model runs.
//! - [`LabelSpec`]: the three-class next-candle label with a volatility band.
//! - [`WalkForwardConfig`] / [`Fold`]: walk-forward folds with purge and embargo.
//! - [`DirectionSamples`]: training samples built by the serving code
//!   ([`FeatureWindow`], [`Normaliser`]), so training and serving cannot skew.
//! - [`OnnxDirectionAgent`]: serves any ONNX direction model obeying its card.
//! - [`OnnxVolatilityAgent`] / [`VolatilitySamples`]: the volatility agent
//!   (a GARCH(1,1) forecast from [`RollingGarch`](tradebot_garch::RollingGarch)
//!   corrected by a network), served and trained through the same code.
//! - [`ModelSchedule`]: at each bar, only models trained before it.
//!
//! Training itself (candle) lives in `tradebot-train`; evaluation in
//! `tradebot-eval`.

mod agent;
mod card;
mod chart_input;
mod dataset;
mod error;
mod folds;
mod label;
mod schedule;
mod volatility;
mod window;

pub use agent::{DirectionForecast, OnnxDirectionAgent};
pub use card::{
    AgentRole, CARD_FORMAT, CardExpectation, FeatureSetRef, InputLayout, InputSpec, ModelCard, OutputKind, OutputSpec,
    TrainingInfo, VolatilitySpec, VolatilityTarget, sha256_hex,
};
pub use chart_input::ChartWindow;
pub use dataset::{DirectionSamples, SampleRef, SeriesData, TimeAxis, data_hash};
pub use error::AgentError;
pub use folds::{Fold, FoldScheme, WalkForwardConfig};
pub use label::{CLASS_NAMES, DOWN, LabelSpec, NEUTRAL, UP};
pub use schedule::ModelSchedule;
pub use volatility::{
    OnnxVolatilityAgent, PERCENT2_TO_FRACTION2, RANGE_PER_SIGMA, VolatilityForecast, VolatilitySample,
    VolatilitySamples, parkinson_variance, write_input,
};
pub use window::{FeatureWindow, Normaliser};
