//! The config string a plugin receives in `init`: JSON, as the bundled
//! plugins read it. An empty string means "all defaults".

use serde::de::DeserializeOwned;

/// Parses `text` as JSON into `T`; an empty or blank string gives
/// `T::default()`. The error names the line, column and problem, so the
/// engine can show the user where their config is wrong.
pub fn parse<T: DeserializeOwned + Default>(text: &str) -> Result<T, String> {
    if text.trim().is_empty() {
        return Ok(T::default());
    }
    serde_json::from_str(text).map_err(|e| format!("config line {} column {}: {e}", e.line(), e.column()))
}

/// `Err` naming `field` unless `value` is finite and within `[lo, hi]`.
pub fn check_range(field: &str, value: f64, lo: f64, hi: f64) -> Result<(), String> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(())
    } else {
        Err(format!("{field}: {value} is not in [{lo}, {hi}]"))
    }
}
