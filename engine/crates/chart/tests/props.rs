//! Properties every image has, on random windows and geometries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use tradebot_chart::{ChartConfig, ChartRenderer, ChartStream};
use tradebot_core::{Candle, Timestamp};

/// A valid bar: low in [1, 100], high up to 30% above, open/close inside,
/// volume zero one time in five.
fn candle() -> impl Strategy<Value = Candle> {
    (1.0..100.0_f64, 0.0..0.3_f64, 0.0..=1.0_f64, 0.0..=1.0_f64, prop_oneof![1 => Just(0.0), 4 => 0.0..1e4_f64])
        .prop_map(|(low, spread, o, c, volume)| {
            let high = low * (1.0 + spread);
            Candle {
                open_time: Timestamp::from_nanos(0),
                open: low + o * (high - low),
                high,
                low,
                close: low + c * (high - low),
                volume,
            }
        })
}

/// Some bars are exact copies of a neighbour's prices or have open == high
/// etc., via the 0.0/1.0 ends of the ranges above; flat windows are covered
/// in the spec tests.
fn config() -> impl Strategy<Value = ChartConfig> {
    (1..=8_usize, 0..=2_usize, 4..=40_usize, 0..=12_usize, any::<bool>()).prop_map(
        |(candles, blank, height, volume, moving_average)| ChartConfig {
            height,
            width: 3 * candles + blank,
            candles,
            volume_height: volume.min(height.saturating_sub(3)),
            moving_average,
        },
    )
}

/// A config and a series at least one window long (up to about 3 windows).
fn case() -> impl Strategy<Value = (ChartConfig, Vec<Candle>)> {
    config().prop_flat_map(|cfg| {
        let n = cfg.candles;
        (Just(cfg), prop::collection::vec(candle(), n..=3 * n + 2))
    })
}

fn render(cfg: ChartConfig, candles: &[Candle]) -> Vec<f32> {
    ChartRenderer::new(cfg).unwrap().render(candles).unwrap().into_pixels()
}

fn lit(img: &[f32], cfg: &ChartConfig, row: usize, col: usize) -> bool {
    img[row * cfg.width + col] == 1.0
}

/// Rows lit in `col` between `rows`.
fn lit_rows(img: &[f32], cfg: &ChartConfig, col: usize, rows: std::ops::Range<usize>) -> Vec<usize> {
    rows.filter(|&r| lit(img, cfg, r, col)).collect()
}

fn contiguous(rows: &[usize]) -> bool {
    rows.windows(2).all(|w| w[1] == w[0] + 1)
}

