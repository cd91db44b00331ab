//! Benchmarks for tradebot. The code lives in `benches/`:
//! `cargo bench -p tradebot-bench --bench store` measures the candle store
//! (scan, open, range lookup, verify) on a 10,000,000-candle file.

use std::time::Instant;

use hdrhistogram::Histogram;

/// Times `call` one call at a time (after `warmup` untimed calls) into an
/// HDR histogram and prints p50/p90/p99/p99.9/max in nanoseconds: the
/// latency percentiles criterion's mean does not show.
pub fn report_percentiles(name: &str, warmup: usize, timed: usize, mut call: impl FnMut()) {
    for _ in 0..warmup {
        call();
    }
    let Ok(mut h) = Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3) else {
        return;
    };
    for _ in 0..timed {
        let t = Instant::now();
        call();
        h.saturating_record(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    println!(
        "{name}: p50 {} ns, p90 {} ns, p99 {} ns, p99.9 {} ns, max {} ns ({timed} calls)",
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.9),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max()
    );
}
