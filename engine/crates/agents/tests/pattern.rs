//! The pattern agent's contract, specified: an image card names its chart
//! geometry and nothing else, and the chart served at a bar is, pixel for
//! pixel, the chart training drew for that bar.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_cmp)]

use std::path::Path;

use tradebot_agents::{AgentRole, CardExpectation, ChartWindow, InputLayout, ModelCard, Normaliser};
use tradebot_chart::{ChartConfig, ChartRenderer};
use tradebot_core::{Candle, Timestamp};
use tradebot_features::FeatureSetDef;

fn image_card() -> ModelCard {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../models/trend-mlp/fold-0.json");
    let mut card = ModelCard::load(&path).unwrap();
    card.role = AgentRole::Pattern;
    card.input.layout = InputLayout::Image { height: 64, width: 64 };
    card.input.window = 21;
    card.input.columns.clear();
    card.input.normalisation = Normaliser::None;
    card.input.chart = Some(ChartConfig::default());
    card
}

#[test]
fn an_image_card_checks_and_an_inconsistent_one_is_refused_with_the_field() {
    let set = FeatureSetDef::agents_v1();
    let expect = CardExpectation { role: AgentRole::Pattern, feature_set: &set, interval: None };
    let path = Path::new("cnn/fold-0.json");
    assert_eq!(image_card().check(path, &expect).unwrap(), Vec::<usize>::new(), "an image model reads no column");
    let refused = |card: &ModelCard| card.check(path, &expect).unwrap_err().to_string();

    let mut no_chart = image_card();
    no_chart.input.chart = None;
    assert!(refused(&no_chart).contains("input.chart: an image model needs its chart geometry"));
    let mut other_size = image_card();
    other_size.input.layout = InputLayout::Image { height: 32, width: 64 };
    assert!(refused(&other_size).contains("input.chart: a 64x64 chart for a 32x64 image input"));
    let mut window = image_card();
    window.input.window = 20;
    assert!(refused(&window).contains("input.window: 20 bars, but the chart shows 21 candles"));
    let mut columns = image_card();
    columns.input.columns = vec!["ret_1".into()];
    assert!(refused(&columns).contains("input.columns: an image model reads no feature columns"));
    let mut zscore = image_card();
    zscore.input.normalisation = Normaliser::Zscore { mean: vec![], std: vec![], clip: 5.0 };
    assert!(refused(&zscore).contains("input.normalisation"));
    let mut flat_with_chart =
        ModelCard::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../models/trend-mlp/fold-0.json")).unwrap();
    flat_with_chart.input.chart = Some(ChartConfig::default());
    let trend = CardExpectation { role: AgentRole::Trend, feature_set: &set, interval: None };
    let err = flat_with_chart.check(path, &trend).unwrap_err().to_string();
    assert!(err.contains("input.chart: only an image model has a chart"), "{err}");
}

fn walk(n: usize, seed: u64) -> Vec<Candle> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut close = 100.0f64;
    (0..n)
        .map(|t| {
            let open = close;
            close = open * (1.0 + 0.004 * (rng.f64() * 2.0 - 1.0));
            Candle {
                open_time: Timestamp::from_nanos(t as i64 * 300_000_000_000),
                open,
                high: open.max(close) * (1.0 + 0.002 * rng.f64()),
                low: open.min(close) * (1.0 - 0.002 * rng.f64()),
                close,
                volume: 1.0 + 100.0 * rng.f64(),
            }
        })
        .collect()
}

#[test]
fn the_served_chart_is_the_trained_chart_at_every_bar() {
    for config in [ChartConfig::default(), ChartConfig { moving_average: false, ..ChartConfig::default() }] {
        let candles = walk(120, 3);
        let trained = ChartRenderer::new(config).unwrap().render_all(&candles).unwrap();
        let mut served = ChartWindow::new(config).unwrap();
        let mut image = vec![0.0f32; served.pixels()];
        for (t, c) in candles.iter().enumerate() {
            served.push(c);
            match trained.image_for_bar(t) {
                Some(want) => {
                    assert!(served.ready(), "bar {t}");
                    served.write(&mut image).unwrap();
                    assert_eq!(image.as_slice(), want, "bar {t}, moving average {}", config.moving_average);
                }
                None => assert!(!served.ready(), "bar {t}: training has no image yet"),
            }
        }
    }
}
