//! Kernel (engine spine) benchmarks on one synthetic one-minute market.
//!
//! * `replay/sma_cross_fused_1m_1m_candles`: `tradebot_kernel::run` over
//!   1,000,000 candles with SMA crossover (10, 20) long/short, the default
//!   risk engine (fixed 2 % stop, every limit) and the default simulated
//!   broker (commission, spread, slippage), fused, no latency sampling;
//!   `..._telemetry` samples one event in 16 (the replay command's default);
//!   `sma_cross_pipelined_2t_1m_candles` runs two pinned lanes joined by rings.
//!   Every output of the recorder is discarded. Throughput is candles/s.
//! * `ring/hop_latency`: one hop of a `BarEvent` through a kernel ring between
//!   two threads pinned to different cores (ping-pong, hop = round trip / 2).
//!   Before it is measured, 100,000 round trips are also timed one by one and
//!   the one-way percentiles are printed.
//! * `stages/{features,signal,account}`: one event through one stage with warm
//!   state, cycling through 4,096 pre-generated events of a closed walk (the
//!   account stage is rebuilt and warmed with one untimed lap before each
//!   timed lap, so its equity neither compounds without bound nor halts).
//!
//! The market is a seeded random walk of the log price (uniform noise plus a
//! drift that persists for 200 to 1,999 bars and then changes), at 8 price
//! decimals. The persistent drift gives the trend-follower enough edge to
//! survive the costs, so the risk engine does not halt it after a few weeks
//! and the whole million exercises orders, fills, stops and limits. Each
//! replay variant checks once, outside the timing, that the run traded and
//! that fused and pipelined runs agree.
//!
//! `cargo bench -p tradebot-bench --bench kernel` (filters: `replay`, `ring`,
//! `stages`, or a full name)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use hdrhistogram::Histogram;
use tradebot_core::{Interval, RawCandle, Scale, Symbol, SymbolId, Timestamp};
use tradebot_exec::SimBrokerConfig;
use tradebot_kernel::record::Record;
use tradebot_kernel::{
    AccountStage, BarEvent, EventKind, FeatureLayout, FeatureStage, Feed, KernelConfig, Mono, PipelineMode, RecordSink,
    RecorderOutputs, ReplaySource, RiskFeatureParams, RunInput, RunOutput, SignalStage, Sizer, Telemetry, ring,
};
use tradebot_risk::RiskConfig;
use tradebot_strategy::StrategyConfig;

const CANDLES: usize = 1_000_000;
const MINUTE_NS: i64 = 60_000_000_000;
/// 2020-01-01T00:00:00Z, on the one-minute grid.
const START_NS: i64 = 1_577_836_800_000_000_000;
const PERIODS_PER_YEAR: f64 = 525_600.0;
/// Events the stage benchmarks cycle through (~1 MB of `BarEvent`s: L2-sized).
const STAGE_EVENTS: usize = 4096;
/// Round trips timed one by one for the ring's percentiles.
const HOP_SAMPLES: u64 = 100_000;

/// splitmix64: deterministic, dependency-free pseudo-random numbers.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `-m..=m`.
    fn symmetric(&mut self, m: i64) -> i64 {
        self.below(2 * m as u64 + 1) as i64 - m
    }
}

/// Log-price steps, in millionths (1 = 0.0001 %).
const NOISE: i64 = 1_500; // uniform ±0.15 % a minute (σ ≈ 0.087 %)
const MAX_DRIFT: i64 = 375; // up to ±0.0375 % a minute
/// Log distance from the start price at which new drift regimes point back
/// towards it 90 % of the time (keeps the price within a few multiples).
const BAND: i64 = 1_386_294; // ln 4

/// `n` steps of the log price: noise plus a drift regime of random sign,
/// size and length (200 to 1,999 bars).
fn log_steps(seed: u64, n: usize) -> Vec<i64> {
    let mut rng = SplitMix(seed);
    let (mut level, mut drift, mut left) = (0i64, 0i64, 0u64);
    (0..n)
        .map(|_| {
            if left == 0 {
                left = 200 + rng.below(1800);
                let p_down = (0.5 + level as f64 / (2.0 * BAND as f64) * 0.8).clamp(0.1, 0.9);
                let down = (rng.below(1 << 20) as f64) < p_down * f64::from(1 << 20);
                let size = rng.below(MAX_DRIFT as u64 + 1) as i64;
                drift = if down { -size } else { size };
            }
            left -= 1;
            let step = drift + rng.symmetric(NOISE);
            level += step;
            step
        })
        .collect()
}

