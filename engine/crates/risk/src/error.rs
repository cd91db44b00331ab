//! [`ConfigError`]: why a risk or sizing configuration was refused.
//!
//! A configuration is checked once, before a run starts, so a typo in a limit
//! stops the run with a message naming the TOML key instead of silently
//! trading with a nonsensical limit.

use core::fmt;

use thiserror::Error;

/// A configuration value outside its allowed range.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `field` (its TOML path, e.g. `risk.max_position`) holds `value`, which
    /// is not in `range`.
    #[error("{field}: {value} is not in {range}")]
    OutOfRange { field: &'static str, value: f64, range: Bounds },
    /// The run has more instruments than a [`SymbolId`](tradebot_core::SymbolId) can name.
    #[error("{count} symbols: at most {max} are supported")]
    TooManySymbols { count: usize, max: usize },
}

/// An interval of allowed values, shown in interval notation: `(0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: f64,
    pub max: f64,
    pub min_inclusive: bool,
    pub max_inclusive: bool,
}

impl Bounds {
    /// `(min, max]`: the shape of every fraction limit.
    pub(crate) const fn open_closed(min: f64, max: f64) -> Self {
        Bounds { min, max, min_inclusive: false, max_inclusive: true }
    }

    /// `(min, max)`.
    pub(crate) const fn open(min: f64, max: f64) -> Self {
        Bounds { min, max, min_inclusive: false, max_inclusive: false }
    }

    /// `[min, max]`.
    pub(crate) const fn closed(min: f64, max: f64) -> Self {
        Bounds { min, max, min_inclusive: true, max_inclusive: true }
    }

    /// `[min, max)`.
    pub(crate) const fn closed_open(min: f64, max: f64) -> Self {
        Bounds { min, max, min_inclusive: true, max_inclusive: false }
    }

    /// Whether `value` lies inside; NaN never does.
    pub fn contains(&self, value: f64) -> bool {
        let above = if self.min_inclusive { value >= self.min } else { value > self.min };
        let below = if self.max_inclusive { value <= self.max } else { value < self.max };
        above && below
    }

    /// `Ok` when `value` lies inside, else the error naming `field`.
    pub(crate) fn check(self, field: &'static str, value: f64) -> Result<(), ConfigError> {
        if self.contains(value) { Ok(()) } else { Err(ConfigError::OutOfRange { field, value, range: self }) }
    }
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let open = if self.min_inclusive { '[' } else { '(' };
        let close = if self.max_inclusive { ']' } else { ')' };
        write!(f, "{open}{}, {}{close}", self.min, self.max)
    }
}
