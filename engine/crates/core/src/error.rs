//! Typed errors for the core value types; callers add the "where" (file, line).

use thiserror::Error;

/// A decimal number could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecimalError {
    #[error("empty value")]
    Empty,
    #[error("'{0}' is not a finite number")]
    NotFinite(String),
    #[error("'{0}' is not a number")]
    Invalid(String),
    #[error("'{0}' has more significant digits than fit in 64 bits")]
    Overflow(String),
    #[error("'{0}' has more than {max} decimal places", max = crate::Scale::MAX_DECIMALS)]
    TooManyDecimals(String),
}

/// A timestamp could not be read or is out of the supported range.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TimeError {
    #[error("empty timestamp")]
    Empty,
    #[error("'{value}' is not a valid timestamp: {reason}")]
    Invalid { value: String, reason: String },
    #[error("'{0}' is outside the supported range (years 1678 to 2261)")]
    OutOfRange(String),
}

/// An interval name is not one tradebot knows.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IntervalError {
    #[error("unknown interval '{0}': expected one of 1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w 1M")]
    Unknown(String),
}

/// A symbol is empty, too long or uses characters tradebot does not accept.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SymbolError {
    #[error("empty symbol")]
    Empty,
    #[error("symbol '{0}' is longer than {max} bytes", max = crate::Symbol::MAX_LEN)]
    TooLong(String),
    #[error("symbol '{value}' contains '{ch}': allowed are ASCII letters, digits and _ - . / :")]
    BadChar { value: String, ch: char },
}