/// Valid one-minute OHLCV bars from log-price steps: 8 price decimals from
/// 100.0, open = previous close, wicks of up to 0.05 %, volume 0.1 to 100
/// units (8 decimals), opening at `START_NS` + i minutes.
fn candles_from_steps(seed: u64, steps: &[i64]) -> Vec<RawCandle> {
    let mut rng = SplitMix(seed);
    let price = |level: i64| ((100f64.ln() + level as f64 * 1e-6).exp() * 1e8).round().max(1.0) as i64;
    let mut level = 0i64;
    let mut close = price(0);
    steps
        .iter()
        .enumerate()
        .map(|(i, &step)| {
            let open = close;
            level += step;
            close = price(level);
            let top = open.max(close);
            let bottom = open.min(close);
            let high = top + rng.below(top as u64 / 2000 + 1) as i64;
            let low = (bottom - rng.below(bottom as u64 / 2000 + 1) as i64).max(1);
            let volume = 10_000_000 + rng.below(10_000_000_000) as i64;
            RawCandle { open_time: START_NS + i as i64 * MINUTE_NS, open, high, low, close, volume }
        })
        .collect()
}

/// The replayed market: `CANDLES` bars.
fn market() -> Vec<RawCandle> {
    let candles = candles_from_steps(0xC0FF_EE00_D15E_A5E5, &log_steps(0x5EED_0000_0000_0001, CANDLES));
    check_candles(&candles);
    let low = candles.iter().map(|c| c.low).min().unwrap() as f64 / 1e8;
    let high = candles.iter().map(|c| c.high).max().unwrap() as f64 / 1e8;
    println!("market: {CANDLES} one-minute bars, prices {low:.2} to {high:.2}");
    candles
}

/// A closed walk for the stage benchmarks: the steps are detrended to sum to
/// exactly zero, so the last close equals the first open and cycling through
/// the bars has no gap at the seam.
fn stage_market() -> Vec<RawCandle> {
    let mut steps = log_steps(0x5EED_0000_0000_0002, STAGE_EVENTS);
    let total: i64 = steps.iter().sum();
    let n = steps.len() as i64;
    for (i, s) in steps.iter_mut().enumerate() {
        // Subtract total/n from every step, the remainder spread over the first ones.
        *s -= total.div_euclid(n) + i64::from((i as i64) < total.rem_euclid(n));
    }
    assert_eq!(steps.iter().sum::<i64>(), 0);
    let candles = candles_from_steps(0xC0FF_EE00_D15E_A5E6, &steps);
    check_candles(&candles);
    assert_eq!(candles.first().unwrap().open, candles.last().unwrap().close);
    candles
}

fn check_candles(candles: &[RawCandle]) {
    let mut prev_close = None;
    for (i, c) in candles.iter().enumerate() {
        assert_eq!(c.open_time, START_NS + i as i64 * MINUTE_NS);
        assert!(c.sanity_violation().is_none(), "bar {i}: {c:?}");
        assert!(c.low > 0 && c.low <= c.open.min(c.close) && c.high >= c.open.max(c.close) && c.volume > 0);
        assert!(prev_close.is_none_or(|p| p == c.open), "bar {i} does not open at the previous close");
        prev_close = Some(c.close);
    }
}

fn scale() -> Scale {
    Scale::new(8).unwrap()
}

fn symbols() -> Vec<Symbol> {
    vec![Symbol::new("SYN_BTC").unwrap()]
}

fn feeds(candles: &[RawCandle]) -> Vec<Feed<'_>> {
    vec![Feed { symbol: SymbolId(0), interval: Interval::M1, candles, price_scale: scale(), qty_scale: scale() }]
}

/// SMA crossover (10, 20) long/short under the default risk engine and broker.
fn config(mode: PipelineMode, threads: usize, latency_sample_every: u64) -> KernelConfig {
    let mut config = KernelConfig {
        strategy: StrategyConfig::SmaCross { fast: 10, slow: 20, long_short: true },
        risk: RiskConfig::default(),
        broker: SimBrokerConfig::default(),
        ..KernelConfig::default()
    };
    config.pipeline.mode = mode;
    config.pipeline.threads = threads;
    config.pipeline.latency_sample_every = latency_sample_every;
    config
}

fn replay(candles: &[RawCandle], config: &KernelConfig) -> RunOutput {
    let input = RunInput {
        feeds: feeds(candles),
        symbols: symbols(),
        config: config.clone(),
        periods_per_year: PERIODS_PER_YEAR,
        progress: None,
        slots: None,
        agents: None,
    };
    tradebot_kernel::run(input, RecorderOutputs::discard()).unwrap()
}

