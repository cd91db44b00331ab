//! Specification of the candle file: round trip, crash safety, damage
//! detection, concurrent readers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use proptest::prelude::*;
use tradebot_core::{Interval, RawCandle, Scale, Symbol, Timestamp};
use tradebot_store::{CandleStore, CandleWriter, Durability, StoreError, StoreMeta};

const FIVE_MIN: i64 = 300_000_000_000;
const T0: i64 = 1_515_560_100_000_000_000; // 2018-01-10T04:55:00Z

fn meta() -> StoreMeta {
    StoreMeta {
        symbol: Symbol::new("ETH_BTC").unwrap(),
        interval: Interval::M5,
        price_scale: Scale::new(8).unwrap(),
        qty_scale: Scale::new(3).unwrap(),
    }
}

/// Valid candles: on the 5m grid, increasing, low <= open, close <= high.
fn candles(n: usize, start_step: i64) -> impl Strategy<Value = Vec<RawCandle>> {
    prop::collection::vec((1i64..4, 1i64..1_000_000, 0i64..1000, 0i64..1000, 0i64..1000, 0i64..1_000_000_000), n)
        .prop_map(move |rows| {
            let mut t = T0 + start_step * FIVE_MIN;
            rows.into_iter()
                .map(|(step, low, a, b, span, volume)| {
                    t += step * FIVE_MIN;
                    let high = low + span.max(a).max(b);
                    RawCandle { open_time: t, open: low + a.min(span), high, low, close: low + b.min(span), volume }
                })
                .collect()
        })
}