proptest! {
    #[test]
    fn every_pixel_is_black_or_white((cfg, candles) in case()) {
        let img = render(cfg, &candles);
        prop_assert_eq!(img.len(), cfg.height * cfg.width);
        prop_assert!(img.iter().all(|&v| v == 0.0 || v == 1.0));
    }

    /// Without the moving average, each candle's 3 columns hold exactly its
    /// bar, ticks and volume bar.
    #[test]
    fn each_column_triple_draws_its_candle((cfg, candles) in case()) {
        let cfg = ChartConfig { moving_average: false, ..cfg };
        let img = render(cfg, &candles);
        let window = &candles[candles.len() - cfg.candles..];
        let price_rows = cfg.price_rows();
        let blank = cfg.blank_columns();
        for col in 0..blank {
            prop_assert!(lit_rows(&img, &cfg, col, 0..cfg.height).is_empty(), "blank column {} lit", col);
        }
        if cfg.volume_height > 0 {
            let gap = price_rows;
            prop_assert!((0..cfg.width).all(|c| !lit(&img, &cfg, gap, c)), "gap row lit");
        }
        let max_high = window.iter().map(|c| c.high).fold(f64::MIN, f64::max);
        let min_low = window.iter().map(|c| c.low).fold(f64::MAX, f64::min);
        let max_volume = window.iter().map(|c| c.volume).fold(0.0, f64::max);
        let mut bars = Vec::new();
        for (j, c) in window.iter().enumerate() {
            let left = blank + 3 * j;
            let bar = lit_rows(&img, &cfg, left + 1, 0..price_rows);
            prop_assert!(!bar.is_empty() && contiguous(&bar), "candle {} bar {:?}", j, bar);
            let (top, bottom) = (bar[0], bar[bar.len() - 1]);
            let open = lit_rows(&img, &cfg, left, 0..price_rows);
            let close = lit_rows(&img, &cfg, left + 2, 0..price_rows);
            prop_assert_eq!(open.len(), 1, "candle {} open tick {:?}", j, open);
            prop_assert_eq!(close.len(), 1, "candle {} close tick {:?}", j, close);
            prop_assert!((top..=bottom).contains(&open[0]) && (top..=bottom).contains(&close[0]));
            if c.open == c.high { prop_assert_eq!(open[0], top); }
            if c.close == c.low { prop_assert_eq!(close[0], bottom); }
            if c.high == max_high { prop_assert_eq!(top, 0); }
            if c.low == min_low && max_high > min_low { prop_assert_eq!(bottom, price_rows - 1); }

            let volume_area = cfg.height - cfg.volume_height..cfg.height;
            prop_assert!(lit_rows(&img, &cfg, left, volume_area.clone()).is_empty());
            prop_assert!(lit_rows(&img, &cfg, left + 2, volume_area.clone()).is_empty());
            let vol = lit_rows(&img, &cfg, left + 1, volume_area);
            prop_assert!(contiguous(&vol) && vol.last().is_none_or(|&r| r == cfg.height - 1), "volume {:?}", vol);
            if c.volume == 0.0 { prop_assert!(vol.is_empty()); }
            if c.volume == max_volume && max_volume > 0.0 { prop_assert_eq!(vol.len(), cfg.volume_height); }
            bars.push((c, top, bottom, vol.len()));
        }
        // Higher prices are never drawn lower, bigger volumes never shorter.
        for a in &bars {
            for b in &bars {
                if a.0.high > b.0.high { prop_assert!(a.1 <= b.1); }
                if a.0.low > b.0.low { prop_assert!(a.2 <= b.2); }
                if a.0.volume > b.0.volume { prop_assert!(a.3 >= b.3); }
            }
        }
    }

    /// The moving average draws only in the price area of the candle
    /// columns, and when it stays inside the window's low-high range (so the
    /// scale is unchanged) it only adds pixels to the plain chart.
    #[test]
    fn moving_average_only_adds_price_pixels((cfg, candles) in case()) {
        let with = render(ChartConfig { moving_average: true, ..cfg }, &candles);
        let without = render(ChartConfig { moving_average: false, ..cfg }, &candles);
        let n = cfg.candles;
        let window = &candles[candles.len() - n..];
        let lo = window.iter().map(|c| c.low).fold(f64::MAX, f64::min);
        let hi = window.iter().map(|c| c.high).fold(f64::MIN, f64::max);
        let ma_inside = (candles.len() - n..candles.len())
            .filter(|&k| k + 1 >= n)
            .map(|k| candles[k + 1 - n..=k].iter().map(|c| c.close).sum::<f64>() / n as f64)
            .all(|m| m > lo * (1.0 + 1e-9) && m < hi * (1.0 - 1e-9));
        for (i, (&w, &wo)) in with.iter().zip(&without).enumerate() {
            let (row, col) = (i / cfg.width, i % cfg.width);
            if row >= cfg.price_rows() || col < cfg.blank_columns() {
                prop_assert_eq!(w, wo, "MA changed ({}, {})", row, col);
            }
            if ma_inside && wo == 1.0 {
                prop_assert_eq!(w, 1.0, "MA removed ({}, {})", row, col);
            }
        }
    }

    #[test]
    fn scaling_prices_or_volumes_changes_nothing(
        (cfg, candles) in case(),
        price_factor in 1e-6..1e6_f64,
        volume_factor in 1e-6..1e6_f64,
    ) {
        let scaled: Vec<Candle> = candles
            .iter()
            .map(|c| Candle {
                open: c.open * price_factor,
                high: c.high * price_factor,
                low: c.low * price_factor,
                close: c.close * price_factor,
                volume: c.volume * volume_factor,
                ..*c
            })
            .collect();
        prop_assert_eq!(render(cfg, &candles), render(cfg, &scaled));
    }

    /// The image for bar t is the same whatever comes after t, in the
    /// dataset and in the stream.
    #[test]
    fn no_look_ahead((cfg, candles) in case(), future in prop::collection::vec(candle(), 1..10)) {
        let renderer = ChartRenderer::new(cfg).unwrap();
        let past = renderer.render_all(&candles).unwrap();
        let mut all = candles.clone();
        all.extend(future);
        let extended = renderer.render_all(&all).unwrap();
        prop_assert_eq!(past.len() + all.len() - candles.len(), extended.len());
        prop_assert_eq!(past.pixels(), &extended.pixels()[..past.pixels().len()]);

        let mut stream = ChartStream::from_renderer(renderer.clone());
        let mut buf = vec![0.0; renderer.pixels()];
        for &c in &candles { stream.push(c); }
        prop_assert!(stream.render_into(&mut buf).unwrap());
        prop_assert_eq!(Some(&buf[..]), past.image(past.len() - 1));
    }

    /// The streaming and dataset paths agree bit for bit on every bar.
    #[test]
    fn stream_matches_dataset((cfg, candles) in case()) {
        let renderer = ChartRenderer::new(cfg).unwrap();
        let dataset = renderer.render_all(&candles).unwrap();
        prop_assert_eq!(dataset.first_bar(), cfg.candles - 1);
        prop_assert_eq!(dataset.len(), candles.len() - cfg.candles + 1);
        let mut stream = ChartStream::from_renderer(renderer.clone());
        let mut buf = vec![0.0; renderer.pixels()];
        for (t, &c) in candles.iter().enumerate() {
            stream.push(c);
            let ready = stream.render_into(&mut buf).unwrap();
            prop_assert_eq!(ready, t + 1 >= cfg.candles);
            if ready {
                let expected = dataset.image_for_bar(t).unwrap();
                prop_assert!(buf.iter().zip(expected).all(|(a, b)| a.to_bits() == b.to_bits()), "bar {}", t);
            } else {
                prop_assert!(dataset.image_for_bar(t).is_none());
            }
        }
    }

    /// Arbitrary (also NaN, infinite, negative, inconsistent) values give an
    /// image or an error, never a panic.
    #[test]
    fn any_values_render_or_error(
        values in prop::collection::vec(
            prop::array::uniform5(prop_oneof![any::<f64>(), -2.0..2.0_f64, Just(0.0), Just(1.0)]),
            1..12,
        ),
        cfg in config(),
    ) {
        let candles: Vec<Candle> = values
            .iter()
            .map(|v| Candle { open_time: Timestamp::from_nanos(0), open: v[0], high: v[1], low: v[2], close: v[3], volume: v[4] })
            .collect();
        let renderer = ChartRenderer::new(cfg).unwrap();
        let mut buf = vec![0.0; renderer.pixels()];
        if renderer.render_into(&candles, &mut buf).is_ok() {
            prop_assert!(buf.iter().all(|&v| v == 0.0 || v == 1.0));
        }
        let _ = renderer.render_all(&candles);
    }
}
