//! [`Interval`]: the bar lengths tradebot supports and their time grid.
//!
//! Every candle's open time must sit on its interval's grid. Minute to day
//! intervals are fixed lengths aligned to the Unix epoch (so `1d` bars open at
//! midnight UTC); weeks open on Monday 00:00 UTC, as on the large crypto
//! venues; months open on the first day of the month at 00:00 UTC and are
//! calendar months, not a fixed number of seconds.

use std::fmt;
use std::str::FromStr;

use jiff::tz::Offset;

use crate::time::NANOS_PER_SEC;
use crate::{IntervalError, Timestamp};

/// A bar length.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
#[non_exhaustive]
pub enum Interval {
    M1,
    M3,
    M5,
    M15,
    M30,
    H1,
    H2,
    H4,
    H6,
    H12,
    D1,
    W1,
    Mo1,
}

const MIN: i64 = 60 * NANOS_PER_SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
const WEEK: i64 = 7 * DAY;
/// 1970-01-01 was a Thursday; the first Monday is four days later.
const WEEK_ANCHOR: i64 = 4 * DAY;

impl Interval {
    pub const ALL: [Interval; 13] = [
        Interval::M1,
        Interval::M3,
        Interval::M5,
        Interval::M15,
        Interval::M30,
        Interval::H1,
        Interval::H2,
        Interval::H4,
        Interval::H6,
        Interval::H12,
        Interval::D1,
        Interval::W1,
        Interval::Mo1,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Interval::M1 => "1m",
            Interval::M3 => "3m",
            Interval::M5 => "5m",
            Interval::M15 => "15m",
            Interval::M30 => "30m",
            Interval::H1 => "1h",
            Interval::H2 => "2h",
            Interval::H4 => "4h",
            Interval::H6 => "6h",
            Interval::H12 => "12h",
            Interval::D1 => "1d",
            Interval::W1 => "1w",
            Interval::Mo1 => "1M",
        }
    }

    /// A stable small integer used in file headers. Never renumber.
    pub const fn code(self) -> u8 {
        match self {
            Interval::M1 => 1,
            Interval::M3 => 2,
            Interval::M5 => 3,
            Interval::M15 => 4,
            Interval::M30 => 5,
            Interval::H1 => 6,
            Interval::H2 => 7,
            Interval::H4 => 8,
            Interval::H6 => 9,
            Interval::H12 => 10,
            Interval::D1 => 11,
            Interval::W1 => 12,
            Interval::Mo1 => 13,
        }
    }

    pub fn from_code(code: u8) -> Option<Interval> {
        Interval::ALL.into_iter().find(|i| i.code() == code)
    }

    /// A name safe on case-insensitive file systems (`1M` would collide with
    /// `1m` there).
    pub const fn file_slug(self) -> &'static str {
        match self {
            Interval::Mo1 => "1mo",
            other => other.as_str(),
        }
    }

    /// The length in nanoseconds, or `None` for calendar months.
    pub const fn fixed_nanos(self) -> Option<i64> {
        Some(match self {
            Interval::M1 => MIN,
            Interval::M3 => 3 * MIN,
            Interval::M5 => 5 * MIN,
            Interval::M15 => 15 * MIN,
            Interval::M30 => 30 * MIN,
            Interval::H1 => HOUR,
            Interval::H2 => 2 * HOUR,
            Interval::H4 => 4 * HOUR,
            Interval::H6 => 6 * HOUR,
            Interval::H12 => 12 * HOUR,
            Interval::D1 => DAY,
            Interval::W1 => WEEK,
            Interval::Mo1 => return None,
        })
    }

    /// The nominal length (a month counts as 30.436875 days), for
    /// annualisation and display, never for grid arithmetic.
    pub fn nominal_seconds(self) -> f64 {
        match self.fixed_nanos() {
            Some(n) => n as f64 / NANOS_PER_SEC as f64,
            None => 365.2425 / 12.0 * 86_400.0,
        }
    }

    fn anchor(self) -> i64 {
        if self == Interval::W1 { WEEK_ANCHOR } else { 0 }
    }

    /// `t - anchor` in i128: near `i64::MIN` the subtraction does not fit i64.
    fn offset(self, t: Timestamp) -> i128 {
        i128::from(t.as_nanos()) - i128::from(self.anchor())
    }

    /// Whether `t` is a bar open time of this interval.
    pub fn is_aligned(self, t: Timestamp) -> bool {
        match self.fixed_nanos() {
            Some(len) => self.offset(t).rem_euclid(i128::from(len)) == 0,
            None => {
                let dt = Offset::UTC.to_datetime(t.to_jiff());
                dt.day() == 1 && dt.time() == jiff::civil::Time::midnight()
            }
        }
    }

    /// The open time of the bar containing `t`.
    pub fn floor(self, t: Timestamp) -> Timestamp {
        match self.fixed_nanos() {
            Some(len) => {
                let n = self.offset(t);
                let floor = n - n.rem_euclid(i128::from(len)) + i128::from(self.anchor());
                // The floor of a representable instant can fall below i64::MIN
                // only for the first bar of the representable range.
                Timestamp::from_nanos(i64::try_from(floor).unwrap_or(i64::MIN))
            }
            None => {
                let dt = Offset::UTC.to_datetime(t.to_jiff());
                let first = jiff::civil::date(dt.year(), dt.month(), 1).to_datetime(jiff::civil::Time::midnight());
                Offset::UTC.to_timestamp(first).ok().and_then(Timestamp::from_jiff).unwrap_or(t)
            }
        }
    }

    /// The open time `n` bars after the aligned open time `t`, or `None` when
    /// it leaves the representable range.
    pub fn add(self, t: Timestamp, n: i64) -> Option<Timestamp> {
        match self.fixed_nanos() {
            Some(len) => t.checked_add_nanos(len.checked_mul(n)?),
            None => {
                let months = month_index(t).checked_add(n)?;
                let (y, m) = (months.div_euclid(12), months.rem_euclid(12) + 1);
                let y = i16::try_from(y).ok()?;
                let m = i8::try_from(m).ok()?;
                let date = jiff::civil::Date::new(y, m, 1).ok()?;
                let ts = Offset::UTC.to_timestamp(date.to_datetime(jiff::civil::Time::midnight())).ok()?;
                Timestamp::from_jiff(ts)
            }
        }
    }

    /// The number of bars from aligned `a` to aligned `b` (`b - a` in bars).
    pub fn bars_between(self, a: Timestamp, b: Timestamp) -> i64 {
        match self.fixed_nanos() {
            // i128: two instants more than ~292 years apart differ by more
            // nanoseconds than i64 holds; the bar count itself always fits.
            Some(len) => {
                let d = (i128::from(b.as_nanos()) - i128::from(a.as_nanos())).div_euclid(i128::from(len));
                i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
            }
            None => month_index(b) - month_index(a),
        }
    }
}