/// Runs once untimed: the run must have traded, and agree with the fused
/// reference run.
fn check_replay(name: &str, candles: &[RawCandle], config: &KernelConfig, reference: &RunOutput) {
    let out = replay(candles, config);
    let m = &out.metrics;
    println!(
        "{name}: {} events, {} trades, {} fills, {} decisions ({} refused), final equity {:.2}, max drawdown {:.2} %, \
         fees {:.2}, halted: {:?}, lanes {:?}",
        out.events,
        m.total_trades,
        out.recorded.counts.fills,
        out.recorded.counts.decisions,
        out.recorded.counts.refusals,
        m.final_equity,
        m.max_drawdown * 100.0,
        m.fees_paid,
        out.halted,
        out.lanes.describe(),
    );
    assert_eq!(out.events, CANDLES as u64 + 1);
    assert!(m.total_trades > 100, "{name}: only {} trades: the bench would not measure real work", m.total_trades);
    assert_eq!(m.total_trades, reference.metrics.total_trades, "{name} disagrees with the fused run");
    assert_eq!(m.final_equity.to_bits(), reference.metrics.final_equity.to_bits(), "{name} disagrees with fused");
}

fn bench_replay(c: &mut Criterion, candles: &[RawCandle]) {
    let variants = [
        ("sma_cross_fused_1m_1m_candles", config(PipelineMode::Fused, 1, 0)),
        ("sma_cross_fused_telemetry_1m_candles", config(PipelineMode::Fused, 1, 16)),
        ("sma_cross_pipelined_2t_1m_candles", config(PipelineMode::Pipelined, 2, 0)),
    ];
    let mut reference: Option<RunOutput> = None;
    let mut g = c.benchmark_group("replay");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(CANDLES as u64));
    for (name, config) in &variants {
        let mut checked = false;
        g.bench_function(*name, |b| {
            if !checked {
                let reference = reference.get_or_insert_with(|| replay(candles, &variants[0].1));
                check_replay(name, candles, config, reference);
                checked = true;
            }
            b.iter(|| replay(black_box(candles), config));
        });
    }
    g.finish();
}

/// The cores the two ends of a ring run on (none: unpinned).
fn two_cores() -> [Option<core_affinity::CoreId>; 2] {
    match core_affinity::get_core_ids() {
        Some(ids) if ids.len() >= 2 => [Some(ids[0]), Some(ids[1])],
        _ => [None, None],
    }
}

fn pin(core: Option<core_affinity::CoreId>) {
    if let Some(core) = core {
        assert!(core_affinity::set_for_current(core), "could not pin to {core:?}");
    }
}

/// A bar event as the features and signal stages leave it.
fn sample_event() -> BarEvent {
    let raw = RawCandle {
        open_time: START_NS,
        open: 10_000_000_000,
        high: 10_010_000_000,
        low: 9_990_000_000,
        close: 10_005_000_000,
        volume: 1_000_000_000,
    };
    let time = Timestamp::from_nanos(START_NS + MINUTE_NS);
    let mut ev = BarEvent::new(EventKind::Bar, 0, SymbolId(0), raw.to_candle(scale(), scale()), time, true);
    ev.features.iter_mut().enumerate().for_each(|(i, f)| *f = 100.0 + i as f64);
    ev
}

/// `trips` ping-pongs of a `BarEvent`: thread A (core 0) pushes, thread B
/// (core 1) pops and pushes it back on a second ring, A pops. Returns the
/// total time of the timed trips; with `each`, every round trip is also timed
/// on its own and recorded in nanoseconds.
fn ping_pong(trips: u64, each: Option<&mut Histogram<u64>>) -> Duration {
    const WARM_UP: u64 = 10_000;
    let [core_a, core_b] = two_cores();
    let capacity = KernelConfig::default().pipeline.ring_capacity;
    let (to_b, from_a) = ring::<BarEvent>(capacity);
    let (to_a, from_b) = ring::<BarEvent>(capacity);
    std::thread::scope(|s| {
        s.spawn(move || {
            pin(core_b);
            loop {
                let ev = from_a.pop_wait();
                let end = ev.kind == EventKind::End;
                to_a.push_wait(ev);
                if end {
                    break;
                }
            }
        });
        let a = s.spawn(move || {
            pin(core_a);
            let mut ev = sample_event();
            for i in 0..WARM_UP {
                ev.seq = i;
                to_b.push_wait(ev);
                ev = from_b.pop_wait();
            }
            let total = match each {
                None => {
                    let start = Instant::now();
                    for i in 0..trips {
                        ev.seq = i;
                        to_b.push_wait(ev);
                        ev = black_box(from_b.pop_wait());
                    }
                    start.elapsed()
                }
                Some(hist) => {
                    let mut total = Duration::ZERO;
                    for i in 0..trips {
                        ev.seq = i;
                        let start = Instant::now();
                        to_b.push_wait(ev);
                        ev = black_box(from_b.pop_wait());
                        let rt = start.elapsed();
                        total += rt;
                        hist.saturating_record(u64::try_from(rt.as_nanos()).unwrap_or(u64::MAX));
                    }
                    total
                }
            };
            to_b.push_wait(BarEvent::end(trips, ev.time));
            from_b.pop_wait();
            total
        });
        a.join().unwrap()
    })
}

