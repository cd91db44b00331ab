//! [`ConfigError`]: why a metrics or calendar configuration was refused.
//!
//! Configuration comes from a user's TOML file, so a bad value is an
//! expected input error that names the field and the value, never a panic.

/// A configuration value outside its allowed range.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `field` holds `value`, which is not in `range` (written in interval
    /// notation, e.g. `(0, inf)`).
    #[error("{field}: {value} is not in {range}")]
    OutOfRange { field: &'static str, value: f64, range: &'static str },
}

/// `Ok` when `value` is finite and `low < value < high` (an infinite bound
/// leaves that side open).
pub(crate) fn check_open(
    field: &'static str,
    value: f64,
    low: f64,
    high: f64,
    range: &'static str,
) -> Result<(), ConfigError> {
    if value.is_finite() && value > low && value < high {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange { field, value, range })
    }
}
