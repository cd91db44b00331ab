//! `SentimentAgent::on_bar_close` is on the per-bar path: once headlines are
//! ingested it must not allocate, including when it consumes headlines and
//! when it refuses a call.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tradebot_core::{Symbol, Timestamp};
use tradebot_sentiment::{Headline, HeadlineScorer, SentimentAgent, SentimentConfig};

struct Fixed;

impl HeadlineScorer for Fixed {
    fn score(&self, text: &str) -> f64 {
        text.len() as f64 / 100.0 - 0.5
    }
}

#[test]
fn bar_closes_do_not_allocate() {
    let (eth, ltc) = (Symbol::new("ETH_BTC").unwrap(), Symbol::new("LTC_BTC").unwrap());
    let mut agent = SentimentAgent::new(SentimentConfig::default(), Fixed, &[eth, ltc]).unwrap();
    let t0 = Timestamp::parse("2018-01-15T00:00:00Z").unwrap().as_nanos();
    let minute = 60_000_000_000;
    for i in 0..3000i64 {
        let symbols = match i % 3 {
            0 => None,
            1 => Some(vec![eth]),
            _ => Some(vec![ltc]),
        };
        let h = Headline {
            time: Timestamp::from_nanos(t0 + i * 7 * minute),
            headline: "x".repeat((i % 100) as usize),
            source: None,
            symbols,
        };
        agent.ingest(&h).unwrap();
    }
    let unknown = Symbol::new("XRP_BTC").unwrap();
    let mut acc = 0.0;
    let info = allocation_counter::measure(|| {
        for k in 1..=5000i64 {
            let close = Timestamp::from_nanos(t0 + k * 5 * minute);
            for s in [&eth, &ltc] {
                let o = agent.on_bar_close(s, close).unwrap();
                acc += o.probabilities.up + o.confidence;
            }
            assert!(agent.on_bar_close(&unknown, close).is_err());
        }
        assert!(agent.on_bar_close(&eth, Timestamp::from_nanos(t0)).is_err());
    });
    assert_eq!(info.count_total, 0, "on_bar_close allocated");
    assert_eq!(agent.pending(&eth), Some(0), "every headline was consumed inside the measurement");
    assert!(acc.is_finite() && acc > 0.0);
    // The counter does see allocations.
    assert_eq!(allocation_counter::measure(|| drop(std::hint::black_box(vec![1u8]))).count_total, 1);
}