fn store_file(dir: &Path) -> std::path::PathBuf {
    dir.join("ETH_BTC-5m.tbc")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn candles_round_trip_and_ranges_are_binary_searched(rows in candles(5000, 0), a in 0usize..5000, b in 0usize..5000) {
        let dir = tempfile::tempdir().unwrap();
        let path = store_file(dir.path());
        CandleWriter::create(&path, meta(), &rows, Durability::Buffered).unwrap();
        let store = CandleStore::open(&path).unwrap();
        prop_assert_eq!(store.candles(), &rows[..]);
        prop_assert_eq!(store.meta(), &meta());
        store.verify().unwrap();
        let (from, to) = (rows[a.min(b)].open_time, rows[a.max(b)].open_time + 1);
        let want: Vec<_> = rows.iter().copied().filter(|c| c.open_time >= from && c.open_time < to).collect();
        prop_assert_eq!(store.range(Timestamp::from_nanos(from), Timestamp::from_nanos(to)), &want[..]);
    }

    /// The writer is killed after `budget` bytes of an append+commit; the file
    /// must open as either the old or the new committed content, verify, and
    /// accept a fresh writer that drops the torn tail.
    #[test]
    fn a_writer_killed_at_any_byte_leaves_a_valid_prefix(
        rows in candles(9000, 0),
        split in 0usize..9000,
        budget_frac in 0.0f64..1.0,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = store_file(dir.path());
        let (old, new) = rows.split_at(split);
        CandleWriter::create(&path, meta(), old, Durability::Buffered).unwrap();

        // Bytes this append+commit writes: the records, the table entries of
        // blocks it completes, one header slot.
        let blocks_done = (rows.len() / 4096) - (old.len() / 4096);
        let total = new.len() * 48 + blocks_done * 4 + 512;
        let budget = (budget_frac * total as f64) as u64;

        let mut w = CandleWriter::open(&path, Durability::Buffered).unwrap();
        w.inject_crash_after(budget);
        let outcome = w.append(new).and_then(|()| w.commit());
        drop(w);

        let store = CandleStore::open(&path).unwrap();
        let seen = store.candles();
        prop_assert!(seen == old || seen == &rows[..], "saw {} candles, old {} new {}", seen.len(), old.len(), rows.len());
        if new.is_empty() || outcome.is_ok() {
            prop_assert_eq!(seen, &rows[..]);
        }
        store.verify().unwrap();

        // A new writer cuts the torn tail and can finish the job.
        let mut w = CandleWriter::open(&path, Durability::Buffered).unwrap();
        let have = w.committed_len() as usize;
        w.append(&rows[have..]).unwrap();
        w.commit().unwrap();
        drop(w);
        let store = CandleStore::open(&path).unwrap();
        prop_assert_eq!(store.candles(), &rows[..]);
        store.verify().unwrap();
    }

    /// A committed file cut at any byte past its header opens as a prefix of
    /// whole records and says it was truncated; cut inside the header it is
    /// refused with an error, never a panic.
    #[test]
    fn a_truncated_file_opens_as_a_prefix(rows in candles(6000, 0), cut_frac in 0.0f64..1.0) {
        let dir = tempfile::tempdir().unwrap();
        let path = store_file(dir.path());
        CandleWriter::create(&path, meta(), &rows, Durability::Buffered).unwrap();
        let len = std::fs::metadata(&path).unwrap().len();
        let cut = (cut_frac * len as f64) as u64;
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(cut).unwrap();
        match CandleStore::open(&path) {
            Ok(store) => {
                let n = store.len();
                prop_assert!(n < rows.len() || cut == len);
                prop_assert_eq!(store.candles(), &rows[..n]);
                prop_assert_eq!(store.truncated_from().is_some(), n < rows.len());
                store.verify().unwrap();
                // Writing to a cut file is refused: its committed data is gone.
                if n < rows.len() {
                    prop_assert!(CandleWriter::open(&path, Durability::Buffered).is_err());
                }
            }
            Err(e) => prop_assert!(cut < 1024, "unexpected error {e} at cut {cut}"),
        }
    }

    /// Any single damaged byte is either harmless (unused space), recovered
    /// from (the other header slot), or reported; never a panic or bad data.
    #[test]
    fn a_damaged_byte_is_detected(rows in candles(300, 0), at_frac in prop_oneof![0.0f64..0.02, 0.0f64..1.0], xor in 1u8..=255) {
        let dir = tempfile::tempdir().unwrap();
        let path = store_file(dir.path());
        CandleWriter::create(&path, meta(), &rows, Durability::Buffered).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let at = (at_frac * bytes.len() as f64) as usize;
        bytes[at] ^= xor;
        std::fs::write(&path, &bytes).unwrap();
        match CandleStore::open(&path) {
            Ok(store) => {
                if store.header_warning().is_some() {
                    // A header slot is damaged and reported. If it was the
                    // newest, the previous commit (here: the empty file) is
                    // what opens; either way it is a valid prefix.
                    prop_assert!(at < 1024);
                    prop_assert_eq!(store.candles(), &rows[..store.len()]);
                    prop_assert!(store.len() == rows.len() || (512..1024).contains(&at));
                } else if store.candles() != &rows[..] {
                    prop_assert!(store.verify().is_err(), "damage at byte {at} went unnoticed");
                } else {
                    prop_assert_eq!(store.meta(), &meta());
                }
            }
            Err(e) => prop_assert!(at < 1024, "header damage only, got {e} at {at}"),
        }
    }
}

#[test]
fn foreign_and_empty_files_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("x.csv");
    std::fs::write(&csv, "timestamp,open,high,low,close,volume\n".repeat(100)).unwrap();
    let err = CandleStore::open(&csv).unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err}");
    assert!(err.to_string().contains("x.csv"), "error names the file: {err}");

    let empty = dir.path().join("empty.tbc");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(CandleStore::open(&empty), Err(StoreError::NotAStore { .. })));
    assert!(matches!(CandleStore::open(dir.path().join("missing.tbc")), Err(StoreError::Io { .. })));
}

#[test]
fn a_newer_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path());
    CandleWriter::create(&path, meta(), &[], Durability::Buffered).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    for slot in [0usize, 512] {
        bytes[slot + 8] = 2; // version 2
        let crc = crc32c_of(&bytes[slot..slot + 508]);
        bytes[slot + 508..slot + 512].copy_from_slice(&crc.to_le_bytes());
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = CandleStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedVersion { found: 2, .. }), "{err}");
}

