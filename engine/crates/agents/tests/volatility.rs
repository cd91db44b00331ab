//! The volatility agent's contract, specified: its card reads and checks
//! beside the direction cards (which still read and write byte for byte as
//! shipped), its training samples never look ahead, and the served agent
//! reproduces the training inputs and the trainer's arithmetic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use std::path::{Path, PathBuf};

use tradebot_agents::{
    AgentRole, CardExpectation, ModelCard, Normaliser, OutputKind, SeriesData, TimeAxis, VolatilitySamples,
    VolatilitySpec, VolatilityTarget,
};
use tradebot_core::{Candle, Timestamp};
use tradebot_features::FeatureSetDef;
use tradebot_garch::RollingGarchConfig;

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../models").join(name)
}

#[test]
fn the_shipped_trend_cards_read_and_write_back_byte_for_byte() {
    for model in ["trend-lstm", "trend-mlp"] {
        for k in 0..4 {
            let path = shipped(&format!("{model}/fold-{k}.json"));
            let card = ModelCard::load(&path).unwrap();
            assert_eq!(card.output.kind, OutputKind::Direction);
            assert!(card.output.volatility.is_none());
            assert_eq!(card.to_json(), std::fs::read_to_string(&path).unwrap(), "{}", path.display());
            let set = FeatureSetDef::agents_v1();
            let expect = CardExpectation { role: AgentRole::Trend, feature_set: &set, interval: Some("5m") };
            card.check(&path, &expect).unwrap();
        }
    }
}

fn volatility_card() -> ModelCard {
    let mut card = ModelCard::load(&shipped("trend-mlp/fold-0.json")).unwrap();
    card.role = AgentRole::Volatility;
    card.output.kind = OutputKind::Volatility;
    card.output.classes.clear();
    card.output.volatility = Some(VolatilitySpec {
        target: VolatilityTarget::NextBarParkinson,
        garch: RollingGarchConfig::default(),
        garch_input: Normaliser::Zscore { mean: vec![-1.0], std: vec![0.8], clip: 5.0 },
    });
    card
}

#[test]
fn a_volatility_card_checks_and_round_trips() {
    let card = volatility_card();
    let set = FeatureSetDef::agents_v1();
    let expect = CardExpectation { role: AgentRole::Volatility, feature_set: &set, interval: Some("5m") };
    let path = Path::new("vol/fold-0.json");
    assert_eq!(card.check(path, &expect).unwrap().len(), 30);
    let text = card.to_json();
    assert!(!text.contains("\"classes\""), "a volatility card lists no classes");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fold-0.json");
    std::fs::write(&file, &text).unwrap();
    assert_eq!(ModelCard::load(&file).unwrap(), card);
}

#[test]
fn an_inconsistent_volatility_card_is_refused_with_the_field() {
    let set = FeatureSetDef::agents_v1();
    let expect = CardExpectation { role: AgentRole::Volatility, feature_set: &set, interval: None };
    let path = Path::new("vol/fold-0.json");
    let refused = |card: &ModelCard| card.check(path, &expect).unwrap_err().to_string();

    let mut no_spec = volatility_card();
    no_spec.output.volatility = None;
    assert!(refused(&no_spec).contains("output.volatility: a volatility model needs this section"));

    let mut classes = volatility_card();
    classes.output.classes = vec!["down".into()];
    assert!(refused(&classes).contains("output.classes"));

    let mut bad_garch = volatility_card();
    if let Some(v) = &mut bad_garch.output.volatility {
        v.garch.min_returns = 10;
    }
    assert!(refused(&bad_garch).contains("output.volatility.garch: rolling GARCH: min_returns = 10"));

    let mut bad_norm = volatility_card();
    if let Some(v) = &mut bad_norm.output.volatility {
        v.garch_input = Normaliser::Zscore { mean: vec![0.0, 1.0], std: vec![1.0, 1.0], clip: 5.0 };
    }
    assert!(refused(&bad_norm).contains("output.volatility.garch_input"));

    let mut trend_kind = volatility_card();
    trend_kind.output.kind = OutputKind::Direction;
    trend_kind.output.classes = vec!["down".into(), "neutral".into(), "up".into()];
    trend_kind.output.volatility = None;
    assert!(refused(&trend_kind).contains("role volatility does not go with output kind Direction"));
}

