//! Agent inference per candle (issue 5's targets: trend p99 < 2 ms, pattern
//! p99 < 1 ms, volatility and regime p99 < 0.1 ms, the whole ensemble with
//! the meta-agent call p99 < 3 ms).
//!
//! * `agents/trend_lstm_shipped`: `models/trend-lstm` (LSTM 32 over 24 bars
//!   × 30 features): push the bar's feature row, run the model with tract.
//! * `agents/trend_mlp_shipped`: `models/trend-mlp` likewise.
//! * `agents/trend_lstm_128x100x50`: the reference size, an LSTM of
//!   128 units over 100 steps × 50 features (random weights, exported by
//!   tradebot-onnx), the whole window every call.
//! * `agents/pattern_chart_cnn`: render the 64×64 chart image of the last 21
//!   candles (tradebot-chart) and run an 8-channel 5×5 CNN on it.
//! * `agents/volatility_garch`: one GARCH(1,1) filter update.
//! * `agents/regime_hmm`: one forward-filter step of a 2-state Gaussian HMM.
//! * `agents/sentiment`: one bar close of the headline agent.
//! * `agents/ensemble`: all of the above for one candle plus the
//!   confidence-weighted meta-agent plugin call.
//!
//! Before criterion runs, each is timed call by call into an HDR histogram
//! and p50/p90/p99/p99.9/max are printed (ns).
//!
//! `RUST_BACKTRACE=0 cargo bench -p tradebot-bench --bench agents`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::Criterion;
use tradebot_agents::{AgentRole, CardExpectation, OnnxDirectionAgent};
use tradebot_chart::{ChartConfig, ChartStream};
use tradebot_core::{Candle, Symbol, Timestamp};
use tradebot_features::{FeatureMatrix, FeatureSetDef, Garch11, Garch11Params};
use tradebot_hmm::{Filter, GaussianHmm};
use tradebot_onnx::{Cnn, Lstm, OnnxRunner, export_cnn, export_lstm_classifier};
use tradebot_plugin::{
    PluginHost, PluginLimits, WasmMetaAgent, bundled_plugin, sample_agents, sample_context, sample_predictions,
    sample_symbols,
};
use tradebot_sentiment::{SentimentAgent, SentimentConfig, VaderScorer};

const TIMED: usize = 5_000;

fn report(name: &str, call: impl FnMut()) {
    tradebot_bench::report_percentiles(name, 500, TIMED, call);
}

/// A seeded random walk of 5-minute candles.
fn candles(n: usize) -> Vec<Candle> {
    let mut rng = fastrand::Rng::with_seed(5);
    let mut close = 100.0f64;
    (0..n)
        .map(|i| {
            let open = close;
            close *= 1.0 + (rng.f64() - 0.5) * 0.004;
            let (hi, lo) = (open.max(close) * (1.0 + rng.f64() * 0.001), open.min(close) * (1.0 - rng.f64() * 0.001));
            Candle {
                open_time: Timestamp::from_secs(1_515_000_000 + 300 * i as i64).unwrap(),
                open,
                high: hi,
                low: lo,
                close,
                volume: 10.0 + rng.f64() * 100.0,
            }
        })
        .collect()
}

fn weights(rng: &mut fastrand::Rng, n: usize, bound: f32) -> Vec<f32> {
    (0..n).map(|_| (rng.f32() * 2.0 - 1.0) * bound).collect()
}

