//! The sentiment crate's specification tests, linked into one binary (one
//! link instead of five on a two-core machine).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod agent;
mod jsonl;
mod look_ahead;
mod sample;
mod scorer;

use std::cell::Cell;

use tradebot_core::{Symbol, Timestamp};
use tradebot_sentiment::{Headline, HeadlineScorer};

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

pub fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

pub const MINUTE: i64 = 60_000_000_000;
pub const HOUR: i64 = 60 * MINUTE;

pub fn plus(t: Timestamp, nanos: i64) -> Timestamp {
    t.checked_add_nanos(nanos).unwrap()
}

/// A scorer whose "model" is the headline text itself: `"0.5"` scores 0.5.
/// Lets tests put exact scores into the agent. Counts its calls.
#[derive(Debug, Default)]
pub struct TextIsScore {
    pub calls: Cell<usize>,
}

impl HeadlineScorer for TextIsScore {
    fn score(&self, text: &str) -> f64 {
        self.calls.set(self.calls.get() + 1);
        text.parse().unwrap()
    }
}

/// A headline with score `score` (for [`TextIsScore`]) at `time`, about
/// `symbols` (`&[]`: every market).
pub fn headline(time: Timestamp, score: f64, symbols: &[&str]) -> Headline {
    Headline {
        time,
        headline: format!("{score}"),
        source: None,
        symbols: if symbols.is_empty() { None } else { Some(symbols.iter().map(|s| sym(s)).collect()) },
    }
}
