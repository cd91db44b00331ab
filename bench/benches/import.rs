//! Import throughput: a 1,000,000-row one-minute candle CSV (RFC 3339 times,
//! prices with up to 8 decimals) into a new store, as `tradebot import` does
//! it, plus the parse-and-validate stage alone from memory.
//!
//! Run: `cargo bench -p tradebot-bench --bench import`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tradebot_core::{Interval, Symbol, Timestamp};
use tradebot_data::{ImportOptions, QualityOptions, import_csv, read_candles_csv};
use tradebot_store::Durability;

const ROWS: usize = 1_000_000;

/// A deterministic random walk around 0.05 with 8-decimal prices.
fn csv_text() -> String {
    let mut s = String::with_capacity(ROWS * 80);
    s.push_str("timestamp,open,high,low,close,volume\n");
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let t0 = 1_514_764_800i64; // 2018-01-01T00:00:00Z
    let mut close = 5_000_000i64; // 0.05 at 8 decimals
    for i in 0..ROWS {
        let open = close;
        close = (open + (next() % 20_001) as i64 - 10_000).max(1000);
        let high = open.max(close) + (next() % 5000) as i64;
        let low = (open.min(close) - (next() % 5000) as i64).max(1);
        let vol = next() % 100_000_000;
        let ts = Timestamp::from_secs(t0 + 60 * i as i64).unwrap();
        let p = |m: i64| format!("{}.{:08}", m / 100_000_000, m % 100_000_000);
        writeln!(s, "{ts},{},{},{},{},{}.{:04}", p(open), p(high), p(low), p(close), vol / 10_000, vol % 10_000)
            .unwrap();
    }
    s
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let text = csv_text();
    let input = dir.path().join("BENCH-1m.csv");
    std::fs::write(&input, &text).unwrap();
    let opts = ImportOptions {
        symbol: Symbol::new("BENCH").unwrap(),
        interval: Interval::M1,
        repair: false,
        quality: QualityOptions::default(),
        durability: Durability::Sync,
    };

    let mut g = c.benchmark_group("import");
    g.throughput(Throughput::Elements(ROWS as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("parse_validate_1m_rows", |b| {
        b.iter(|| {
            let parsed = read_candles_csv(text.as_bytes(), Path::new("bench.csv"), Interval::M1, false).unwrap();
            black_box(parsed.rows.len())
        })
    });
    g.bench_function("csv_file_to_new_store_1m_rows", |b| {
        b.iter_batched(
            || tempfile::tempdir_in(dir.path()).unwrap(),
            |store| {
                let report = import_csv(&input, store.path(), &opts).unwrap();
                assert_eq!(report.appended, ROWS as u64);
                store
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