fn shipped(name: &str, set: &FeatureSetDef) -> OnnxDirectionAgent {
    let card = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../models/{name}/fold-3.json"));
    let expect = CardExpectation { role: AgentRole::Trend, feature_set: set, interval: Some("5m") };
    OnnxDirectionAgent::load(&card, &expect).unwrap()
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let bars = candles(20_000);
    let set = FeatureSetDef::agents_v1();
    let rows = FeatureMatrix::compute(&set, &bars).unwrap();
    let mut cursor = 200usize;
    let mut next_row = move || {
        cursor = if cursor + 1 >= rows.len() { 200 } else { cursor + 1 };
        rows[cursor].clone()
    };
    // Rows are cloned outside the timed calls: the engine hands the agents
    // a borrowed row it already has.
    let sample_rows: Vec<Vec<f64>> = (0..4096).map(|_| next_row()).collect();
    // Feature-window models ignore the candle; one stands in for every bar.
    let bar = candles(1)[0];

    // Trend agents shipped in models/.
    for name in ["trend-lstm", "trend-mlp"] {
        let mut agent = shipped(name, &set);
        let mut i = 0usize;
        let mut step = |agent: &mut OnnxDirectionAgent| {
            agent.push(&bar, &sample_rows[i % sample_rows.len()]);
            i += 1;
            black_box(agent.forecast().unwrap());
        };
        let label = format!("agents/{}_shipped", name.replace('-', "_"));
        report(&label, || step(&mut agent));
        c.bench_function(&label, |b| b.iter(|| step(&mut agent)));
    }

    // The reference LSTM size.
    let mut rng = fastrand::Rng::with_seed(9);
    let (inputs, hidden, steps) = (50usize, 128usize, 100usize);
    let bound = 1.0 / (hidden as f32).sqrt();
    let lstm = Lstm {
        input_size: inputs,
        hidden_size: hidden,
        weight_ih: weights(&mut rng, 4 * hidden * inputs, bound),
        weight_hh: weights(&mut rng, 4 * hidden * hidden, bound),
        bias_ih: weights(&mut rng, 4 * hidden, bound),
        bias_hh: weights(&mut rng, 4 * hidden, bound),
        head_weights: weights(&mut rng, 3 * hidden, bound),
        head_bias: [0.0; 3],
    };
    let mut big = OnnxRunner::from_bytes(&export_lstm_classifier(&lstm).unwrap(), &[steps, 1, inputs]).unwrap();
    let window = weights(&mut rng, steps * inputs, 1.0);
    report("agents/trend_lstm_128x100x50", || {
        black_box(big.run(&window).unwrap());
    });
    c.bench_function("agents/trend_lstm_128x100x50", |b| b.iter(|| black_box(big.run(&window).unwrap()[0])));

    // Pattern: chart image + CNN.
    let cnn = Cnn {
        channels: 8,
        kernel_size: 5,
        pool_size: 2,
        conv_weights: weights(&mut rng, 8 * 25, 0.2),
        conv_bias: weights(&mut rng, 8, 0.1),
        head_weights: weights(&mut rng, 3 * 8, 0.3),
        head_bias: [0.0; 3],
    };
    let mut cnn_runner = OnnxRunner::from_bytes(&export_cnn(&cnn, 64, 64).unwrap(), &[1, 1, 64, 64]).unwrap();
    let mut chart = ChartStream::new(ChartConfig::default()).unwrap();
    let mut image = vec![0.0f32; 64 * 64];
    let mut k = 0usize;
    let mut pattern = |chart: &mut ChartStream, runner: &mut OnnxRunner, image: &mut Vec<f32>| {
        chart.push(bars[k % bars.len()]);
        k += 1;
        if chart.render_into(image).unwrap() {
            black_box(runner.run(image).unwrap()[0]);
        }
    };
    report("agents/pattern_chart_cnn", || pattern(&mut chart, &mut cnn_runner, &mut image));
    c.bench_function("agents/pattern_chart_cnn", |b| b.iter(|| pattern(&mut chart, &mut cnn_runner, &mut image)));

    // Volatility: GARCH(1,1) filter step.
    let mut garch = Garch11::new(Garch11Params { mu: 0.0, omega: 0.01, alpha: 0.08, beta: 0.9 });
    let mut g = 0usize;
    let mut vol = |garch: &mut Garch11| {
        g += 1;
        black_box(garch.update(bars[g % bars.len()].close));
    };
    report("agents/volatility_garch", || vol(&mut garch));
    c.bench_function("agents/volatility_garch", |b| b.iter(|| vol(&mut garch)));

    // Regime: HMM forward filter step.
    let hmm = GaussianHmm {
        start: vec![0.5, 0.5],
        transmat: vec![vec![0.95, 0.05], vec![0.1, 0.9]],
        means: vec![0.01, -0.02],
        variances: vec![0.04, 0.25],
    };
    let mut filter = Filter::new(&hmm).unwrap();
    let mut r = 0usize;
    let mut regime = |filter: &mut Filter| {
        r += 1;
        black_box(filter.update(((r % 17) as f64 - 8.0) * 0.05)[0]);
    };
    report("agents/regime_hmm", || regime(&mut filter));
    c.bench_function("agents/regime_hmm", |b| b.iter(|| regime(&mut filter)));

    // Sentiment: a bar close (headlines are scored when they arrive).
    let symbol: Symbol = "ETH_BTC".parse().unwrap();
    let mut sentiment =
        SentimentAgent::new(SentimentConfig::default(), VaderScorer::new(), std::slice::from_ref(&symbol)).unwrap();
    let mut close = Timestamp::from_secs(1_515_000_000).unwrap();
    let mut senti = |agent: &mut SentimentAgent| {
        // 1 µs bars: criterion makes tens of millions of calls, and 5-minute
        // steps would overflow the clock; the cost of a close does not
        // depend on the step.
        close = close.checked_add_nanos(1_000).unwrap();
        black_box(agent.on_bar_close(&symbol, close).unwrap());
    };
    report("agents/sentiment", || senti(&mut sentiment));
    c.bench_function("agents/sentiment", |b| b.iter(|| senti(&mut sentiment)));

    // The whole ensemble for one candle, meta-agent plugin call included.
    let host = PluginHost::new(PluginLimits::default()).unwrap();
    let meta = host.load(&bundled_plugin("meta-confidence-weighted")).unwrap();
    let mut meta_agent = WasmMetaAgent::new(&host, &meta, "", &sample_agents(), &sample_symbols()).unwrap();
    let predictions = sample_predictions();
    let context = sample_context();
    let mut lstm_agent = shipped("trend-lstm", &set);
    let mut mlp_agent = shipped("trend-mlp", &set);
    let mut e = 0usize;
    let mut ensemble = || {
        let row = &sample_rows[e % sample_rows.len()];
        e += 1;
        lstm_agent.push(&bar, row);
        mlp_agent.push(&bar, row);
        black_box(lstm_agent.forecast().unwrap());
        black_box(mlp_agent.forecast().unwrap());
        pattern(&mut chart, &mut cnn_runner, &mut image);
        vol(&mut garch);
        regime(&mut filter);
        senti(&mut sentiment);
        black_box(meta_agent.combine(predictions.iter().copied(), &context));
    };
    report("agents/ensemble", &mut ensemble);
    c.bench_function("agents/ensemble", |b| b.iter(&mut ensemble));
    c.final_summary();
}
