//! No look-ahead: what the agent says at a bar close depends only on
//! headlines stamped strictly before that close. Checked on random streams
//! by adding and removing headlines stamped at or after a cut-off close and
//! requiring every output up to that close to stay identical, bit for bit.

use proptest::prelude::*;
use tradebot_core::Timestamp;
use tradebot_sentiment::{Headline, SentimentAgent, SentimentConfig, SentimentOutput};

use crate::{MINUTE, TextIsScore, headline, plus, sym, ts};

const SYMBOLS: [&str; 2] = ["ETH_BTC", "LTC_BTC"];
const BAR: i64 = 5 * MINUTE;
const BARS: i64 = 300;

fn t0() -> Timestamp {
    ts("2018-01-15T00:00:00Z")
}

/// Headlines at whole minutes (so one in five lands exactly on a close),
/// scores in steps of 0.05, about one, the other or both symbols.
fn stream(max: usize) -> impl Strategy<Value = Vec<Headline>> {
    prop::collection::vec((0..BARS * 5 + 10, -20i32..=20, 0usize..3), 0..max).prop_map(|mut v| {
        v.sort_by_key(|&(minute, _, _)| minute);
        v.into_iter()
            .map(|(minute, score, which)| {
                let symbols: &[&str] = match which {
                    0 => &[],
                    1 => &SYMBOLS[..1],
                    _ => &SYMBOLS[1..],
                };
                headline(plus(t0(), minute * MINUTE), f64::from(score) / 20.0, symbols)
            })
            .collect()
    })
}

fn config() -> impl Strategy<Value = SentimentConfig> {
    (0.05f64..48.0, 0.1f64..20.0).prop_map(|(half_life_hours, half_confidence_headlines)| SentimentConfig {
        half_life_hours,
        half_confidence_headlines,
    })
}

/// Every output of both symbols for bar closes 1..=`bars`, all headlines
/// ingested up front (as replay does).
fn run(cfg: &SentimentConfig, headlines: &[Headline], bars: i64) -> Vec<SentimentOutput> {
    let symbols = SYMBOLS.map(sym);
    let mut a = SentimentAgent::new(cfg.clone(), TextIsScore::default(), &symbols).unwrap();
    a.ingest_all(headlines).unwrap();
    let mut out = Vec::new();
    for k in 1..=bars {
        for s in &symbols {
            out.push(a.on_bar_close(s, plus(t0(), k * BAR)).unwrap());
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn outputs_up_to_a_close_ignore_headlines_stamped_at_or_after_it(
        cfg in config(),
        news in stream(60),
        extra in stream(30),
        cut in 1..BARS,
    ) {
        let close = plus(t0(), cut * BAR);
        let full = run(&cfg, &news, cut);
        // Removed: only what was stamped before the close.
        let before: Vec<Headline> = news.iter().filter(|h| h.time < close).cloned().collect();
        // Added: other headlines, stamped at or after the close.
        let mut changed = before.clone();
        changed.extend(extra.into_iter().map(|mut h| {
            h.time = plus(close, h.time.as_nanos() - t0().as_nanos());
            h
        }));
        for other in [&before, &changed] {
            let got = run(&cfg, other, cut);
            for (i, (a, b)) in full.iter().zip(&got).enumerate() {
                // Bit for bit: the same headlines in the same order give the
                // same arithmetic.
                prop_assert_eq!(format!("{a:?}"), format!("{b:?}"), "output {} differs", i);
            }
        }
    }

    #[test]
    fn every_output_is_a_distribution_with_confidence_in_range(cfg in config(), news in stream(80)) {
        let outs = run(&cfg, &news, BARS);
        let mut used = [0u64; 2];
        for (i, o) in outs.iter().enumerate() {
            let p = o.probabilities;
            for x in [p.down, p.neutral, p.up, o.confidence] {
                prop_assert!((0.0..=1.0).contains(&x), "{o:?}");
            }
            prop_assert!((p.down + p.neutral + p.up - 1.0).abs() <= 1e-15, "{o:?}");
            prop_assert!((-1.0..=1.0).contains(&o.mean_score) && o.evidence >= 0.0, "{o:?}");
            prop_assert!(o.headlines_used >= used[i % 2], "headlines used never decreases");
            used[i % 2] = o.headlines_used;
        }
    }

    #[test]
    fn the_same_stream_gives_the_same_outputs(cfg in config(), news in stream(60)) {
        let (a, b) = (run(&cfg, &news, 100), run(&cfg, &news, 100));
        prop_assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
}
