//! Benchmarks for tradebot. The code lives in `benches/`:
//! `cargo bench -p tradebot-bench --bench store` measures the candle store
//! (scan, open, range lookup, verify) on a 10,000,000-candle file.
