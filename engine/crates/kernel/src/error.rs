//! Errors of building or running the kernel.

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KernelError {
    #[error("{key}: {value} is invalid; expected {expected}")]
    Config { key: &'static str, value: String, expected: &'static str },
    #[error("{0}")]
    Invalid(String),
    #[error("the strategy and risk engine need {requested} features; at most {max} fit in an event")]
    TooManyFeatures { requested: usize, max: usize },
    #[error("the run has no data")]
    NoData,
    #[error("plugin: {0}")]
    Plugin(String),
    #[error("a pipeline lane stopped unexpectedly: {0}")]
    LaneFailed(String),
}
