//! [`Timestamp`]: an instant in UTC as integer nanoseconds since the Unix epoch.
//!
//! Integer time keeps ordering, hashing and arithmetic exact and makes replay
//! byte-for-byte deterministic; nanoseconds match what exchange feeds send.
//! The engine never reads the wall clock from here: time comes from the
//! engine's clock (replay clock or wall clock), which produces `Timestamp`s.

use std::fmt;
use std::str::FromStr;

use jiff::fmt::temporal::{Pieces, PiecesOffset};
use jiff::tz::Offset;

use crate::TimeError;

/// An instant, UTC, nanoseconds since 1970-01-01T00:00:00Z.
///
/// Serialises as its RFC 3339 text (`"2018-01-10T04:55:00Z"`), which is what
/// reports and configs show people.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

pub(crate) const NANOS_PER_SEC: i64 = 1_000_000_000;
const NANOS_PER_MILLI: i64 = 1_000_000;
/// Epoch values at or above this magnitude are read as milliseconds: 1e11
/// seconds is the year 5138, while 1e11 milliseconds is March 1973.
const EPOCH_MILLIS_THRESHOLD: i64 = 100_000_000_000;
/// Beyond this many milliseconds (year ~5138 in ms) the value is neither
/// seconds nor milliseconds of any plausible market date.
const EPOCH_MILLIS_LIMIT: i64 = 100_000_000_000_000;

impl Timestamp {
    pub const MIN: Timestamp = Timestamp(i64::MIN);
    pub const MAX: Timestamp = Timestamp(i64::MAX);

    #[inline]
    pub const fn from_nanos(nanos: i64) -> Self {
        Timestamp(nanos)
    }

    #[inline]
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Milliseconds, or `None` if out of the representable range.
    pub const fn from_millis(millis: i64) -> Option<Self> {
        match millis.checked_mul(NANOS_PER_MILLI) {
            Some(n) => Some(Timestamp(n)),
            None => None,
        }
    }

    pub const fn from_secs(secs: i64) -> Option<Self> {
        match secs.checked_mul(NANOS_PER_SEC) {
            Some(n) => Some(Timestamp(n)),
            None => None,
        }
    }

    /// Whole milliseconds since the epoch (floor).
    pub const fn as_millis(self) -> i64 {
        self.0.div_euclid(NANOS_PER_MILLI)
    }

    pub const fn checked_add_nanos(self, nanos: i64) -> Option<Self> {
        match self.0.checked_add(nanos) {
            Some(n) => Some(Timestamp(n)),
            None => None,
        }
    }

    /// Parses the timestamp forms tradebot accepts in data files:
    ///
    /// * ISO-8601 / RFC 3339 date-times, `T` or space separated, with an
    ///   optional fraction and an optional `Z` or numeric offset; the offset is
    ///   applied to get UTC and a missing offset means UTC;
    /// * a bare date (`2024-01-31`), meaning midnight UTC;
    /// * an integer count of seconds or milliseconds since the epoch (values of
    ///   1e11 and more are milliseconds).
    pub fn parse(text: &str) -> Result<Self, TimeError> {
        let s = text.trim();
        if s.is_empty() {
            return Err(TimeError::Empty);
        }
        if s.bytes().all(|b| b.is_ascii_digit())
            || (s.starts_with('-') && s.len() > 1 && s[1..].bytes().all(|b| b.is_ascii_digit()))
        {
            return Self::parse_epoch(s);
        }
        Self::parse_iso(s)
    }

    fn parse_epoch(s: &str) -> Result<Self, TimeError> {
        let v: i64 = s.parse().map_err(|_| TimeError::OutOfRange(s.to_owned()))?;
        let ts = if v.unsigned_abs() >= EPOCH_MILLIS_LIMIT as u64 {
            None
        } else if v.unsigned_abs() >= EPOCH_MILLIS_THRESHOLD as u64 {
            Self::from_millis(v)
        } else {
            Self::from_secs(v)
        };
        ts.ok_or_else(|| TimeError::OutOfRange(s.to_owned()))
    }

    fn parse_iso(s: &str) -> Result<Self, TimeError> {
        if let Some(t) = parse_canonical_utc(s.as_bytes()) {
            return Ok(t);
        }
        let invalid = |reason: String| TimeError::Invalid { value: s.to_owned(), reason };
        let pieces = Pieces::parse(s).map_err(|e| invalid(e.to_string()))?;
        if pieces.time_zone_annotation().is_some() {
            return Err(invalid("time zone annotations are not accepted; use a numeric offset".into()));
        }
        let dt = pieces.date().to_datetime(pieces.time().unwrap_or_default());
        let offset = match pieces.offset() {
            None | Some(PiecesOffset::Zulu) => Offset::UTC,
            Some(PiecesOffset::Numeric(n)) => n.offset(),
            Some(_) => return Err(invalid("unsupported offset".into())),
        };
        let ts = offset.to_timestamp(dt).map_err(|e| invalid(e.to_string()))?;
        let nanos = ts.as_nanosecond();
        i64::try_from(nanos).map(Timestamp).map_err(|_| TimeError::OutOfRange(s.to_owned()))
    }