fn print_hop_percentiles() {
    let mut hist = Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 3).unwrap();
    ping_pong(HOP_SAMPLES, Some(&mut hist));
    let pinned = if two_cores()[0].is_some() { "pinned to cores 0 and 1" } else { "unpinned" };
    let hop = |q: f64| hist.value_at_quantile(q) as f64 / 2.0;
    println!(
        "ring/hop_latency: {HOP_SAMPLES} round trips of a {}-byte BarEvent, threads {pinned}; one-way hop \
         (round trip / 2, each including one clock read): p50 {:.1} ns, p90 {:.1} ns, p99 {:.1} ns, \
         p99.9 {:.1} ns, max {:.1} ns, mean {:.1} ns",
        size_of::<BarEvent>(),
        hop(0.5),
        hop(0.9),
        hop(0.99),
        hop(0.999),
        hist.max() as f64 / 2.0,
        hist.mean() / 2.0,
    );
}

fn bench_ring(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring");
    g.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    let mut printed = false;
    g.bench_function("hop_latency", |b| {
        if !printed {
            print_hop_percentiles();
            printed = true;
        }
        // One criterion iteration is one hop: `iters` round trips are `2 * iters` hops.
        b.iter_custom(|iters| ping_pong(iters, None) / 2);
    });
    g.finish();
}

/// Discards the account stage's records (after making sure they were built).
struct Discard;

impl RecordSink for Discard {
    #[inline]
    fn record(&mut self, record: &Record) {
        black_box(record);
    }
}

/// Moves every event of a sequence on by the sequence's span, so a sequence
/// replayed again continues in time instead of running backwards.
fn shift(events: &mut [BarEvent]) {
    let span = events.len() as i64 * MINUTE_NS;
    for ev in events {
        ev.time = Timestamp::from_nanos(ev.time.as_nanos() + span);
        ev.bar.open_time = Timestamp::from_nanos(ev.bar.open_time.as_nanos() + span);
    }
}

/// Pre-generated events, processed in place one after another, starting over
/// at the end.
struct Cycle {
    events: Vec<BarEvent>,
    pos: usize,
}

impl Cycle {
    /// Processes the next `iters` events with `process`, timing only that;
    /// each time the sequence is exhausted, it is shifted in time and handed
    /// to `restart` (untimed) before it starts over.
    fn run<S>(
        &mut self,
        state: &mut S,
        iters: u64,
        process: impl Fn(&mut S, &mut BarEvent),
        restart: impl Fn(&mut S, &mut [BarEvent]),
    ) -> Duration {
        let mut total = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let n = (self.events.len() - self.pos).min(usize::try_from(left).unwrap_or(usize::MAX));
            let chunk = &mut self.events[self.pos..self.pos + n];
            let start = Instant::now();
            for ev in chunk {
                process(state, black_box(ev));
            }
            total += start.elapsed();
            self.pos += n;
            left -= n as u64;
            if self.pos == self.events.len() {
                self.pos = 0;
                shift(&mut self.events);
                restart(state, &mut self.events);
            }
        }
        total
    }
}

fn no_restart<S>(_: &mut S, _: &mut [BarEvent]) {}

/// The stages as `runner::build` makes them, for one symbol.
fn build_stages(config: &KernelConfig) -> (FeatureStage, SignalStage, FeatureLayout) {
    let bundle = SignalStage::bundle(&config.strategy, &symbols(), &[], None).unwrap();
    let requested = SignalStage::requested_features(&bundle);
    let risk = RiskFeatureParams::for_config(config);
    let (specs, layout) = FeatureLayout::build(&requested, &[], risk).unwrap();
    (FeatureStage::new(1, &specs).unwrap(), SignalStage::new(bundle, layout), layout)
}

