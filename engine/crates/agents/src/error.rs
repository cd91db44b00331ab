//! One error type for the agent layer: every variant names the file, field
//! or value that was wrong, because a model refused at start-up must say why.

use std::fmt::Display;
use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AgentError {
    #[error("{field} = {value}: {reason}")]
    Config { field: &'static str, value: String, reason: &'static str },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A card that is not valid JSON or not a card; serde_json's message
    /// carries the line and column.
    #[error("{path}:{line}:{column}: {message}")]
    CardSyntax { path: PathBuf, line: usize, column: usize, message: String },
    /// A card that parses but does not fit the configuration it is used in.
    #[error("model card {path}: {field} is {found} but {expected}")]
    CardMismatch { path: PathBuf, field: &'static str, found: String, expected: String },
    /// A card whose own fields contradict each other or the model file.
    #[error("model card {path}: {field}: {reason}")]
    CardInvalid { path: PathBuf, field: &'static str, reason: String },
    #[error("model {path}: {source}")]
    Onnx {
        path: PathBuf,
        #[source]
        source: tradebot_onnx::OnnxError,
    },
    #[error("walk-forward: {0}")]
    Folds(String),
    #[error("feature set: {0}")]
    Features(#[from] tradebot_features::FeatureSetError),
}

impl AgentError {
    pub(crate) fn config(field: &'static str, value: impl Display, reason: &'static str) -> Self {
        AgentError::Config { field, value: value.to_string(), reason }
    }
}
