//! The agent's arithmetic and rules: timing, decay against the closed form,
//! the probability mapping, symbol filtering, configuration and refusals.

use proptest::prelude::*;
use tradebot_sentiment::{
    AgentError, ConfigError, NO_EVIDENCE_PRIOR, Probabilities, SentimentAgent, SentimentConfig, SentimentOutput,
};

use crate::{HOUR, MINUTE, TextIsScore, headline, plus, sym, ts};

fn agent(symbols: &[&str]) -> SentimentAgent<TextIsScore> {
    let symbols: Vec<_> = symbols.iter().map(|s| sym(s)).collect();
    SentimentAgent::new(SentimentConfig::default(), TextIsScore::default(), &symbols).unwrap()
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{what}: got {got}, want {want}");
}

#[test]
fn with_no_headlines_the_output_is_the_prior_with_zero_confidence() {
    let mut a = agent(&["ETH_BTC"]);
    let o = a.on_bar_close(&sym("ETH_BTC"), ts("2018-01-15T08:05:00Z")).unwrap();
    assert_eq!(o.probabilities, NO_EVIDENCE_PRIOR);
    assert_eq!(NO_EVIDENCE_PRIOR, Probabilities { down: 0.25, neutral: 0.5, up: 0.25 });
    assert_eq!((o.confidence, o.mean_score, o.evidence, o.headlines_used), (0.0, 0.0, 0.0, 0));
}

#[test]
fn a_headline_stamped_at_the_close_time_affects_the_next_bar_not_this_one() {
    let eth = sym("ETH_BTC");
    let close = ts("2018-01-15T08:05:00Z");
    let mut a = agent(&["ETH_BTC"]);
    a.ingest(&headline(close, 0.8, &[])).unwrap();
    let this_bar = a.on_bar_close(&eth, close).unwrap();
    assert_eq!(this_bar.headlines_used, 0);
    assert_eq!(this_bar.probabilities, NO_EVIDENCE_PRIOR);
    let next_bar = a.on_bar_close(&eth, plus(close, 5 * MINUTE)).unwrap();
    assert_eq!(next_bar.headlines_used, 1);
    assert!(next_bar.probabilities.up > NO_EVIDENCE_PRIOR.up);

    // One nanosecond earlier, and it counts for the bar closing at `close`.
    let mut b = agent(&["ETH_BTC"]);
    b.ingest(&headline(plus(close, -1), 0.8, &[])).unwrap();
    assert_eq!(b.on_bar_close(&eth, close).unwrap().headlines_used, 1);
}

#[test]
fn decayed_state_matches_the_closed_form_at_every_bar() {
    let eth = sym("ETH_BTC");
    let cfg = SentimentConfig { half_life_hours: 2.5, half_confidence_headlines: 4.0 };
    let mut a = SentimentAgent::new(cfg.clone(), TextIsScore::default(), &[eth]).unwrap();
    let t0 = ts("2018-01-15T00:00:00Z");
    let news: Vec<(i64, f64)> =
        vec![(7 * MINUTE, 0.5), (7 * MINUTE, -0.25), (61 * MINUTE, 1.0), (3 * HOUR + 1, -0.9), (10 * HOUR, 0.3)];
    for &(dt, s) in &news {
        a.ingest(&headline(plus(t0, dt), s, &[])).unwrap();
    }
    let half_life = 2.5 * HOUR as f64;
    // Irregular closes, including a gap of many half-lives.
    for close in [5, 10, 15, 65, 180, 185, 600, 605, 2000, 2005].map(|m| plus(t0, m * MINUTE)) {
        let o = a.on_bar_close(&eth, close).unwrap();
        let seen: Vec<_> = news.iter().filter(|(dt, _)| plus(t0, *dt) < close).collect();
        let w = |dt: i64| 0.5f64.powf((close.as_nanos() - plus(t0, dt).as_nanos()) as f64 / half_life);
        let n: f64 = seen.iter().map(|(dt, _)| w(*dt)).sum();
        let s: f64 = seen.iter().map(|(dt, s)| w(*dt) * s).sum();
        assert_eq!(o.headlines_used, seen.len() as u64);
        assert_close(o.evidence, n, "evidence");
        assert_close(o.mean_score, if n > 0.0 { s / n } else { 0.0 }, "mean score");
        assert_close(o.confidence, n / (n + 4.0), "confidence");
        let want = Probabilities::from_sentiment(o.mean_score, o.confidence);
        assert_eq!(o.probabilities, want);
    }
}

