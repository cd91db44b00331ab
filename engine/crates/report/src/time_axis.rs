//! Calendar-aligned ticks and date labels for time axes.
//!
//! plotters would place ticks at round numbers of nanoseconds, which fall at
//! arbitrary clock times; a reader wants midnight, the first of a month or
//! New Year. This picks the finest calendar step that gives at most the wanted
//! number of ticks and labels each tick as precisely as that step needs, in
//! UTC, from [`Timestamp`]'s RFC 3339 text.

use jiff::civil::{Date, Time};
use jiff::tz::Offset;
use tradebot_core::Timestamp;

const MINUTE: i64 = 60_000_000_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// 1970-01-05, the first Monday after the epoch: weekly ticks fall on Mondays.
const FIRST_MONDAY: i64 = 4 * DAY;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// A fixed number of nanoseconds, ticks at multiples of it from `origin`.
    Fixed {
        nanos: i64,
        origin: i64,
        unit: Unit,
    },
    Months(i32),
    Years(i32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Minutes,
    Days,
}

const AVG_MONTH: i64 = 2_629_746_000_000_000; // 365.2425 / 12 days
const AVG_YEAR: i64 = 12 * AVG_MONTH;

const STEPS: &[Step] = &[
    Step::Fixed { nanos: MINUTE, origin: 0, unit: Unit::Minutes },
    Step::Fixed { nanos: 5 * MINUTE, origin: 0, unit: Unit::Minutes },
    Step::Fixed { nanos: 15 * MINUTE, origin: 0, unit: Unit::Minutes },
    Step::Fixed { nanos: 30 * MINUTE, origin: 0, unit: Unit::Minutes },
    Step::Fixed { nanos: HOUR, origin: 0, unit: Unit::Minutes },
    Step::Fixed { nanos: 3 * HOUR, origin: 0, unit: Unit::Minutes },
    Step::Fixed { nanos: 6 * HOUR, origin: 0, unit: Unit::Minutes },
    Step::Fixed { nanos: 12 * HOUR, origin: 0, unit: Unit::Minutes },
    Step::Fixed { nanos: DAY, origin: 0, unit: Unit::Days },
    Step::Fixed { nanos: 2 * DAY, origin: 0, unit: Unit::Days },
    Step::Fixed { nanos: 7 * DAY, origin: FIRST_MONDAY, unit: Unit::Days },
    Step::Fixed { nanos: 14 * DAY, origin: FIRST_MONDAY, unit: Unit::Days },
    Step::Months(1),
    Step::Months(2),
    Step::Months(3),
    Step::Months(6),
    Step::Years(1),
    Step::Years(2),
    Step::Years(5),
    Step::Years(10),
    Step::Years(25),
    Step::Years(50),
    Step::Years(100),
];

/// Tick positions (nanoseconds since the epoch) and how to label them.
#[derive(Clone, Debug)]
pub(crate) struct TimeAxis {
    pub(crate) ticks: Vec<i64>,
    step: Step,
}

impl TimeAxis {
    /// Ticks inside `start..=end`, at most `max_ticks` of them (at least one
    /// step is always tried, so a very long range may give a few more).
    pub(crate) fn new(start: i64, end: i64, max_ticks: usize) -> TimeAxis {
        let span = i128::from(end) - i128::from(start);
        let step = STEPS
            .iter()
            .copied()
            .find(|s| span / i128::from(approx_nanos(*s)) < max_ticks.max(1) as i128)
            .unwrap_or(Step::Years(100));
        TimeAxis { ticks: ticks(step, start, end), step }
    }

    /// The tick's label: `01-10 04:55` within days, `2018-01-10` for day
    /// steps, `2018-01` for months, `2018` for years.
    pub(crate) fn label(&self, t: i64) -> String {
        let text = Timestamp::from_nanos(t).to_string();
        let part = |r: std::ops::Range<usize>| text.get(r).unwrap_or(&text).to_owned();
        match self.step {
            Step::Fixed { unit: Unit::Minutes, .. } => format!("{} {}", part(5..10), part(11..16)),
            Step::Fixed { unit: Unit::Days, .. } => part(0..10),
            Step::Months(_) => part(0..7),
            Step::Years(_) => part(0..4),
        }
    }
}

fn approx_nanos(step: Step) -> i64 {
    match step {
        Step::Fixed { nanos, .. } => nanos,
        Step::Months(k) => i64::from(k) * AVG_MONTH,
        Step::Years(k) => i64::from(k) * AVG_YEAR,
    }
}

