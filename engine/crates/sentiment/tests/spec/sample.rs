//! The bundled synthetic sample (tests/data/headlines-sample.jsonl, see its
//! README) read and replayed with the real lexicon scorer over 5-minute bars.

use std::path::PathBuf;

use tradebot_core::Symbol;
use tradebot_sentiment::{Headline, SentimentAgent, SentimentConfig, SentimentOutput, VaderScorer, read_headlines};

use crate::{MINUTE, plus, sym, ts};

fn sample() -> Vec<Headline> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/headlines-sample.jsonl");
    read_headlines(path).unwrap()
}

/// (close time, output) of every 5-minute bar of `symbol` from 2018-01-15
/// 00:05 to 2018-01-19 00:00.
fn replay(scorer: &VaderScorer, symbol: Symbol) -> Vec<(String, SentimentOutput)> {
    let mut agent = SentimentAgent::new(SentimentConfig::default(), scorer, &[symbol]).unwrap();
    agent.ingest_all(&sample()).unwrap();
    (1..=4 * 288)
        .map(|k| {
            let close = plus(ts("2018-01-15T00:00:00Z"), k * 5 * MINUTE);
            (close.to_string(), agent.on_bar_close(&symbol, close).unwrap())
        })
        .collect()
}

fn at<'a>(outs: &'a [(String, SentimentOutput)], close: &str) -> &'a SentimentOutput {
    &outs.iter().find(|(t, _)| t == close).unwrap().1
}

#[test]
fn the_sample_reads_cleanly() {
    let hs = sample();
    assert_eq!(hs.len(), 16);
    assert_eq!(hs[0].time, ts("2018-01-15T08:00:00Z"));
    assert_eq!(hs[2].time, ts("2018-01-15T13:05:00Z"), "+01:00 offset");
    assert_eq!(hs[3].time, ts("2018-01-15T15:50:00Z"), "Unix milliseconds");
    assert_eq!(hs[5].time, hs[6].time, "two headlines at one instant");
    assert_eq!(hs[8].time, ts("2018-01-16T23:30:00Z"), "-05:00 offset");
    assert_eq!(hs[14].symbols, Some(vec![sym("ETH_BTC"), sym("LTC_BTC")]));
    assert!(hs.iter().all(|h| h.source.as_deref().is_none_or(|s| s.starts_with("synthetic-"))));
    assert!(hs.windows(2).all(|w| w[0].time <= w[1].time));
}

#[test]
fn the_view_turns_down_on_bad_news_and_back_up_on_good_news() {
    let scorer = VaderScorer::new();
    let eth = replay(&scorer, sym("ETH_BTC"));

    // Before any news: the prior.
    let quiet = at(&eth, "2018-01-15T08:00:00Z");
    assert_eq!((quiet.headlines_used, quiet.confidence), (0, 0.0));
    // The first headline (08:00) counts from the bar closing after it.
    assert_eq!(at(&eth, "2018-01-15T08:05:00Z").headlines_used, 1);

    let calm = at(&eth, "2018-01-15T12:00:00Z");
    assert!(calm.probabilities.up > calm.probabilities.down, "{calm:?}");

    let crash = at(&eth, "2018-01-16T12:00:00Z");
    assert!(crash.probabilities.down > crash.probabilities.up, "{crash:?}");
    assert!(crash.mean_score < -0.3 && crash.confidence > 0.3, "{crash:?}");

    let recovery = at(&eth, "2018-01-18T18:00:00Z");
    assert!(recovery.probabilities.up > recovery.probabilities.down, "{recovery:?}");

    // 8 headlines about every market plus 2 about ETH_BTC.
    assert_eq!(eth.last().unwrap().1.headlines_used, 10);
    // A day after the last ETH news confidence has faded.
    let last = &eth.last().unwrap().1;
    assert!(last.confidence < recovery.confidence);
}

#[test]
fn symbol_specific_news_reaches_only_its_symbol() {
    let scorer = VaderScorer::new();
    let (eth, trx) = (replay(&scorer, sym("ETH_BTC")), replay(&scorer, sym("TRX_BTC")));
    // The TRX_BTC-only headline at 2018-01-18 19:00 is negative.
    let trx_late = at(&trx, "2018-01-18T19:05:00Z");
    let eth_late = at(&eth, "2018-01-18T19:05:00Z");
    assert_eq!(trx.last().unwrap().1.headlines_used, 9);
    assert!(trx_late.mean_score < eth_late.mean_score);
    assert_eq!(at(&trx, "2018-01-18T19:00:00Z").headlines_used, 8, "not yet at its own time stamp");
}

#[test]
fn replaying_the_sample_twice_gives_identical_outputs() {
    let (a, b) = (VaderScorer::new(), VaderScorer::new());
    let (x, y) = (replay(&a, sym("LTC_BTC")), replay(&b, sym("LTC_BTC")));
    assert_eq!(format!("{x:?}"), format!("{y:?}"));
}
