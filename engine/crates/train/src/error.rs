//! Training errors: bad settings name the field and value.

use std::fmt::Display;

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TrainError {
    #[error("{field} = {value}: {reason}")]
    Config { field: &'static str, value: String, reason: &'static str },
    #[error("nothing to train on: {0} is empty")]
    Empty(&'static str),
    #[error("training diverged at epoch {epoch}: the validation loss is not finite (lower fit.learning_rate)")]
    Diverged { epoch: usize },
    #[error("tensor: {0}")]
    Tensor(#[from] candle_core::Error),
    #[error("ONNX export: {0}")]
    Onnx(#[from] tradebot_onnx::OnnxError),
    #[error("the trained network has no parameter `{0}`")]
    MissingParameter(String),
    #[error("a training thread panicked while holding the parameters")]
    Poisoned,
}

impl TrainError {
    pub(crate) fn config(field: &'static str, value: impl Display, reason: &'static str) -> Self {
        TrainError::Config { field, value: value.to_string(), reason }
    }
}
