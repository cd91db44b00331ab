//! The lexicon scorer reads obvious headlines the obvious way, and gives the
//! Python reference's numbers.

use std::sync::Arc;

use tradebot_sentiment::{HeadlineScorer, SentimentAgent, SentimentConfig, VaderScorer};

use crate::{headline, sym, ts};

#[test]
fn clearly_positive_headlines_score_above_zero_and_negative_below() {
    let v = VaderScorer::new();
    for good in [
        "Ethereum developers report successful test of scaling upgrade",
        "Investors are optimistic as Bitcoin gains",
        "Great week for crypto: strong growth and record adoption",
    ] {
        assert!(v.score(good) > 0.3, "{good:?} scored {}", v.score(good));
    }
    for bad in [
        "Exchange hacked, customers suffer huge losses",
        "Regulators warn of fraud in token sales",
        "Market crash: panic as prices collapse",
    ] {
        assert!(v.score(bad) < -0.3, "{bad:?} scored {}", v.score(bad));
    }
    assert_eq!(v.score("Bitcoin trades at 11,000 dollars"), 0.0, "no sentiment words: neutral");
    assert_eq!(v.score(""), 0.0);
}

/// Values of Python vaderSentiment 3.3.2 (`polarity_scores(text)["compound"]`),
/// including the two sentences other Rust ports get the sign of wrong.
#[test]
fn compound_scores_match_python_vader_3_3_2() {
    let v = VaderScorer::new();
    for (text, want) in [
        ("he is at least smart", 0.4019),
        ("these are the shittiest of times", -0.6597),
        ("Bitcoin is not doing great but it is not terrible either", 0.2924),
        ("BITCOIN IS AWESOME!!!", 0.7163),
        ("The price is kind of good", 0.3832),
        ("Regulators warn of fraud risk in initial coin offerings", -0.743),
    ] {
        assert_eq!(v.score(text), want, "{text:?}");
    }
}

#[test]
fn scores_lie_in_minus_one_to_one() {
    let v = VaderScorer::new();
    for text in ["GOOD GOOD GOOD GREAT EXCELLENT!!!!!! :D :D", "awful terrible horrible disaster!!!! :( :("] {
        let s = v.score(text);
        assert!((-1.0..=1.0).contains(&s), "{text:?} scored {s}");
    }
}

/// One scorer can serve several agents: shared references, `Arc` and trait
/// objects are scorers too, which is how a plugged-in model is passed.
#[test]
fn scorers_can_be_shared_and_boxed() {
    let v = Arc::new(VaderScorer::new());
    let symbols = [sym("ETH_BTC")];
    let mut by_arc = SentimentAgent::new(SentimentConfig::default(), Arc::clone(&v), &symbols).unwrap();
    let mut by_ref = SentimentAgent::new(SentimentConfig::default(), &*v, &symbols).unwrap();
    let boxed: Box<dyn HeadlineScorer> = Box::new(VaderScorer::new());
    let mut by_box = SentimentAgent::new(SentimentConfig::default(), boxed, &symbols).unwrap();
    let mut h = headline(ts("2018-01-15T08:00:00Z"), 0.0, &[]);
    h.headline = "Investors are optimistic".into();
    let s = by_arc.ingest(&h).unwrap();
    assert_eq!(by_ref.ingest(&h).unwrap(), s);
    assert_eq!(by_box.ingest(&h).unwrap(), s);
    assert!(s.unwrap() > 0.0);
}

/// A live poller may score on another thread than the bar path.
#[test]
fn the_lexicon_scorer_and_the_agent_can_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<VaderScorer>();
    send_sync::<SentimentAgent<VaderScorer>>();
}
