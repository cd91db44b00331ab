//! WASM plugin call costs (issue 6's targets: p99 < 0.5 µs per sizing and
//! meta-agent call).
//!
//! * `plugins/sizing_call`: one `size` call of the bundled fixed-fractional
//!   sizing plugin through the host (request lowered, fuel armed, answer
//!   lifted and checked).
//! * `plugins/meta_call_6_agents`: one `combine` of the confidence-weighted
//!   meta-agent with six agent predictions.
//! * `plugins/strategy_call`: one `on-bar` of the SMA-cross strategy plugin.
//! * `plugins/instantiate`: a fresh instance of an already compiled
//!   component, `init` and `about` included (what recovery after a trap costs).
//! * `plugins/reload`: compile from bytes + instantiate + init (what a hot
//!   reload does off the hot thread).
//!
//! Before criterion runs the call benchmarks, 200,000 calls are timed one by
//! one into an HDR histogram and p50/p90/p99/p99.9/max are printed.
//!
//! `RUST_BACKTRACE=0 cargo bench -p tradebot-bench --bench plugins`
//! (wasmtime captures a backtrace for every error when backtraces are on).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::Criterion;
use tradebot_core::{Side, SymbolId};
use tradebot_plugin::wit::Candle;
use tradebot_plugin::{
    PluginHost, PluginLimits, WasmMetaAgent, WasmSizing, WasmStrategy, bundled_plugin, sample_agents, sample_context,
    sample_predictions, sample_symbols,
};
use tradebot_risk::{SizingContext, SizingInput, SizingPolicy, TradeStats};

const TIMED: usize = 200_000;

fn report(name: &str, call: impl FnMut()) {
    tradebot_bench::report_percentiles(name, 10_000, TIMED, call);
}

fn main() {
    // PLUGIN_BENCH_LIVE=1: calls bounded by an epoch deadline (live) instead
    // of fuel (replay).
    let limits = if std::env::var_os("PLUGIN_BENCH_LIVE").is_some() {
        PluginLimits::live(std::time::Duration::from_millis(5))
    } else {
        PluginLimits::default()
    };
    let host = PluginHost::new(limits).unwrap();
    let mut c = Criterion::default().configure_from_args();

    // Sizing.
    let sizing = host.load(&bundled_plugin("sizing-fixed-fractional")).unwrap();
    let symbols = [tradebot_core::Symbol::new("BTCUSDT").unwrap()];
    let mut policy = WasmSizing::new(&host, &sizing, "", &symbols).unwrap();
    let stats = TradeStats::new();
    let mut price = 100.0;
    let mut size = move |policy: &mut WasmSizing| {
        price = if price > 110.0 { 100.0 } else { price + 0.01 };
        let input = SizingInput {
            equity: 10_000.0,
            price,
            stop: Some(price * 0.98),
            volatility: 0.01,
            stats: &stats,
            lot_size: 0.0,
            commission_fraction: 0.001,
        };
        let context = SizingContext {
            symbol: SymbolId(0),
            side: Side::Buy,
            confidence: 0.7,
            atr: 1.5,
            position: 0.0,
            exposure: 0.1,
        };
        let answer = policy.size(&input, &context);
        assert!(answer.fault.is_none());
        black_box(answer);
    };
    report("plugins/sizing_call", || size(&mut policy));
    c.bench_function("plugins/sizing_call", |b| b.iter(|| size(&mut policy)));

    // Meta-agent with six agents.
    let meta = host.load(&bundled_plugin("meta-confidence-weighted")).unwrap();
    let mut agent = WasmMetaAgent::new(&host, &meta, "", &sample_agents(), &sample_symbols()).unwrap();
    let predictions = sample_predictions();
    let context = sample_context();
    let combine = |agent: &mut WasmMetaAgent| {
        let out = agent.combine(predictions.iter().copied(), &context);
        assert!(out.fault.is_none());
        black_box(out);
    };
    report("plugins/meta_call_6_agents", || combine(&mut agent));
    c.bench_function("plugins/meta_call_6_agents", |b| b.iter(|| combine(&mut agent)));

    // Strategy.
    let strategy = host.load(&bundled_plugin("sma-cross")).unwrap();
    let mut s = WasmStrategy::new(&host, &strategy, "").unwrap();
    let mut i = 0i64;
    let mut on_bar = |s: &mut WasmStrategy| {
        i += 1;
        let p = 100.0 + (i as f64 / 7.0).sin();
        let candle = Candle {
            open_time_ns: i * 60_000_000_000,
            close_time_ns: (i + 1) * 60_000_000_000,
            open: p,
            high: p + 1.0,
            low: p - 1.0,
            close: p,
            volume: 1.0,
        };
        let signal = s.call(candle, &[p, p + (i as f64 / 11.0).cos()]);
        assert!(signal.fault.is_none());
        black_box(signal);
    };
    report("plugins/strategy_call", || on_bar(&mut s));
    c.bench_function("plugins/strategy_call", |b| b.iter(|| on_bar(&mut s)));

    // Instantiate and reload.
    c.bench_function("plugins/instantiate", |b| {
        b.iter(|| black_box(WasmSizing::new(&host, &sizing, "", &[]).unwrap()));
    });
    let bytes = std::fs::read(bundled_plugin("sizing-fixed-fractional")).unwrap();
    let path = bundled_plugin("sizing-fixed-fractional");
    let mut group = c.benchmark_group("plugins");
    group.sample_size(10);
    group.bench_function("reload", |b| {
        b.iter(|| {
            let loaded = host.load_bytes(&bytes, &path).unwrap();
            black_box(WasmSizing::new(&host, &loaded, "", &[]).unwrap())
        });
    });
    group.finish();
    c.final_summary();
}
