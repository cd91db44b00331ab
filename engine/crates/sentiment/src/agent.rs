//! [`SentimentAgent`]: turns ingested, scored headlines into a per-bar
//! prediction, consuming each headline only at the first bar that closes
//! strictly after it.
//!
//! This is the streaming half of the agent. It exists separately from the
//! reader and the scorer so that replay (a JSONL file ingested up front) and
//! live trading (headlines ingested as a poller sees them) run the same
//! arithmetic, and so the per-bar path does nothing but O(1) float work.

use std::collections::VecDeque;

use serde::Serialize;
use tradebot_core::{Symbol, Timestamp};

use crate::{AgentError, Headline, HeadlineScorer, SentimentConfig, VaderScorer};

/// The distribution reported when there is no evidence: no directional view,
/// so down and up are equal, and most mass on "neutral".
pub const NO_EVIDENCE_PRIOR: Probabilities = Probabilities { down: 0.25, neutral: 0.5, up: 0.25 };

/// A distribution over the next candle's direction; the three sum to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Probabilities {
    pub down: f64,
    pub neutral: f64,
    pub up: f64,
}

impl Probabilities {
    /// The agent's mapping from a mean polarity `mean_score` in `[-1, 1]` and
    /// a `confidence` in `[0, 1]`: a blend of [`NO_EVIDENCE_PRIOR`] and the
    /// polarity's own distribution,
    ///
    /// ```text
    /// signal = (max(-m, 0), 1 - |m|, max(m, 0))
    /// p      = (1 - c) * prior + c * signal
    /// ```
    ///
    /// so `up` never decreases and `down` never increases as `m` rises, and
    /// more confidence moves mass from the prior to the signal. The
    /// polarity's magnitude is taken at face value: a mean VADER compound of
    /// 0.4 puts at most 0.4 on "up", which keeps a lexicon's coarse reading
    /// of headlines a modest signal. Inputs are clamped to their ranges; NaN
    /// counts as 0.
    pub fn from_sentiment(mean_score: f64, confidence: f64) -> Probabilities {
        let m = clamp_or_zero(mean_score, -1.0, 1.0);
        let c = clamp_or_zero(confidence, 0.0, 1.0);
        let down = (1.0 - c) * NO_EVIDENCE_PRIOR.down + c * (-m).max(0.0);
        let up = (1.0 - c) * NO_EVIDENCE_PRIOR.up + c * m.max(0.0);
        // Neutral takes the rest so the three sum to 1 to the last bit that
        // subtraction allows; down + up <= 1 by construction.
        Probabilities { down, neutral: (1.0 - down - up).max(0.0), up }
    }
}

fn clamp_or_zero(x: f64, lo: f64, hi: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.clamp(lo, hi) }
}

/// The agent's view after one bar close of one symbol.
///
/// Latency, which the engine's agent contract also carries, is measured by
/// the caller around [`SentimentAgent::on_bar_close`]: keeping wall-clock
/// time out of this value keeps replays bit-for-bit reproducible.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SentimentOutput {
    pub probabilities: Probabilities,
    /// `evidence / (evidence + half_confidence_headlines)`, in `[0, 1)`.
    pub confidence: f64,
    /// Decay-weighted mean headline score, in `[-1, 1]`; 0 without evidence.
    pub mean_score: f64,
    /// Decay-weighted number of headlines: each counts
    /// `2^(-age / half_life)` at the bar's close time.
    pub evidence: f64,
    /// Headlines this symbol has consumed so far (not decayed).
    pub headlines_used: u64,
}

/// A decayed running state of one symbol.
#[derive(Debug, Clone)]
struct Slot {
    symbol: Symbol,
    /// Scored headlines not yet consumed, in time order.
    pending: VecDeque<(Timestamp, f64)>,
    /// Time the sums below are valued at: the last bar close.
    at: Option<Timestamp>,
    /// `sum_i w_i * score_i`, `w_i = 2^(-(at - t_i) / half_life)`.
    weighted_score: f64,
    /// `sum_i w_i`.
    weight: f64,
    used: u64,
}

/// The sentiment agent of one or more symbols.
///
/// * [`ingest`](Self::ingest) a headline as soon as it is known (replay: the
///   whole file up front; live: as polled). It is scored **once**, then
///   queued for every tracked symbol it concerns; a headline concerning no
///   tracked symbol is not scored.
/// * [`on_bar_close`](Self::on_bar_close) at each bar close of a symbol
///   consumes that symbol's queued headlines stamped **strictly before** the
///   close time and returns the prediction for the next candle.
///
/// # Timing: which candle a headline first affects
///
/// A headline affects only candles that close after its timestamp. A bar
/// closing at `T` has seen headlines with `time < T`; one stamped exactly
/// `T` goes to the next bar. Equal instants are treated as "not yet known"
/// because timestamps are truncated (a headline stamped 12:00:00 may have
/// appeared at 12:00:00.9), so "strictly before" is the only choice that
/// can never leak the future into a candle's prediction.
///
/// A live headline ingested late (after a bar closing after its timestamp
/// was already processed) counts from the next bar close on, weighted by its
/// true age, so it has the weight it would have had if it had arrived on
/// time.
///
/// # Decay
///
/// At a close time `T` a headline published at `t` weighs
/// `w = 2^(-(T - t) / half_life)`. The agent keeps `S = sum w * score` and
/// `N = sum w` (the *evidence*), rescaling both by `2^(-(T - T_prev) /
/// half_life)` from one close to the next, which equals the closed form
/// exactly in real arithmetic. The mean score is `S / N` (0 when `N = 0`),
/// the confidence `N / (N + half_confidence_headlines)`, and the
/// probabilities come from [`Probabilities::from_sentiment`].
///
/// # Cost
///
/// Each headline is scored once and consumed once; a bar close costs O(1)
/// plus the headlines it consumes, a linear scan over the tracked symbols
/// (a handful) to find the symbol, and no allocation: the queues only shrink
/// on this path.
#[derive(Debug)]
pub struct SentimentAgent<S = VaderScorer> {
    config: SentimentConfig,
    scorer: S,
    /// `ln 2 / half_life` in 1/ns.
    rate: f64,
    slots: Vec<Slot>,
    last_ingested: Option<Timestamp>,
}

