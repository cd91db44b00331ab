//! [`HeadlineScorer`]: text in, one polarity number out; and [`VaderScorer`],
//! the lexicon-based scorer the agent uses unless a model is plugged in.
//!
//! The trait exists so a user-supplied ONNX text model can replace the
//! lexicon later without the agent changing: the agent only ever needs one
//! number per headline, computed once when the headline is ingested.
//!
//! # Why VADER, and why the `vader-parity` crate
//!
//! VADER (Hutto & Gilbert, ICWSM-14) is the established lexicon-and-rules
//! scorer for short informal text such as headlines: it handles negation
//! ("not good"), intensifiers ("very"), contrast ("but"), capitals and
//! exclamation marks, and its `compound` score already lies in `[-1, 1]`.
//! Writing our own lexicon would mean maintaining one; VADER's is published
//! and pinned.
//!
//! Crates compared with `cargo info` (November 2026):
//!
//! | crate | last release | runtime deps | notes |
//! |---|---|---|---|
//! | `vader_sentiment` 0.1.1 | Dec 2021 | lazy_static, maplit, regex, unicase | Rust 2015, unmaintained |
//! | `qsv_vader_sentiment_analysis` 0.2.0 | Sep 2024 | lazy_static, lit2, regex, unicase | a fork of the above for the qsv CLI |
//! | `vader-sentimental` 0.1.3 | May 2026 | lazy_static, hashbrown, regex, unicase (+ clap by default) | a faster port of the same code |
//! | **`vader-parity` 0.1.0** | Aug 2026 | none | tested for output parity with Python vaderSentiment 3.3.2; `rust-version` 1.81 |
//!
//! We checked the two maintained ones against Python `vaderSentiment` 3.3.2
//! on 16 headline-like sentences: `vader-parity` gave the reference's
//! compound on all 16; `vader-sentimental` on 14, and reversed the sign on
//! the other two ("he is at least smart": reference +0.4019, it −0.3089;
//! "these are the shittiest of times": reference −0.6597, it +0.6124), the
//! defects of that crate family that `vader-parity` documents. A sign flip is
//! exactly the error a trading signal cannot absorb, so we use `vader-parity`,
//! which also brings no dependencies. Its risk is youth (one release); its
//! scores are pinned to the Python reference, so replacing it is a
//! dependency change, not a behaviour change.
//!
//! # Known limitation: VADER is not a financial lexicon
//!
//! VADER's lexicon is general-purpose. Many market words are missing
//! ("surges", "rally", "soars", "plunges", "bullish", "bearish", "hack") and
//! some carry an everyday sense ("demand" is −0.5), so "Bitcoin surges to
//! record high as institutional demand grows" scores −0.128. Headlines whose
//! tone is carried by ordinary words ("gain", "loss", "crash", "ban",
//! "fraud", "optimistic", "warn") score as expected. A domain model is what
//! the [`HeadlineScorer`] trait is for.

use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

/// Scores one headline.
///
/// The contract: a *compound* polarity in `[-1, 1]`, negative for bad news,
/// positive for good news, 0 for neutral or unscoreable text. The agent
/// refuses anything else (NaN, ±inf, out of range) with
/// [`AgentError::BadScore`](crate::AgentError::BadScore) rather than letting
/// a broken model skew the signal.
///
/// Scoring runs once per headline when it is ingested, never per bar, so a
/// scorer may be slow compared with the per-bar path.
pub trait HeadlineScorer {
    fn score(&self, text: &str) -> f64;
}

impl<S: HeadlineScorer + ?Sized> HeadlineScorer for &S {
    fn score(&self, text: &str) -> f64 {
        (**self).score(text)
    }
}

impl<S: HeadlineScorer + ?Sized> HeadlineScorer for Box<S> {
    fn score(&self, text: &str) -> f64 {
        (**self).score(text)
    }
}

impl<S: HeadlineScorer + ?Sized> HeadlineScorer for Rc<S> {
    fn score(&self, text: &str) -> f64 {
        (**self).score(text)
    }
}

impl<S: HeadlineScorer + ?Sized> HeadlineScorer for Arc<S> {
    fn score(&self, text: &str) -> f64 {
        (**self).score(text)
    }
}

/// The VADER compound score of a headline (see the module docs for why VADER
/// and which implementation).
///
/// Building one parses the ~11,000-line lexicon (a few milliseconds), so
/// build it once and share it (`&VaderScorer` and `Arc<VaderScorer>` are
/// scorers too).
pub struct VaderScorer {
    analyzer: vader_parity::SentimentIntensityAnalyzer,
}

impl VaderScorer {
    pub fn new() -> Self {
        VaderScorer { analyzer: vader_parity::SentimentIntensityAnalyzer::new() }
    }
}

impl Default for VaderScorer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for VaderScorer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The analyzer is ~11,000 lexicon entries and has no Debug of its own.
        f.write_str("VaderScorer(vaderSentiment 3.3.2 lexicon)")
    }
}

impl HeadlineScorer for VaderScorer {
    fn score(&self, text: &str) -> f64 {
        self.analyzer.polarity_scores(text).compound
    }
}