fn crc32c_of(b: &[u8]) -> u32 {
    // Reference CRC-32C (Castagnoli), bitwise, so the test does not trust the
    // crate under test's own dependency.
    let mut crc = !0u32;
    for &byte in b {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn the_writer_refuses_what_the_importer_would() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path());
    let good = RawCandle { open_time: T0, open: 10, high: 12, low: 9, close: 11, volume: 5 };
    let mut w = CandleWriter::create(&path, meta(), &[good], Durability::Buffered).unwrap();
    let later = |dt: i64| RawCandle { open_time: T0 + dt, ..good };
    assert!(matches!(w.append(&[later(0)]), Err(StoreError::NotIncreasing { .. })));
    assert!(matches!(w.append(&[later(60_000_000_000)]), Err(StoreError::OffGrid { .. })));
    assert!(matches!(w.append(&[RawCandle { high: 8, ..later(FIVE_MIN) }]), Err(StoreError::Insane { .. })));
    assert!(matches!(w.append(&[RawCandle { volume: -1, ..later(FIVE_MIN) }]), Err(StoreError::Insane { .. })));
    w.append(&[later(FIVE_MIN)]).unwrap();
    w.commit().unwrap();
    assert_eq!(CandleStore::open(&path).unwrap().len(), 2);
    assert!(matches!(CandleWriter::open(&path, Durability::Buffered), Err(StoreError::Locked { .. })));
    assert!(matches!(CandleWriter::create(&path, meta(), &[], Durability::Buffered), Err(StoreError::Exists { .. })));
}

#[test]
fn rollback_restores_the_committed_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path());
    let rows: Vec<RawCandle> = (0..5000)
        .map(|i| RawCandle { open_time: T0 + i * FIVE_MIN, open: 10, high: 12, low: 9, close: 11, volume: i })
        .collect();
    let mut w = CandleWriter::create(&path, meta(), &rows[..100], Durability::Buffered).unwrap();
    let before = std::fs::read(&path).unwrap();
    w.append(&rows[100..]).unwrap();
    w.rollback().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), before);
    w.append(&rows[100..]).unwrap();
    w.commit().unwrap();
    assert_eq!(CandleStore::open(&path).unwrap().candles(), &rows[..]);
}

#[test]
fn a_reader_runs_while_a_writer_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path());
    let rows: Vec<RawCandle> = (0..20_000)
        .map(|i| RawCandle { open_time: T0 + i * FIVE_MIN, open: 10, high: 12 + i, low: 9, close: 11, volume: i })
        .collect();
    let mut w = CandleWriter::create(&path, meta(), &rows[..1], Durability::Buffered).unwrap();
    let mut reader = CandleStore::open(&path).unwrap();
    let writer_rows = rows.clone();
    let writer = std::thread::spawn(move || {
        for chunk in writer_rows[1..].chunks(97) {
            w.append(chunk).unwrap();
            w.commit().unwrap();
        }
    });
    let mut last = 0;
    while last < rows.len() {
        reader.refresh().unwrap();
        let seen = reader.candles();
        assert!(seen.len() >= last, "a reader never sees the store shrink");
        assert_eq!(seen, &rows[..seen.len()], "a reader only ever sees committed prefixes");
        last = seen.len();
    }
    writer.join().unwrap();
    reader.verify().unwrap();
}

#[test]
fn opening_reads_only_the_header() {
    // O(1) open: a store whose data region is unreadable garbage still opens
    // instantly; only verify() reads the records.
    let dir = tempfile::tempdir().unwrap();
    let path = store_file(dir.path());
    let rows: Vec<RawCandle> = (0..10_000)
        .map(|i| RawCandle { open_time: T0 + i * FIVE_MIN, open: 10, high: 12, low: 9, close: 11, volume: i })
        .collect();
    CandleWriter::create(&path, meta(), &rows, Durability::Buffered).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 1000] ^= 0xFF;
    std::fs::write(&path, &bytes).unwrap();
    let store = CandleStore::open(&path).unwrap();
    let err = store.verify().unwrap_err();
    assert!(err.to_string().contains("ETH_BTC-5m.tbc"), "{err}");
    assert!(err.to_string().contains("checksum mismatch in the last block (candles 8192..10000)"), "{err}");
}
