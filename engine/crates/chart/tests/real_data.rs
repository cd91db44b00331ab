//! Charts of real recorded candles (ETH/BTC 5-minute bars bundled in
//! `tests/data/`): the dataset covers every bar with a full window, and a
//! PNG of one is written for people to look at (set `CHART_EXAMPLE_PNG` to a
//! path to keep it, e.g. for the README).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use tradebot_chart::{ChartConfig, ChartImage, ChartRenderer, ChartStream, write_png};
use tradebot_core::{Candle, Timestamp};

/// The first `rows` bars of a bundled `timestamp,open,high,low,close,volume` CSV.
fn load(file: &str, rows: usize) -> Vec<Candle> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../tests/data").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .skip(1)
        .take(rows)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let num = |i: usize| f[i].parse::<f64>().unwrap();
            Candle {
                open_time: Timestamp::parse(f[0]).unwrap(),
                open: num(1),
                high: num(2),
                low: num(3),
                close: num(4),
                volume: num(5),
            }
        })
        .collect()
}

#[test]
fn eth_btc_dataset_and_png() {
    let candles = load("ETH_BTC-5m.csv", 300);
    assert_eq!(candles.len(), 300);
    let renderer = ChartRenderer::new(ChartConfig::default()).unwrap();
    let dataset = renderer.render_all(&candles).unwrap();
    assert_eq!((dataset.first_bar(), dataset.len()), (20, 280));
    assert_eq!(dataset.pixels().len(), 280 * 64 * 64);

    let mut stream = ChartStream::from_renderer(renderer.clone());
    let mut buf = vec![0.0; renderer.pixels()];
    for &c in &candles {
        stream.push(c);
    }
    assert!(stream.render_into(&mut buf).unwrap());
    assert_eq!(Some(&buf[..]), dataset.image_for_bar(299));

    // The window's high reaches the top row, its low the last price row, and
    // the moving average (warm after 2 x 21 - 1 bars) adds pixels.
    let image = ChartImage::from_pixels(64, 64, buf).unwrap();
    assert!((0..64).any(|c| image.get(0, c) == Some(1.0)));
    assert!((0..64).any(|c| image.get(50, c) == Some(1.0)));
    assert!((0..64).all(|c| image.get(51, c) == Some(0.0)), "gap row");
    assert!((0..64).all(|r| image.get(r, 0) == Some(0.0)), "blank left column");
    let no_ma = ChartRenderer::new(ChartConfig { moving_average: false, ..ChartConfig::default() }).unwrap();
    let plain = no_ma.render(&candles).unwrap();
    let lit = |img: &ChartImage| img.pixels().iter().filter(|&&v| v == 1.0).count();
    assert!(lit(&image) > lit(&plain));

    let dir = tempfile::tempdir().unwrap();
    write_png(dir.path().join("eth_btc.png"), &image).unwrap();
    if let Some(path) = std::env::var_os("CHART_EXAMPLE_PNG") {
        write_png(path, &image).unwrap();
    }
}
