//! Fuzzes the two value parsers every CSV cell goes through:
//! `tradebot_core::parse_decimal` and `tradebot_core::Timestamp::parse`.
//!
//! Besides "never panics", it checks round trips:
//! * an accepted decimal, printed with `format_mantissa` at its own scale and
//!   parsed again, is the same `Decimal` (same mantissa and decimals);
//! * an accepted timestamp, printed with `Display` and parsed again, is the
//!   same `Timestamp`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tradebot_core::{Scale, Timestamp, format_mantissa, parse_decimal};

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = parse_decimal(data) {
        let scale = Scale::new(d.decimals);
        assert!(scale.is_some(), "parse_decimal gave {} decimals (> {})", d.decimals, Scale::MAX_DECIMALS);
        let scale = scale.unwrap_or_default();
        let mut s = String::new();
        format_mantissa(d.mantissa, scale, &mut s);
        let back = parse_decimal(s.as_bytes());
        assert!(back == Ok(d), "decimal round trip: {data:?} -> {d:?} -> {s:?} -> {back:?}");
    }

    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(ts) = Timestamp::parse(text)
    {
        let shown = ts.to_string();
        let back = Timestamp::parse(&shown);
        assert!(back == Ok(ts), "timestamp round trip: {text:?} -> {} ns -> {shown:?} -> {back:?}", ts.as_nanos());
    }
});
