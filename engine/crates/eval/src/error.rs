//! Why an evaluation can be refused.
//!
//! Every bad input gets a typed error naming where it is, so a metric is
//! never silently NaN and no input makes the crate panic.

/// Why a metric, baseline or test could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// An input series is empty.
    #[error("{what} is empty")]
    Empty {
        /// Which input.
        what: &'static str,
    },
    /// Two series that must be aligned sample by sample are not.
    #[error("{what}: lengths differ ({left} vs {right})")]
    LengthMismatch {
        /// Which pair of inputs.
        what: &'static str,
        /// Length of the first.
        left: usize,
        /// Length of the second.
        right: usize,
    },
    /// A value is NaN or infinite.
    #[error("{what}[{index}] is not finite ({value})")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// 0-based index of the first offending value.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A probability is NaN, negative or above 1.
    #[error("forecast {index}: probability of class {class} is {value}, not in [0, 1]")]
    InvalidProbability {
        /// 0-based sample index.
        index: usize,
        /// Class 0 (down), 1 (neutral) or 2 (up).
        class: usize,
        /// The offending value.
        value: f64,
    },
    /// A forecast's probabilities do not sum to 1 within [`PROB_SUM_TOLERANCE`](crate::PROB_SUM_TOLERANCE).
    #[error("forecast {index}: probabilities sum to {sum}, not 1")]
    ProbabilitySum {
        /// 0-based sample index.
        index: usize,
        /// The sum.
        sum: f64,
    },
    /// A label is not 0 (down), 1 (neutral) or 2 (up).
    #[error("label {index} is {value}, not 0, 1 or 2")]
    InvalidLabel {
        /// 0-based sample index.
        index: usize,
        /// The offending label.
        value: u8,
    },
    /// A variance (forecast or realised) is negative.
    #[error("{what}[{index}] is a negative variance ({value})")]
    NegativeVariance {
        /// Which input.
        what: &'static str,
        /// 0-based index.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A parameter is outside its domain.
    #[error("parameter {name} = {value} is invalid: {reason}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// Its value (as f64, also for counts).
        value: f64,
        /// The domain it must lie in.
        reason: &'static str,
    },
    /// Too few usable samples for the computation.
    #[error("{what} needs at least {min} samples, got {got}")]
    TooFewSamples {
        /// Which computation.
        what: &'static str,
        /// How many there were.
        got: usize,
        /// The minimum.
        min: usize,
    },
    /// A forecast index needs history before the start of the series.
    #[error("{what}: sample {index} needs history before the series starts (first allowed index {first})")]
    NotEnoughHistory {
        /// Which baseline.
        what: &'static str,
        /// The requested index.
        index: usize,
        /// The first index that can be forecast.
        first: usize,
    },
    /// A range reaches past the end of the series.
    #[error("{what}: range end {end} is past the series length {len}")]
    OutOfRange {
        /// Which input.
        what: &'static str,
        /// The range's end.
        end: usize,
        /// The series length.
        len: usize,
    },
    /// A class never occurs in the training labels, so a model cannot be fitted for it.
    #[error("class {class} never occurs in the training labels")]
    MissingClass {
        /// The absent class.
        class: usize,
    },
    /// The loss differential (or a regression design) has no variance: the
    /// test statistic would be 0/0 or infinite.
    #[error("{what} has zero (or negative) variance")]
    ZeroVariance {
        /// Which quantity.
        what: &'static str,
    },
    /// The optimiser failed or produced a non-finite fit.
    #[error("the optimiser failed: {0}")]
    Optimiser(String),
}
