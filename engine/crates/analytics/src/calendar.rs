//! [`Calendar`] and [`periods_per_year`]: how many bars make a year, which
//! every annualised metric (return, volatility, Sharpe, Sortino) scales by.
//!
//! Crypto venues trade around the clock, so a year is 365 days of 24 hours;
//! equity venues trade `trading_days` sessions of `session_hours` a year, so
//! an hour bar there is worth far less of a year than on a crypto venue.

use serde::{Deserialize, Serialize};
use tradebot_core::Interval;

use crate::ConfigError;

const SECONDS_PER_DAY: f64 = 86_400.0;
const CRYPTO_DAYS_PER_YEAR: f64 = 365.0;
const WEEKS_PER_YEAR: f64 = 52.0;
const MONTHS_PER_YEAR: f64 = 12.0;

/// When the market trades, for annualisation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Calendar {
    /// 24/7 trading: 365 days a year, 24 hours a day.
    #[default]
    Crypto,
    /// Sessions of `session_hours` on `trading_days` days a year.
    Equities {
        /// Default 252 (the NYSE's usual count).
        #[serde(default = "default_trading_days")]
        trading_days: u32,
        /// Default 6.5 (09:30–16:00).
        #[serde(default = "default_session_hours")]
        session_hours: f64,
    },
}

fn default_trading_days() -> u32 {
    252
}

fn default_session_hours() -> f64 {
    6.5
}

impl Calendar {
    /// The equities calendar with its defaults (252 days of 6.5 hours).
    pub fn equities() -> Self {
        Calendar::Equities { trading_days: default_trading_days(), session_hours: default_session_hours() }
    }

    /// Checks `trading_days` in [1, 366] and `session_hours` in (0, 24].
    pub fn validate(&self) -> Result<(), ConfigError> {
        match *self {
            Calendar::Crypto => Ok(()),
            Calendar::Equities { trading_days, session_hours } => {
                if !(1..=366).contains(&trading_days) {
                    return Err(ConfigError::OutOfRange {
                        field: "calendar.trading_days",
                        value: f64::from(trading_days),
                        range: "[1, 366]",
                    });
                }
                if session_hours > 0.0 && session_hours <= 24.0 {
                    Ok(())
                } else {
                    Err(ConfigError::OutOfRange {
                        field: "calendar.session_hours",
                        value: session_hours,
                        range: "(0, 24]",
                    })
                }
            }
        }
    }
}

/// How many bars of `interval` make one year on `calendar`:
///
/// | calendar | interval | periods per year |
/// |---|---|---|
/// | crypto | `1m` … `1d` | 365 × 86 400 / interval seconds (`1d` = 365, `1h` = 8 760, `5m` = 105 120) |
/// | crypto | `1w` | 365 / 7 ≈ 52.14 (the same formula: weeks of a 365-day year) |
/// | crypto | `1M` | 12 |
/// | equities | `1m` … `12h` | trading_days × session_hours × 3 600 / interval seconds (`1h` = 252 × 6.5 = 1 638) |
/// | equities | `1d` | trading_days (252) |
/// | equities | `1w` | 52 |
/// | equities | `1M` | 12 |
///
/// Intraday equities bars use the nominal session length, so an interval
/// that does not divide the session (`4h` in a 6.5-hour session) gets the
/// fractional count 409.5 rather than the two bars a session actually
/// holds; the nominal figure keeps annualised volatility comparable across
/// intervals. An interval added to `tradebot-core` later falls back to its
/// nominal length: intraday formula below one day, else a 365.2425-day year.
pub fn periods_per_year(interval: Interval, calendar: &Calendar) -> f64 {
    let seconds = interval.nominal_seconds();
    match (*calendar, interval) {
        (_, Interval::Mo1) => MONTHS_PER_YEAR,
        (Calendar::Crypto, _) => CRYPTO_DAYS_PER_YEAR * SECONDS_PER_DAY / seconds,
        (Calendar::Equities { .. }, Interval::W1) => WEEKS_PER_YEAR,
        (Calendar::Equities { trading_days, .. }, Interval::D1) => f64::from(trading_days),
        (Calendar::Equities { trading_days, session_hours }, _) if seconds < SECONDS_PER_DAY => {
            f64::from(trading_days) * session_hours * 3_600.0 / seconds
        }
        (Calendar::Equities { .. }, _) => 365.2425 * SECONDS_PER_DAY / seconds,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]
    use super::*;

    #[test]
    fn periods_per_year_table() {
        let crypto = Calendar::Crypto;
        let eq = Calendar::equities();
        let cases = [
            (Interval::M1, &crypto, 525_600.0),
            (Interval::M5, &crypto, 105_120.0),
            (Interval::M15, &crypto, 35_040.0),
            (Interval::H1, &crypto, 8_760.0),
            (Interval::H4, &crypto, 2_190.0),
            (Interval::D1, &crypto, 365.0),
            (Interval::W1, &crypto, 365.0 / 7.0),
            (Interval::Mo1, &crypto, 12.0),
            (Interval::M1, &eq, 252.0 * 390.0),
            (Interval::M5, &eq, 252.0 * 78.0),
            (Interval::M30, &eq, 252.0 * 13.0),
            (Interval::H1, &eq, 1_638.0),
            (Interval::H4, &eq, 409.5),
            (Interval::D1, &eq, 252.0),
            (Interval::W1, &eq, 52.0),
            (Interval::Mo1, &eq, 12.0),
        ];
        for (interval, calendar, want) in cases {
            let got = periods_per_year(interval, calendar);
            assert!((got - want).abs() <= 1e-9 * want, "{interval} on {calendar:?}: {got} != {want}");
        }
    }

    #[test]
    fn equities_daily_bars_follow_the_configured_trading_days() {
        let cal = Calendar::Equities { trading_days: 250, session_hours: 8.0 };
        assert_eq!(periods_per_year(Interval::D1, &cal), 250.0);
        assert_eq!(periods_per_year(Interval::H1, &cal), 2_000.0);
    }

    #[test]
    fn calendar_reads_a_tagged_table_and_fills_missing_fields_with_defaults() {
        let c: Calendar = serde_json::from_str(r#"{"kind":"equities","trading_days":250}"#).unwrap();
        assert_eq!(c, Calendar::Equities { trading_days: 250, session_hours: 6.5 });
        let c: Calendar = serde_json::from_str(r#"{"kind":"crypto"}"#).unwrap();
        assert_eq!(c, Calendar::Crypto);
        assert!(serde_json::from_str::<Calendar>(r#"{"kind":"equities","session_hour":7}"#).is_err());
        assert!(serde_json::from_str::<Calendar>(r#"{"kind":"forex"}"#).is_err());
        let text = serde_json::to_string(&Calendar::equities()).unwrap();
        assert_eq!(text, r#"{"kind":"equities","trading_days":252,"session_hours":6.5}"#);
    }

    #[test]
    fn calendar_validation_names_the_field_and_value() {
        assert!(Calendar::equities().validate().is_ok());
        assert!(Calendar::Equities { trading_days: 252, session_hours: 24.0 }.validate().is_ok());
        let e = Calendar::Equities { trading_days: 0, session_hours: 6.5 }.validate().unwrap_err();
        assert_eq!(e.to_string(), "calendar.trading_days: 0 is not in [1, 366]");
        let e = Calendar::Equities { trading_days: 252, session_hours: 25.0 }.validate().unwrap_err();
        assert_eq!(e.to_string(), "calendar.session_hours: 25 is not in (0, 24]");
        assert!(Calendar::Equities { trading_days: 252, session_hours: f64::NAN }.validate().is_err());
    }
}
