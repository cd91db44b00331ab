//! Rendering is on the live bar path: after construction neither the
//! renderer nor the stream may allocate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tradebot_chart::{ChartConfig, ChartRenderer, ChartStream};
use tradebot_core::{Candle, Timestamp};

fn candles(n: usize) -> Vec<Candle> {
    (0..n)
        .map(|i| {
            let x = i as f64;
            let close = 100.0 + (x * 0.37).sin() * 3.0;
            Candle {
                open_time: Timestamp::from_nanos(i as i64),
                open: close - 0.2,
                high: close + 1.0 + (x * 0.11).cos().abs(),
                low: close - 1.0,
                close,
                volume: if i % 13 == 0 { 0.0 } else { 50.0 + x },
            }
        })
        .collect()
}

#[test]
fn render_and_stream_do_not_allocate() {
    let data = candles(300);
    let renderer = ChartRenderer::new(ChartConfig::default()).unwrap();
    let mut stream = ChartStream::from_renderer(renderer.clone());
    let mut buf = vec![0.0_f32; renderer.pixels()];
    let mut lit = 0.0_f32;
    let info = allocation_counter::measure(|| {
        for t in renderer.candles() - 1..data.len() {
            renderer.render_into(&data[..=t], &mut buf).unwrap();
            lit += buf.iter().sum::<f32>();
        }
        for &c in &data {
            stream.push(c);
            if stream.render_into(&mut buf).unwrap() {
                lit += buf.iter().sum::<f32>();
            }
        }
        stream.clear();
    });
    assert_eq!(info.count_total, 0, "rendering allocated");
    assert!(lit > 0.0);
    // The counter does see allocations.
    assert_eq!(allocation_counter::measure(|| drop(std::hint::black_box(vec![1u8]))).count_total, 1);
}