impl<S: HeadlineScorer> SentimentAgent<S> {
    /// An agent tracking `symbols` (at least one, no duplicates), after
    /// validating `config`.
    pub fn new(config: SentimentConfig, scorer: S, symbols: &[Symbol]) -> Result<Self, AgentError> {
        config.validate()?;
        if symbols.is_empty() {
            return Err(AgentError::NoSymbols);
        }
        for (i, s) in symbols.iter().enumerate() {
            if symbols[..i].contains(s) {
                return Err(AgentError::DuplicateSymbol(*s));
            }
        }
        let slots = symbols
            .iter()
            .map(|&symbol| Slot {
                symbol,
                pending: VecDeque::new(),
                at: None,
                weighted_score: 0.0,
                weight: 0.0,
                used: 0,
            })
            .collect();
        let rate = std::f64::consts::LN_2 / config.half_life_nanos();
        Ok(SentimentAgent { config, scorer, rate, slots, last_ingested: None })
    }

    /// Scores `headline` and queues it for each tracked symbol it concerns.
    /// Returns its score, or `None` when it concerns no tracked symbol (then
    /// it is not scored). Headlines must come in non-decreasing time order;
    /// a refused headline changes nothing.
    pub fn ingest(&mut self, headline: &Headline) -> Result<Option<f64>, AgentError> {
        let time = headline.time;
        if let Some(previous) = self.last_ingested
            && time < previous
        {
            return Err(AgentError::HeadlineOutOfOrder { time, previous });
        }
        if !self.slots.iter().any(|s| headline.concerns(&s.symbol)) {
            self.last_ingested = Some(time);
            return Ok(None);
        }
        let score = self.scorer.score(&headline.headline);
        if !(-1.0..=1.0).contains(&score) {
            return Err(AgentError::BadScore { time, score });
        }
        self.last_ingested = Some(time);
        for slot in self.slots.iter_mut().filter(|s| headline.concerns(&s.symbol)) {
            slot.pending.push_back((time, score));
        }
        Ok(Some(score))
    }

    /// [`ingest`](Self::ingest)s every headline in order; returns how many
    /// were scored. Stops at the first error.
    pub fn ingest_all<'a>(&mut self, headlines: impl IntoIterator<Item = &'a Headline>) -> Result<usize, AgentError> {
        let mut scored = 0;
        for h in headlines {
            scored += usize::from(self.ingest(h)?.is_some());
        }
        Ok(scored)
    }

    /// The prediction for the candle after the one of `symbol` closing at
    /// `close_time`, having consumed the headlines stamped before it. Close
    /// times of one symbol must not decrease; repeating the last one returns
    /// the same output. Never allocates.
    pub fn on_bar_close(&mut self, symbol: &Symbol, close_time: Timestamp) -> Result<SentimentOutput, AgentError> {
        let rate = self.rate;
        let slot = self.slots.iter_mut().find(|s| s.symbol == *symbol).ok_or(AgentError::UnknownSymbol(*symbol))?;
        if let Some(at) = slot.at {
            if close_time < at {
                return Err(AgentError::BarOutOfOrder { symbol: *symbol, close_time, previous: at });
            }
            let f = decay(rate, at, close_time);
            slot.weighted_score *= f;
            slot.weight *= f;
        }
        while let Some(&(t, score)) = slot.pending.front() {
            if t >= close_time {
                break;
            }
            slot.pending.pop_front();
            let w = decay(rate, t, close_time);
            slot.weighted_score += w * score;
            slot.weight += w;
            slot.used += 1;
        }
        slot.at = Some(close_time);
        Ok(output(slot, self.config.half_confidence_headlines))
    }

    pub fn config(&self) -> &SentimentConfig {
        &self.config
    }

    pub fn scorer(&self) -> &S {
        &self.scorer
    }

    /// The tracked symbols, in the order given to [`new`](Self::new).
    pub fn symbols(&self) -> impl Iterator<Item = Symbol> + '_ {
        self.slots.iter().map(|s| s.symbol)
    }

    /// Headlines queued for `symbol` and not yet consumed by a bar close
    /// (`None`: not tracked).
    pub fn pending(&self, symbol: &Symbol) -> Option<usize> {
        self.slots.iter().find(|s| s.symbol == *symbol).map(|s| s.pending.len())
    }
}

/// `2^(-(to - from) / half_life)` with `rate = ln 2 / half_life`.
fn decay(rate: f64, from: Timestamp, to: Timestamp) -> f64 {
    // i128: two i64 instants can be further apart than i64 holds.
    let dt = (i128::from(to.as_nanos()) - i128::from(from.as_nanos())) as f64;
    (-rate * dt).exp()
}

fn output(slot: &Slot, half_confidence: f64) -> SentimentOutput {
    let evidence = slot.weight;
    // |S| <= N holds exactly; the clamp only guards rounding once both have
    // decayed into subnormals.
    let mean_score = if evidence > 0.0 { (slot.weighted_score / evidence).clamp(-1.0, 1.0) } else { 0.0 };
    let confidence = evidence / (evidence + half_confidence);
    SentimentOutput {
        probabilities: Probabilities::from_sentiment(mean_score, confidence),
        confidence,
        mean_score,
        evidence,
        headlines_used: slot.used,
    }
}