#[test]
fn evidence_halves_every_half_life() {
    let eth = sym("ETH_BTC");
    let mut a = agent(&["ETH_BTC"]);
    let t = ts("2018-01-15T00:00:00Z");
    a.ingest(&headline(t, -0.6, &[])).unwrap();
    let e0 = a.on_bar_close(&eth, plus(t, 1)).unwrap().evidence;
    let e1 = a.on_bar_close(&eth, plus(t, 6 * HOUR + 1)).unwrap();
    let e2 = a.on_bar_close(&eth, plus(t, 12 * HOUR + 1)).unwrap();
    assert_close(e1.evidence, e0 / 2.0, "one half-life");
    assert_close(e2.evidence, e0 / 4.0, "two half-lives");
    assert_close(e2.mean_score, -0.6, "decay alone does not change the mean");
    assert!(e2.confidence < e1.confidence, "older news, less confidence");
}

#[test]
fn repeating_a_close_time_returns_the_same_output() {
    let eth = sym("ETH_BTC");
    let mut a = agent(&["ETH_BTC"]);
    a.ingest(&headline(ts("2018-01-15T00:01:00Z"), 0.4, &[])).unwrap();
    let close = ts("2018-01-15T00:05:00Z");
    let first = a.on_bar_close(&eth, close).unwrap();
    assert_eq!(a.on_bar_close(&eth, close).unwrap(), first);
}

#[test]
fn more_agreeing_news_means_more_confidence_and_more_mass_on_its_side() {
    let eth = sym("ETH_BTC");
    let close = ts("2018-01-15T12:00:00Z");
    let mut previous: Option<SentimentOutput> = None;
    for n in 1..=6 {
        let mut a = agent(&["ETH_BTC"]);
        for i in 0..n {
            a.ingest(&headline(plus(ts("2018-01-15T11:00:00Z"), i), -0.7, &[])).unwrap();
        }
        let o = a.on_bar_close(&eth, close).unwrap();
        assert!(o.probabilities.down > o.probabilities.up);
        if let Some(p) = previous {
            assert!(o.confidence > p.confidence);
            assert!(o.probabilities.down > p.probabilities.down);
        }
        previous = Some(o);
    }
}

#[test]
fn headlines_reach_only_the_symbols_they_name_and_are_scored_once() {
    let (eth, ltc, ada) = (sym("ETH_BTC"), sym("LTC_BTC"), sym("ADA_BTC"));
    let mut a = agent(&["ETH_BTC", "LTC_BTC", "ADA_BTC"]);
    let t = ts("2018-01-15T08:00:00Z");
    assert_eq!(a.ingest(&headline(t, 0.9, &["ETH_BTC"])).unwrap(), Some(0.9));
    assert_eq!(a.ingest(&headline(t, -0.9, &["LTC_BTC", "XRP_BTC"])).unwrap(), Some(-0.9));
    assert_eq!(a.ingest(&headline(t, 0.1, &[])).unwrap(), Some(0.1), "no symbols: every market");
    assert_eq!(a.ingest(&headline(t, 0.5, &["XRP_BTC"])).unwrap(), None, "no tracked symbol: not scored");
    assert_eq!(a.scorer().calls.get(), 3, "one score per headline, however many symbols it reaches");
    assert_eq!((a.pending(&eth), a.pending(&ltc), a.pending(&ada)), (Some(2), Some(2), Some(1)));
    assert_eq!(a.pending(&sym("XRP_BTC")), None);

    let close = ts("2018-01-15T08:05:00Z");
    let (oe, ol, oa) = (
        a.on_bar_close(&eth, close).unwrap(),
        a.on_bar_close(&ltc, close).unwrap(),
        a.on_bar_close(&ada, close).unwrap(),
    );
    assert_close(oe.mean_score, 0.5, "ETH: 0.9 and 0.1");
    assert_close(ol.mean_score, -0.4, "LTC: -0.9 and 0.1");
    assert_close(oa.mean_score, 0.1, "ADA: 0.1 only");
    assert_eq!((oe.headlines_used, ol.headlines_used, oa.headlines_used), (2, 2, 1));
    assert_eq!(a.scorer().calls.get(), 3, "bar closes never score");
    assert_eq!(a.symbols().collect::<Vec<_>>(), vec![eth, ltc, ada]);
}

