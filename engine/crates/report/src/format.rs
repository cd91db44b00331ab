//! Number formatting for tables and axis labels.
//!
//! One place decides how a fraction, an amount or a latency reads, so the
//! tables and the charts agree, and so `-0.00` or `NaN` never reach the page.

use crate::MetricKind;

/// `v` with `decimals` places and `,` between thousands: `-12,345.68`.
/// A value that rounds to zero carries no sign.
pub(crate) fn fixed(v: f64, decimals: usize) -> String {
    if let Some(s) = non_finite(v) {
        return s.to_owned();
    }
    let digits = format!("{:.*}", decimals, v.abs());
    let (int, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    let negative = v < 0.0 && digits.bytes().any(|b| (b'1'..=b'9').contains(&b));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if negative {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A fraction as a percentage: `0.12345` → `12.35%`.
pub(crate) fn percent(fraction: f64, decimals: usize) -> String {
    match non_finite(fraction) {
        Some(s) => s.to_owned(),
        None => format!("{}%", fixed(fraction * 100.0, decimals)),
    }
}

/// Like [`percent`] with an explicit `+` on gains, for return cells.
pub(crate) fn signed_percent(fraction: f64, decimals: usize) -> String {
    let s = percent(fraction, decimals);
    if fraction > 0.0 && s.bytes().any(|b| (b'1'..=b'9').contains(&b)) && non_finite(fraction).is_none() {
        format!("+{s}")
    } else {
        s
    }
}

/// A metric value as its kind says it reads.
pub(crate) fn metric(kind: MetricKind, v: f64) -> String {
    match kind {
        MetricKind::Fraction => percent(v, 2),
        MetricKind::Ratio => fixed(v, 2),
        MetricKind::Count => fixed(v, 0),
        MetricKind::Money => fixed(v, 2),
    }
}

/// A latency with a unit that keeps about three significant digits:
/// `850 ns`, `12.3 µs`, `4.56 ms`, `1.20 s`.
pub(crate) fn duration_ns(ns: f64) -> String {
    if let Some(s) = non_finite(ns) {
        return s.to_owned();
    }
    let (value, unit) = if ns.abs() < 1e3 {
        return format!("{ns:.0} ns");
    } else if ns.abs() < 1e6 {
        (ns / 1e3, "µs")
    } else if ns.abs() < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let decimals = if value.abs() < 10.0 {
        2
    } else if value.abs() < 100.0 {
        1
    } else {
        0
    };
    format!("{value:.decimals$} {unit}")
}

/// [`duration_ns`] without trailing fraction zeros, for axis ticks at powers of
/// ten: `10 µs` rather than `10.0 µs`.
pub(crate) fn duration_tick(ns: f64) -> String {
    let s = duration_ns(ns);
    match s.split_once(' ') {
        Some((number, unit)) if number.contains('.') => {
            format!("{} {unit}", number.trim_end_matches('0').trim_end_matches('.'))
        }
        _ => s,
    }
}

/// Decimal places that distinguish the ticks of an axis spanning `lo..hi`
/// (about six ticks): `0` for a span of thousands, `4` for one of `0.002`.
pub(crate) fn axis_decimals(lo: f64, hi: f64) -> usize {
    let step = (hi - lo).abs() / 6.0;
    if !step.is_finite() || step >= 1.0 || step <= 0.0 {
        return 0;
    }
    // At most 12 places: below that a span is noise on any price.
    (-step.log10()).ceil().clamp(0.0, 12.0) as usize
}

/// What a non-finite number shows as, or `None` for a finite one.
pub(crate) fn non_finite(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("—")
    } else if v == f64::INFINITY {
        Some("∞")
    } else if v == f64::NEG_INFINITY {
        Some("-∞")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_groups_thousands_and_never_shows_negative_zero() {
        assert_eq!(fixed(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(fixed(-12_345.0, 0), "-12,345");
        assert_eq!(fixed(999.0, 0), "999");
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(-0.0, 1), "0.0");
        assert_eq!(fixed(0.5, 3), "0.500");
    }

    #[test]
    fn non_finite_values_show_as_symbols_not_nan() {
        assert_eq!(fixed(f64::NAN, 2), "—");
        assert_eq!(percent(f64::INFINITY, 2), "∞");
        assert_eq!(metric(MetricKind::Ratio, f64::NEG_INFINITY), "-∞");
    }

    #[test]
    fn metric_kinds_read_as_documented() {
        assert_eq!(metric(MetricKind::Fraction, 0.12345), "12.35%");
        assert_eq!(metric(MetricKind::Ratio, 1.23456), "1.23");
        assert_eq!(metric(MetricKind::Count, 12_345.0), "12,345");
        assert_eq!(metric(MetricKind::Money, -10_500.256), "-10,500.26");
    }

    #[test]
    fn signed_percent_marks_gains_only() {
        assert_eq!(signed_percent(0.034, 1), "+3.4%");
        assert_eq!(signed_percent(-0.034, 1), "-3.4%");
        assert_eq!(signed_percent(0.00001, 1), "0.0%");
    }

    #[test]
    fn durations_pick_a_unit_with_three_significant_digits() {
        assert_eq!(duration_ns(850.0), "850 ns");
        assert_eq!(duration_ns(12_345.0), "12.3 µs");
        assert_eq!(duration_ns(4_560_000.0), "4.56 ms");
        assert_eq!(duration_ns(1.2e9), "1.20 s");
        assert_eq!(duration_ns(250_000.0), "250 µs");
    }

    #[test]
    fn duration_ticks_drop_trailing_zeros_only() {
        assert_eq!(duration_tick(10_000.0), "10 µs");
        assert_eq!(duration_tick(1_000_000.0), "1 ms");
        assert_eq!(duration_tick(1_500.0), "1.5 µs");
        assert_eq!(duration_tick(100.0), "100 ns");
    }

    #[test]
    fn axis_decimals_follow_the_span() {
        assert_eq!(axis_decimals(10_000.0, 12_000.0), 0);
        assert_eq!(axis_decimals(0.0120, 0.0140), 4);
        assert_eq!(axis_decimals(1.0, 1.0), 0);
        assert_eq!(axis_decimals(f64::NAN, 1.0), 0);
    }
}
