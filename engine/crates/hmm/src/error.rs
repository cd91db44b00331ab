use thiserror::Error;

/// Why a model could not be fitted or evaluated.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum HmmError {
    /// A model needs at least one hidden state.
    #[error("a hidden Markov model needs at least one state")]
    NoStates,
    /// Too few observations to fit the requested number of states.
    #[error("too few observations: {got}, need at least {need}")]
    TooFewObservations { got: usize, need: usize },
    /// An observation is NaN or infinite (for example a log return of a zero close).
    #[error("observation {index} is not finite ({value})")]
    NonFinite { index: usize, value: f64 },
    /// The model's parameters are inconsistent (shapes, probabilities, variances).
    #[error("invalid model: {0}")]
    InvalidModel(String),
    /// The fit options are unusable (no starts, negative tolerance...).
    #[error("invalid fit options: {0}")]
    InvalidOptions(&'static str),
    /// The observations have zero probability under the model (numerically).
    #[error("the observations are impossible under the model")]
    ZeroLikelihood,
    /// Every start ended at a zero-probability (or non-finite) likelihood.
    #[error("no start reached a finite log-likelihood")]
    NoFiniteStart,
}
