//! Exact decimal numbers: parsing text into an `i64` mantissa and a count of
//! decimal places, printing them back, and converting to `f64`.
//!
//! Written by hand because what is needed here is narrow and hot: the importer
//! parses five numbers per row at millions of rows per second, straight from
//! CSV bytes into scaled integers. General decimal crates (`rust_decimal`) parse
//! from `&str` into 96-bit values and are several times slower for this job;
//! `f64` parsers lose the decimal exactness this representation exists for.

use std::fmt::Write as _;

use crate::DecimalError;

/// A decimal number `mantissa × 10^-decimals`, in its shortest form (no
/// trailing zeros in the fraction).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct Decimal {
    pub mantissa: i64,
    pub decimals: u8,
}

/// A fixed number of decimal places shared by a column of mantissas.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Scale {
    decimals: u8,
}

const POW10: [i64; 19] = {
    let mut t = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

const POW10_F64: [f64; 19] = {
    let mut t = [1f64; 19];
    let mut i = 1;
    while i < 19 {
        t[i] = t[i - 1] * 10.0;
        i += 1;
    }
    t
};

impl Scale {
    pub const MAX_DECIMALS: u8 = 18;

    pub const fn new(decimals: u8) -> Option<Scale> {
        if decimals <= Self::MAX_DECIMALS { Some(Scale { decimals }) } else { None }
    }

    pub const fn decimals(self) -> u8 {
        self.decimals
    }

    /// `10^decimals`: how many mantissa units make one whole unit.
    pub const fn unit(self) -> i64 {
        POW10[self.decimals as usize]
    }

    /// The value of a mantissa at this scale. Division (not multiplication
    /// by a reciprocal) so the result is correctly rounded: for mantissas
    /// below 2^53 it is exactly the `f64` nearest the decimal value.
    #[inline]
    pub fn to_f64(self, mantissa: i64) -> f64 {
        mantissa as f64 / POW10_F64[self.decimals as usize]
    }

    /// The mantissa of `d` at this scale, or `None` if `d` has more decimal
    /// places than the scale or the result overflows.
    #[inline]
    pub fn mantissa_of(self, d: Decimal) -> Option<i64> {
        let shift = self.decimals.checked_sub(d.decimals)?;
        d.mantissa.checked_mul(POW10[shift as usize])
    }

    /// Re-expresses a mantissa of scale `from` at this scale (exact only if
    /// this scale has at least as many places).
    pub fn rescale_from(self, mantissa: i64, from: Scale) -> Option<i64> {
        self.mantissa_of(Decimal { mantissa, decimals: from.decimals })
    }
}

/// Parses a plain or scientific decimal (`-12.5`, `0.0000533`, `5.33e-05`)
/// into its shortest exact form. `nan` and `inf` are refused as non-finite.
pub fn parse_decimal(text: &[u8]) -> Result<Decimal, DecimalError> {
    let s = text.trim_ascii();
    if s.is_empty() {
        return Err(DecimalError::Empty);
    }
    let owned = || String::from_utf8_lossy(s).into_owned();
    let (neg, body) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if [&b"nan"[..], b"inf", b"infinity"].iter().any(|w| body.eq_ignore_ascii_case(w)) {
        return Err(DecimalError::NotFinite(owned()));
    }

    let mut mantissa: u64 = 0;
    let mut decimals: i32 = 0;
    let mut digits = 0usize;
    let mut seen_dot = false;
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        match b {
            b'0'..=b'9' => {
                digits += 1;
                mantissa = mantissa
                    .checked_mul(10)
                    .and_then(|m| m.checked_add(u64::from(b - b'0')))
                    .ok_or_else(|| DecimalError::Overflow(owned()))?;
                if seen_dot {
                    decimals += 1;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            b'e' | b'E' => break,
            _ => return Err(DecimalError::Invalid(owned())),
        }
        i += 1;
    }
    if digits == 0 {
        return Err(DecimalError::Invalid(owned()));
    }
    if i < body.len() {
        // Exponent part: e[+-]digits, at most three digits.
        let exp = &body[i + 1..];
        let (eneg, edigits) = match exp.first() {
            Some(b'-') => (true, &exp[1..]),
            Some(b'+') => (false, &exp[1..]),
            _ => (false, exp),
        };
        if edigits.is_empty() || edigits.len() > 3 || !edigits.iter().all(u8::is_ascii_digit) {
            return Err(DecimalError::Invalid(owned()));
        }
        let e = edigits.iter().fold(0i32, |a, d| a * 10 + i32::from(d - b'0'));
        decimals -= if eneg { -e } else { e };
    }
    // Shortest form: drop trailing fractional zeros.
    while decimals > 0 && mantissa.is_multiple_of(10) && mantissa != 0 {
        mantissa /= 10;
        decimals -= 1;
    }
    if mantissa == 0 {
        decimals = 0;
    }
    while decimals < 0 {
        mantissa = mantissa.checked_mul(10).ok_or_else(|| DecimalError::Overflow(owned()))?;
        decimals += 1;
    }
    if decimals > i32::from(Scale::MAX_DECIMALS) {
        return Err(DecimalError::TooManyDecimals(owned()));
    }
    let m = i64::try_from(mantissa).map_err(|_| DecimalError::Overflow(owned()))?;
    Ok(Decimal { mantissa: if neg { -m } else { m }, decimals: decimals as u8 })
}

/// Appends the plain decimal text of `mantissa × 10^-decimals`, without
/// exponent and without trailing fractional zeros: `5330` at 8 places is
/// `0.0000533`. Parsing the text back gives the same value.
pub fn format_mantissa(mantissa: i64, scale: Scale, out: &mut String) {
    let d = usize::from(scale.decimals());
    if mantissa < 0 {
        out.push('-');
    }
    let abs = mantissa.unsigned_abs();
    if d == 0 {
        let _ = write!(out, "{abs}");
        return;
    }
    let unit = scale.unit().unsigned_abs();
    let (int, mut frac) = (abs / unit, abs % unit);
    let _ = write!(out, "{int}");
    if frac == 0 {
        return;
    }
    let mut width = d;
    while frac.is_multiple_of(10) {
        frac /= 10;
        width -= 1;
    }
    let _ = write!(out, ".{frac:0width$}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        parse_decimal(s.as_bytes()).unwrap()
    }

    #[test]
    fn parses_plain_and_scientific_to_shortest_form() {
        assert_eq!(d("0.0000533"), Decimal { mantissa: 533, decimals: 7 });
        assert_eq!(d("5.33e-05"), Decimal { mantissa: 533, decimals: 7 });
        assert_eq!(d("1.50"), Decimal { mantissa: 15, decimals: 1 });
        assert_eq!(d("-12"), Decimal { mantissa: -12, decimals: 0 });
        assert_eq!(d("1e3"), Decimal { mantissa: 1000, decimals: 0 });
        assert_eq!(d(" 7. "), Decimal { mantissa: 7, decimals: 0 });
        assert_eq!(d(".25"), Decimal { mantissa: 25, decimals: 2 });
        assert_eq!(d("0.000"), Decimal { mantissa: 0, decimals: 0 });
    }

    #[test]
    fn refuses_what_is_not_a_finite_decimal() {
        assert!(matches!(parse_decimal(b"NaN"), Err(DecimalError::NotFinite(_))));
        assert!(matches!(parse_decimal(b"-inf"), Err(DecimalError::NotFinite(_))));
        assert!(matches!(parse_decimal(b""), Err(DecimalError::Empty)));
        for bad in ["1.2.3", "abc", "1e", "e5", "1,5", "--1", "0x10", "."] {
            assert!(matches!(parse_decimal(bad.as_bytes()), Err(DecimalError::Invalid(_))), "{bad}");
        }
        assert!(matches!(parse_decimal(b"99999999999999999999"), Err(DecimalError::Overflow(_))));
        assert!(matches!(parse_decimal(b"1e-30"), Err(DecimalError::TooManyDecimals(_))));
    }

    #[test]
    fn f64_view_matches_float_parsing() {
        for s in ["0.0000533", "16600.12", "0.09946999", "1.0712", "123456.789"] {
            let v = d(s);
            let scale = Scale::new(v.decimals).unwrap();
            assert_eq!(scale.to_f64(v.mantissa), s.parse::<f64>().unwrap(), "{s}");
        }
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(m in -(1i64 << 53)..(1i64 << 53), dec in 0u8..=12) {
            let scale = Scale::new(dec).unwrap();
            let mut s = String::new();
            format_mantissa(m, scale, &mut s);
            let back = parse_decimal(s.as_bytes()).unwrap();
            prop_assert_eq!(scale.mantissa_of(back), Some(m));
            prop_assert_eq!(scale.to_f64(m), s.parse::<f64>().unwrap());
        }
    }
}
