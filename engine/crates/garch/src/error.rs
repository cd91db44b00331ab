//! Why a fit can fail.

/// Why [`fit`](crate::fit) could not fit a GARCH(1,1).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum GarchError {
    /// Too few returns to identify four parameters.
    #[error("GARCH(1,1) needs at least {min} returns, got {got}")]
    TooFewReturns {
        /// How many returns were given.
        got: usize,
        /// The minimum, [`MIN_RETURNS`](crate::MIN_RETURNS).
        min: usize,
    },
    /// A return is NaN or infinite (e.g. a zero close before it).
    #[error("return {index} is not finite ({value})")]
    NonFinite {
        /// 0-based index of the first offending return.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// All returns are equal: there is no variance to model.
    #[error("the returns have zero variance: nothing to fit")]
    ZeroVariance,
    /// A [`RollingGarchConfig`](crate::RollingGarchConfig) size is out of range.
    #[error("rolling GARCH: {field} = {value}: {reason}")]
    Config {
        /// The field.
        field: &'static str,
        /// Its value.
        value: usize,
        /// What it must be.
        reason: &'static str,
    },
    /// The optimiser failed from every starting point.
    #[error("the optimiser failed: {0}")]
    Optimiser(String),
}