/// The account stage with what it needs to process an event.
struct Account {
    stage: AccountStage,
    tel: Telemetry,
    sink: Discard,
}

impl Account {
    fn new(config: &KernelConfig, layout: FeatureLayout) -> Self {
        // Months of a few laps of the cycle (capacity of the monthly returns).
        let months = 3;
        Account {
            stage: AccountStage::new(
                config,
                Sizer::Native(config.sizing.clone()),
                &symbols(),
                layout,
                PERIODS_PER_YEAR,
                months,
            )
            .unwrap(),
            tel: Telemetry::new(0, Mono::new()),
            sink: Discard,
        }
    }

    #[inline]
    fn process(&mut self, ev: &BarEvent) {
        self.stage.process(ev, &mut self.tel, 0, &mut self.sink);
    }
}

fn bench_stages(c: &mut Criterion) {
    let candles = stage_market();
    let config = config(PipelineMode::Fused, 1, 0);
    let (mut features, mut signal, layout) = build_stages(&config);
    let feed = feeds(&candles);
    let mut source = ReplaySource::new(&feed, None);
    let bars: Vec<BarEvent> = std::iter::from_fn(|| source.next_event()).filter(|e| e.kind == EventKind::Bar).collect();
    assert_eq!(bars.len(), STAGE_EVENTS);

    // Each stage's input is what the stage before it produced on its second
    // (warm) lap. The features and signal stages keep their state for the
    // whole benchmark (it is bounded: windows of the last bars). The account
    // stage's state is not (equity compounds, and a losing strategy halts),
    // so before every timed lap it is rebuilt and warmed with one untimed lap:
    // each timed event meets an account one lap (2.8 days of bars) old.
    let mut feature_in = Cycle { events: bars, pos: 0 };
    for _ in 0..2 {
        feature_in.run(&mut features, STAGE_EVENTS as u64, |f, ev| f.process(ev), no_restart);
    }
    let mut signal_in = Cycle { events: feature_in.events.clone(), pos: 0 };
    for _ in 0..2 {
        signal_in.run(&mut signal, STAGE_EVENTS as u64, |s, ev| s.process(ev), no_restart);
    }
    let decisions = signal_in.events.iter().filter(|e| e.signal.target.is_some()).count();
    assert!(decisions > 20, "only {decisions} decisions in the stage cycle");

    let restart_account = |acc: &mut Account, events: &mut [BarEvent]| {
        *acc = Account::new(&config, layout);
        for ev in events.iter() {
            acc.process(ev);
        }
        shift(events);
    };
    let mut account_in = Cycle { events: signal_in.events.clone(), pos: 0 };
    let mut account = Account::new(&config, layout);
    restart_account(&mut account, &mut account_in.events);
    // What one lap does to a warm account (all but its last event, so the
    // restart at the end of the lap does not discard the state yet).
    let before = account.stage.metrics().total_trades;
    account_in.run(&mut account, STAGE_EVENTS as u64 - 1, |a, ev| a.process(ev), no_restart);
    let lap_trades = account.stage.metrics().total_trades - before;
    assert!(lap_trades > 20, "only {lap_trades} trades in a lap of the stage cycle");
    assert!(account.stage.risk().halted().is_none(), "the account stage halted");
    println!(
        "stages: cycling through {STAGE_EVENTS} events ({decisions} with a decision, {lap_trades} trades a lap \
         on a warm account)"
    );
    account_in.run(&mut account, 1, |a, ev| a.process(ev), restart_account);

    let mut g = c.benchmark_group("stages");
    g.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    g.bench_function("features", |b| {
        b.iter_custom(|iters| feature_in.run(&mut features, iters, |f, ev| f.process(ev), no_restart))
    });
    g.bench_function("signal", |b| {
        b.iter_custom(|iters| signal_in.run(&mut signal, iters, |s, ev| s.process(ev), no_restart))
    });
    g.bench_function("account", |b| {
        b.iter_custom(|iters| account_in.run(&mut account, iters, |a, ev| a.process(ev), restart_account))
    });
    g.finish();
}

fn main() {
    let candles = market();
    let mut c = Criterion::default().configure_from_args();
    bench_replay(&mut c, &candles);
    bench_ring(&mut c);
    bench_stages(&mut c);
    c.final_summary();
}