fn ticks(step: Step, start: i64, end: i64) -> Vec<i64> {
    let mut out = Vec::new();
    match step {
        Step::Fixed { nanos, origin, .. } => {
            let (nanos, origin) = (i128::from(nanos), i128::from(origin));
            let mut t = (i128::from(start) - origin).div_euclid(nanos) * nanos + origin;
            if t < i128::from(start) {
                t += nanos;
            }
            while t <= i128::from(end) {
                if let Ok(v) = i64::try_from(t) {
                    out.push(v);
                }
                t += nanos;
            }
        }
        Step::Months(k) | Step::Years(k) => {
            let months = if matches!(step, Step::Years(_)) { 12 * k } else { k };
            let Some((year, month)) = civil_month(start) else { return out };
            let index = year * 12 + month - 1;
            let mut index = index.div_euclid(months) * months;
            while let Some(t) = month_start(index.div_euclid(12), index.rem_euclid(12) + 1) {
                if t > end {
                    break;
                }
                if t >= start {
                    out.push(t);
                }
                index += months;
            }
        }
    }
    out
}

/// UTC year and month (1..=12) of an instant.
fn civil_month(t: i64) -> Option<(i32, i32)> {
    let ts = jiff::Timestamp::from_nanosecond(i128::from(t)).ok()?;
    let dt = Offset::UTC.to_datetime(ts);
    Some((i32::from(dt.year()), i32::from(dt.month())))
}

/// Nanoseconds at midnight UTC on the first of the month, if representable.
fn month_start(year: i32, month: i32) -> Option<i64> {
    let date = Date::new(i16::try_from(year).ok()?, i8::try_from(month).ok()?, 1).ok()?;
    let ts = Offset::UTC.to_timestamp(date.to_datetime(Time::midnight())).ok()?;
    i64::try_from(ts.as_nanosecond()).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> i64 {
        Timestamp::parse(s).unwrap().as_nanos()
    }

    fn labels(start: &str, end: &str, max: usize) -> Vec<String> {
        let axis = TimeAxis::new(t(start), t(end), max);
        axis.ticks.iter().map(|&x| axis.label(x)).collect()
    }

    #[test]
    fn a_few_years_are_labelled_by_year_or_month() {
        assert_eq!(labels("2017-03-05T00:00:00Z", "2021-02-01T00:00:00Z", 5), ["2018", "2019", "2020", "2021"]);
        assert_eq!(
            labels("2018-01-10T04:55:00Z", "2018-12-31T00:00:00Z", 8),
            ["2018-03", "2018-05", "2018-07", "2018-09", "2018-11"]
        );
    }

    #[test]
    fn weeks_start_on_monday_and_days_at_midnight() {
        // 2018-01-15 and 2018-01-22 are Mondays.
        assert_eq!(labels("2018-01-10T04:55:00Z", "2018-01-28T00:00:00Z", 3), ["2018-01-15", "2018-01-22"]);
        assert_eq!(
            labels("2018-01-10T04:55:00Z", "2018-01-13T00:00:00Z", 4),
            ["2018-01-11", "2018-01-12", "2018-01-13"]
        );
    }

    #[test]
    fn intraday_ticks_show_date_and_clock_time() {
        assert_eq!(
            labels("2018-01-10T04:55:00Z", "2018-01-10T20:00:00Z", 6),
            ["01-10 06:00", "01-10 09:00", "01-10 12:00", "01-10 15:00", "01-10 18:00"]
        );
    }

    #[test]
    fn extreme_ranges_do_not_panic() {
        let axis = TimeAxis::new(i64::MIN, i64::MAX, 8);
        assert!(axis.ticks.len() <= 8);
        let axis = TimeAxis::new(5, 5, 8);
        assert!(axis.ticks.len() <= 1);
    }

    proptest! {
        #[test]
        fn ticks_are_inside_the_range_increasing_and_bounded(
            start in -4_000_000_000_000_000_000i64..4_000_000_000_000_000_000,
            len in 0i64..4_000_000_000_000_000_000,
            max in 2usize..12,
        ) {
            let end = start + len;
            let axis = TimeAxis::new(start, end, max);
            prop_assert!(axis.ticks.len() <= max + 1);
            prop_assert!(axis.ticks.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(axis.ticks.iter().all(|&x| x >= start && x <= end));
        }
    }
}