#[test]
fn symbols_keep_their_own_clocks() {
    let (eth, ltc) = (sym("ETH_BTC"), sym("LTC_BTC"));
    let mut a = agent(&["ETH_BTC", "LTC_BTC"]);
    a.ingest(&headline(ts("2018-01-15T08:02:00Z"), 0.6, &[])).unwrap();
    // LTC is a bar behind ETH: it has not seen the headline yet.
    assert_eq!(a.on_bar_close(&eth, ts("2018-01-15T08:05:00Z")).unwrap().headlines_used, 1);
    assert_eq!(a.on_bar_close(&ltc, ts("2018-01-15T08:00:00Z")).unwrap().headlines_used, 0);
    assert_eq!(a.on_bar_close(&ltc, ts("2018-01-15T08:05:00Z")).unwrap().headlines_used, 1);
}

/// A live headline that arrives after the bar it was stamped before has
/// closed counts at the next close, with the weight of its true age.
#[test]
fn a_late_headline_counts_from_the_next_bar_at_its_true_age() {
    let eth = sym("ETH_BTC");
    let mut late = agent(&["ETH_BTC"]);
    late.on_bar_close(&eth, ts("2018-01-15T08:05:00Z")).unwrap();
    late.ingest(&headline(ts("2018-01-15T08:01:00Z"), 0.6, &[])).unwrap();
    let o = late.on_bar_close(&eth, ts("2018-01-15T08:10:00Z")).unwrap();

    let mut on_time = agent(&["ETH_BTC"]);
    on_time.ingest(&headline(ts("2018-01-15T08:01:00Z"), 0.6, &[])).unwrap();
    on_time.on_bar_close(&eth, ts("2018-01-15T08:05:00Z")).unwrap();
    let want = on_time.on_bar_close(&eth, ts("2018-01-15T08:10:00Z")).unwrap();
    assert_close(o.evidence, want.evidence, "evidence");
    assert_close(o.mean_score, want.mean_score, "mean");
}

#[test]
fn refused_calls_say_why_and_change_nothing() {
    let eth = sym("ETH_BTC");
    let mut a = agent(&["ETH_BTC"]);
    a.ingest(&headline(ts("2018-01-15T08:00:00Z"), 0.2, &[])).unwrap();
    let e = a.ingest(&headline(ts("2018-01-15T07:59:59Z"), 0.2, &[])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "headline at 2018-01-15T07:59:59Z ingested after one at 2018-01-15T08:00:00Z: \
         headlines must come in non-decreasing time order"
    );
    let e = a.ingest(&headline(ts("2018-01-15T08:01:00Z"), f64::NAN, &[])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the scorer returned NaN for the headline at 2018-01-15T08:01:00Z: scores must lie in [-1, 1]"
    );
    assert!(matches!(a.ingest(&headline(ts("2018-01-15T08:01:00Z"), 1.5, &[])), Err(AgentError::BadScore { .. })));
    assert_eq!(a.pending(&eth), Some(1), "refused headlines are not queued");

    a.on_bar_close(&eth, ts("2018-01-15T08:05:00Z")).unwrap();
    let e = a.on_bar_close(&eth, ts("2018-01-15T08:00:00Z")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ETH_BTC: bar close time 2018-01-15T08:00:00Z is before the previous one, 2018-01-15T08:05:00Z"
    );
    let e = a.on_bar_close(&sym("XRP_BTC"), ts("2018-01-15T08:10:00Z")).unwrap_err();
    assert_eq!(e, AgentError::UnknownSymbol(sym("XRP_BTC")));
    assert_eq!(e.to_string(), "symbol XRP_BTC is not tracked by this sentiment agent");

    let cfg = SentimentConfig::default;
    assert_eq!(SentimentAgent::new(cfg(), TextIsScore::default(), &[]).unwrap_err(), AgentError::NoSymbols);
    assert_eq!(
        SentimentAgent::new(cfg(), TextIsScore::default(), &[eth, sym("LTC_BTC"), eth]).unwrap_err(),
        AgentError::DuplicateSymbol(eth)
    );
}

