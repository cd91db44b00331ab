//! Fuzzes the strict CSV candle importer (`tradebot_data::read_candles_csv`)
//! and, when a file is accepted, the scale choice and the quality report.
//!
//! Input layout: byte 0 picks the mode, the rest is the file's bytes.
//! * `byte0 & 0x7f` modulo 13 indexes `Interval::ALL` (0 = 1m, 2 = 5m, 12 = 1M);
//! * `byte0 & 0x80` set means `repair = true`.
//!
//! Nothing here may panic: the importer must answer any bytes with `Ok` or an
//! `ImportError`, and what it accepts must be fit for the quality report.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tradebot_core::{Interval, RawCandle};
use tradebot_data::{QualityOptions, QualityReport};

fuzz_target!(|data: &[u8]| {
    // First byte picks interval and repair mode; rest is the file.
    let Some((&mode, rest)) = data.split_first() else { return };
    let interval = Interval::ALL[usize::from(mode & 0x7f) % Interval::ALL.len()];
    let repair = mode & 0x80 != 0;

    let Ok(parsed) = tradebot_data::read_candles_csv(rest, std::path::Path::new("fuzz.csv"), interval, repair) else {
        return;
    };

    // What the importer promises about an accepted file.
    assert!(!parsed.rows.is_empty(), "Ok with no rows");
    assert!(parsed.rows.windows(2).all(|w| w[0].time < w[1].time), "rows not strictly increasing in time");
    assert!(parsed.rows.iter().all(|r| interval.is_aligned(r.time)), "row off the {interval} grid");
    assert!(parsed.rows.len() as u64 <= parsed.rows_read, "more rows kept than read");
    if !repair {
        assert!(parsed.repairs.is_empty(), "repairs listed without --repair");
    }

    // The success path as the importer continues it: scales, then mantissas
    // at those scales, then the quality report.
    let (price_scale, qty_scale) = parsed.scales();
    let raws: Vec<RawCandle> = parsed
        .rows
        .iter()
        .filter_map(|r| {
            let [o, h, l, c, v] = r.values;
            Some(RawCandle {
                open_time: r.time.as_nanos(),
                open: price_scale.mantissa_of(o)?,
                high: price_scale.mantissa_of(h)?,
                low: price_scale.mantissa_of(l)?,
                close: price_scale.mantissa_of(c)?,
                volume: qty_scale.mantissa_of(v)?,
            })
        })
        .collect();
    let report = QualityReport::compute(&raws, interval, price_scale, QualityOptions::default());
    assert_eq!(report.rows, raws.len() as u64);
    // Rendering the report is what `tradebot inspect` does next.
    let _ = report.to_string();
});