/// A random-walk market with a volatility burst, one feature column (the
/// bar index) so a sample's window can be traced.
fn market(n: usize, seed: u64) -> (Vec<Candle>, Vec<Vec<f64>>) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut close = 100.0;
    let mut candles = Vec::with_capacity(n);
    for t in 0..n {
        let scale = if (n / 2..n / 2 + 50).contains(&t) { 0.01 } else { 0.003 };
        let open = close;
        close = open * (1.0 + scale * (rng.f64() * 2.0 - 1.0));
        let high = open.max(close) * (1.0 + scale * rng.f64());
        let low = open.min(close) * (1.0 - scale * rng.f64());
        candles.push(Candle {
            open_time: Timestamp::from_nanos(t as i64 * 300_000_000_000),
            open,
            high,
            low,
            close,
            volume: 1.0,
        });
    }
    let features = (0..n).map(|t| vec![t as f64]).collect();
    (candles, features)
}

fn garch() -> RollingGarchConfig {
    RollingGarchConfig { fit_window: 300, refit_every: 50, min_returns: 200 }
}

fn collect(candles: &[Candle], features: &[Vec<f64>]) -> VolatilitySamples {
    let series = [SeriesData { symbol: "X", candles, features }];
    let axis = TimeAxis::new(&series);
    VolatilitySamples::collect(&series, &axis, &[0], 3, garch()).unwrap()
}

#[test]
fn samples_pair_a_bars_garch_forecast_with_the_next_bars_range_and_never_look_ahead() {
    let (candles, features) = market(800, 1);
    let all = collect(&candles, &features);
    // The GARCH needs 200 returns (201 closes): the first sample is bar 200;
    // the last bar has no next bar.
    assert_eq!(all.samples.first().unwrap().at.bar, 200);
    assert_eq!(all.samples.last().unwrap().at.bar, 798);
    let s = all.samples[10];
    let next = &candles[s.at.bar as usize + 1];
    assert_eq!(Some(s.realised), tradebot_agents::parkinson_variance(next.high, next.low));

    // Altering every bar from 600 on changes no sample before bar 599 (whose
    // target is bar 600's range), neither its GARCH input nor its target.
    let mut altered = candles.clone();
    for c in &mut altered[600..] {
        c.high *= 1.05;
        c.close *= 1.01;
    }
    let changed = collect(&altered, &features);
    let before = |x: &VolatilitySamples| x.samples.iter().filter(|s| s.at.bar < 599).copied().collect::<Vec<_>>();
    assert_eq!(before(&all), before(&changed));
    assert_ne!(all.samples.last(), changed.samples.last(), "the alteration is real");
}

#[test]
fn inputs_are_the_window_then_the_garch_value_normalised_on_the_training_samples() {
    let (candles, features) = market(500, 2);
    let all = collect(&candles, &features);
    let series = [SeriesData { symbol: "X", candles: &candles, features: &features }];
    let train = &all.samples[..100];
    let (norm, garch_input) = all.fit_normalisers(&series, train, 5.0);
    let x = all.inputs(&series, train, &norm, &garch_input);
    assert_eq!(all.input_len(), 4);
    assert_eq!(x.len(), 400);
    let Normaliser::Zscore { mean, .. } = &garch_input else { panic!("{garch_input:?}") };
    let mean_log = train.iter().map(|s| s.garch_variance.ln()).sum::<f64>() / 100.0;
    assert!((mean[0] - mean_log).abs() < 1e-12, "fitted on the training samples' ln(garch)");
    // The window of sample k is bars t-2, t-1, t (normalised), then ln(garch).
    let s = train[7];
    let t = f64::from(s.at.bar);
    let row = &x[28..32];
    for (j, bar) in [t - 2.0, t - 1.0, t].into_iter().enumerate() {
        assert_eq!(row[j], norm.apply(0, bar));
    }
    assert_eq!(row[3], garch_input.apply(0, s.garch_variance.ln()));
    let q = VolatilitySamples::ratios(&train[7..8])[0];
    assert!((f64::from(q) - s.realised / (s.garch_variance * 1e-4)).abs() < 1e-6 * f64::from(q).max(1.0));
}