#[test]
fn config_defaults_and_validation_name_the_key_and_value() {
    let d = SentimentConfig::default();
    assert_eq!((d.half_life_hours, d.half_confidence_headlines), (6.0, 3.0));
    assert_eq!(serde_json::from_str::<SentimentConfig>("{}").unwrap(), d);
    let e = serde_json::from_str::<SentimentConfig>(r#"{"half_life": 6}"#).unwrap_err();
    assert!(e.to_string().starts_with("unknown field `half_life`"), "{e}");

    let bad = |c: SentimentConfig| c.validate().unwrap_err().to_string();
    assert_eq!(
        bad(SentimentConfig { half_life_hours: 0.0, ..d.clone() }),
        "sentiment.half_life_hours: 0 is not in [1e-9, 8784] (hours, up to one year)"
    );
    assert_eq!(
        bad(SentimentConfig { half_life_hours: f64::NAN, ..d.clone() }),
        "sentiment.half_life_hours: NaN is not in [1e-9, 8784] (hours, up to one year)"
    );
    assert_eq!(
        bad(SentimentConfig { half_confidence_headlines: -1.0, ..d.clone() }),
        "sentiment.half_confidence_headlines: -1 is not in (0, 1000000]"
    );
    let e = SentimentAgent::new(SentimentConfig { half_life_hours: 1e9, ..d }, TextIsScore::default(), &[sym("A")]);
    assert!(matches!(e, Err(AgentError::Config(ConfigError::OutOfRange { field: "sentiment.half_life_hours", .. }))));
}

fn assert_distribution(p: Probabilities) {
    for x in [p.down, p.neutral, p.up] {
        assert!((0.0..=1.0).contains(&x), "{p:?}");
    }
    assert!((p.down + p.neutral + p.up - 1.0).abs() <= 1e-15, "{p:?} sums to {}", p.down + p.neutral + p.up);
}

#[test]
fn the_mapping_at_its_corners() {
    assert_eq!(Probabilities::from_sentiment(0.9, 0.0), NO_EVIDENCE_PRIOR, "no confidence: the prior");
    assert_eq!(Probabilities::from_sentiment(1.0, 1.0), Probabilities { down: 0.0, neutral: 0.0, up: 1.0 });
    assert_eq!(Probabilities::from_sentiment(-1.0, 1.0), Probabilities { down: 1.0, neutral: 0.0, up: 0.0 });
    assert_eq!(Probabilities::from_sentiment(0.0, 1.0), Probabilities { down: 0.0, neutral: 1.0, up: 0.0 });
    assert_eq!(Probabilities::from_sentiment(0.5, 0.5), Probabilities { down: 0.125, neutral: 0.5, up: 0.375 });
    assert_eq!(Probabilities::from_sentiment(f64::NAN, f64::NAN), NO_EVIDENCE_PRIOR);
    assert_distribution(Probabilities::from_sentiment(7.0, -3.0));
}

proptest! {
    #[test]
    fn probabilities_are_a_distribution_and_monotone_in_the_score(
        m1 in -1.0f64..=1.0, m2 in -1.0f64..=1.0, c in 0.0f64..=1.0,
    ) {
        let (lo, hi) = if m1 <= m2 { (m1, m2) } else { (m2, m1) };
        let (a, b) = (Probabilities::from_sentiment(lo, c), Probabilities::from_sentiment(hi, c));
        assert_distribution(a);
        assert_distribution(b);
        prop_assert!(b.up >= a.up, "a higher score never lowers up: {a:?} {b:?}");
        prop_assert!(b.down <= a.down, "a higher score never raises down: {a:?} {b:?}");
        prop_assert_eq!(Probabilities::from_sentiment(-lo, c).down, a.up, "symmetric");
    }
}