    /// The jiff instant, for calendar arithmetic.
    pub(crate) fn to_jiff(self) -> jiff::Timestamp {
        // Every i64 nanosecond count is inside jiff's supported range
        // (years -9999..=9999), so this cannot fail.
        jiff::Timestamp::from_nanosecond(i128::from(self.0)).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    pub(crate) fn from_jiff(ts: jiff::Timestamp) -> Option<Self> {
        i64::try_from(ts.as_nanosecond()).ok().map(Timestamp)
    }
}

/// Fast path for the one form nearly every data file uses,
/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (or with a space), so import keeps up
/// with millions of rows per second; anything else, and anything this does
/// not fully validate, goes to jiff's complete parser. A property test checks
/// both agree.
fn parse_canonical_utc(b: &[u8]) -> Option<Timestamp> {
    if b.len() < 20 || b[b.len() - 1] != b'Z' || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if b[10] != b'T' && b[10] != b' ' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |a, &c| c.is_ascii_digit().then(|| a * 10 + i64::from(c - b'0')))
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_len = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&mo) || d < 1 || d > month_len[(mo - 1) as usize] || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let mut nanos = 0i64;
    let rest = &b[19..b.len() - 1];
    if !rest.is_empty() {
        let frac = rest.strip_prefix(b".")?;
        if frac.is_empty() || frac.len() > 9 || !frac.iter().all(u8::is_ascii_digit) {
            return None;
        }
        nanos = frac.iter().fold(0i64, |a, &c| a * 10 + i64::from(c - b'0')) * 10i64.pow(9 - frac.len() as u32);
    }
    // Days since the epoch from a civil date (H. Hinnant's algorithm).
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec;
    secs.checked_mul(NANOS_PER_SEC)?.checked_add(nanos).map(Timestamp)
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with a `Z`, with as many fraction digits as needed
    /// (none for whole seconds): `2018-01-10T04:55:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ts = self.to_jiff();
        let dt = Offset::UTC.to_datetime(ts);
        let (y, mo, d) = (dt.year(), dt.month(), dt.day());
        let (h, mi, s) = (dt.hour(), dt.minute(), dt.second());
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")?;
        let sub = dt.subsec_nanosecond();
        if sub != 0 {
            // Trailing zeros dropped without building a string: the recorder
            // formats timestamps on the hot path and must not allocate.
            let (mut digits, mut width) = (sub, 9);
            while digits % 10 == 0 {
                digits /= 10;
                width -= 1;
            }
            write!(f, ".{digits:0width$}")?;
        }
        f.write_str("Z")
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl FromStr for Timestamp {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(s: &str) -> i64 {
        Timestamp::parse(s).unwrap().as_nanos() / NANOS_PER_SEC
    }

    #[test]
    fn iso_forms_agree() {
        let want = 1_515_560_100; // 2018-01-10T04:55:00Z
        assert_eq!(p("2018-01-10T04:55:00Z"), want);
        assert_eq!(p("2018-01-10T04:55:00"), want, "naive times are UTC");
        assert_eq!(p("2018-01-10 04:55:00"), want);
        assert_eq!(p("2018-01-10T05:55:00+01:00"), want, "offsets convert to UTC");
        assert_eq!(p("2018-01-09T23:55:00-05:00"), want);
        assert_eq!(p("2018-01-10T04:55:00.000Z"), want);
        assert_eq!(p("  2018-01-10T04:55:00Z "), want);
        assert_eq!(p("1515560100"), want, "epoch seconds");
        assert_eq!(p("1515560100000"), want, "epoch milliseconds");
    }

    #[test]
    fn rejects_garbage_with_reason() {
        for bad in ["", "2018-13-01T00:00:00Z", "yesterday", "2018-01-10T25:00:00Z", "1e9", "999999999999999999"] {
            assert!(Timestamp::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn display_is_rfc3339_utc() {
        let t = Timestamp::parse("2018-01-10T04:55:00Z").unwrap();
        assert_eq!(t.to_string(), "2018-01-10T04:55:00Z");
        let t = Timestamp::parse("2019-10-11T00:00:11.620Z").unwrap();
        assert_eq!(t.to_string(), "2019-10-11T00:00:11.62Z");
    }

    proptest! {
        /// The fast path and jiff's parser agree on every canonical string,
        /// including invalid dates (which the fast path must leave to jiff).
        #[test]
        fn canonical_fast_path_agrees_with_jiff(
            y in 1678i64..2262, mo in 0i64..14, d in 0i64..33, h in 0i64..25, mi in 0i64..61, s in 0i64..61,
            frac in prop::option::of(0u32..1_000_000_000), width in 1usize..10, space in any::<bool>(),
        ) {
            let sep = if space { ' ' } else { 'T' };
            let mut text = format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}");
            if let Some(f) = frac {
                let digits = format!("{f:09}");
                text.push('.');
                text.push_str(&digits[..width]);
            }
            text.push('Z');
            let fast = parse_canonical_utc(text.as_bytes());
            let full = Pieces::parse(text.as_str()).ok().and_then(|p| {
                let dt = p.date().to_datetime(p.time().unwrap_or_default());
                Offset::UTC.to_timestamp(dt).ok()
            }).and_then(|t| i64::try_from(t.as_nanosecond()).ok());
            match fast {
                Some(t) => prop_assert_eq!(Some(t.as_nanos()), full, "{}", text),
                // Only a leap second (which jiff clamps) may be left to jiff while valid.
                None => prop_assert!(full.is_none() || s == 60, "fast path refused valid {}", text),
            }
        }

        #[test]
        fn display_parse_round_trip(n in -9_000_000_000_000_000_000i64..9_000_000_000_000_000_000i64) {
            let t = Timestamp::from_nanos(n);
            prop_assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
        }
    }
}