fn month_index(t: Timestamp) -> i64 {
    let dt = Offset::UTC.to_datetime(t.to_jiff());
    i64::from(dt.year()) * 12 + i64::from(dt.month()) - 1
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Interval {
    type Err = IntervalError;
    /// Exact names; `1M` (month) and `1m` (minute) differ only by case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Interval::ALL
            .into_iter()
            .find(|i| i.as_str() == s)
            .or_else(|| (s == "1mo").then_some(Interval::Mo1))
            .ok_or_else(|| IntervalError::Unknown(s.to_owned()))
    }
}

impl TryFrom<String> for Interval {
    type Error = IntervalError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Interval> for String {
    fn from(i: Interval) -> String {
        i.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn names_round_trip_and_codes_are_unique() {
        for i in Interval::ALL {
            assert_eq!(i.as_str().parse::<Interval>().unwrap(), i);
            assert_eq!(Interval::from_code(i.code()), Some(i));
            assert_eq!(i.file_slug().parse::<Interval>().unwrap(), i);
        }
        assert!("2m".parse::<Interval>().is_err());
    }

    #[test]
    fn grids() {
        assert!(Interval::M5.is_aligned(ts("2018-01-10T04:55:00Z")));
        assert!(!Interval::M5.is_aligned(ts("2018-01-10T04:56:00Z")));
        assert!(Interval::W1.is_aligned(ts("2024-01-01T00:00:00Z")), "2024-01-01 is a Monday");
        assert!(!Interval::W1.is_aligned(ts("2024-01-04T00:00:00Z")));
        assert!(Interval::Mo1.is_aligned(ts("2024-02-01T00:00:00Z")));
        assert!(!Interval::Mo1.is_aligned(ts("2024-02-02T00:00:00Z")));
        assert_eq!(Interval::Mo1.add(ts("2024-01-01T00:00:00Z"), 1), Some(ts("2024-02-01T00:00:00Z")));
        assert_eq!(Interval::Mo1.add(ts("2024-12-01T00:00:00Z"), 2), Some(ts("2025-02-01T00:00:00Z")));
        assert_eq!(Interval::Mo1.bars_between(ts("2023-11-01T00:00:00Z"), ts("2024-02-01T00:00:00Z")), 3);
        assert_eq!(Interval::W1.floor(ts("2024-01-04T13:00:00Z")), ts("2024-01-01T00:00:00Z"));
        assert_eq!(Interval::Mo1.floor(ts("2024-02-29T13:00:00Z")), ts("2024-02-01T00:00:00Z"));
        assert_eq!(Interval::H4.bars_between(ts("2024-01-01T00:00:00Z"), ts("2024-01-02T00:00:00Z")), 6);
    }

    /// Found by reading the code behind the fuzz target: `t - anchor`
    /// overflowed for weekly bars within 4 days of the earliest instant.
    #[test]
    fn regression_weekly_grid_near_the_earliest_instant_does_not_overflow() {
        let t = Timestamp::from_secs(-9_223_372_036).unwrap();
        assert!(!Interval::W1.is_aligned(t));
        assert!(Interval::W1.floor(t) <= t);
        assert!(!Interval::W1.is_aligned(Timestamp::MIN));
        assert!(Interval::M1.floor(Timestamp::MIN) <= Timestamp::MIN);
    }

    /// Found the same way: bars ~570 years apart overflowed `b - a`.
    #[test]
    fn regression_bars_between_far_apart_instants_does_not_overflow() {
        let (a, b) = (Timestamp::from_secs(-9_000_000_000).unwrap(), Timestamp::from_secs(9_000_000_000).unwrap());
        assert_eq!(Interval::M1.bars_between(a, b), 300_000_000);
        assert_eq!(Interval::M1.bars_between(b, a), -300_000_000);
        assert_eq!(Interval::M1.bars_between(Timestamp::MIN, Timestamp::MAX), 307_445_734);
    }
}
