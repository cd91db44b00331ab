//! The sentiment agent's data side: reads a timestamped headline stream,
//! scores each headline once, and turns the decayed scores into a per-bar
//! prediction (probabilities of a down / neutral / up next candle, a
//! confidence and the number of headlines used), without look-ahead.
//!
//! Why this crate exists: news moves crypto prices, and the ensemble needs an
//! agent that reads it. Keeping it apart from the price-based agents keeps
//! its one hard rule in one place: **a headline only affects candles that
//! close strictly after its timestamp** (see [`SentimentAgent`]).
//!
//! The parts:
//!
//! * [`HeadlineReader`] / [`read_headlines`]: the replay source, a strict
//!   JSONL file of [`Headline`]s in time order (format in [`Headline`]'s
//!   module docs; errors name file, line, column, field and value).
//! * [`HeadlineScorer`]: text → polarity in `[-1, 1]`. [`VaderScorer`] is the
//!   lexicon-based one (VADER, through the `vader-parity` crate; why that
//!   crate, and VADER's limits on market language, in the scorer module
//!   docs). A user-supplied ONNX text model is meant to plug in here.
//! * [`SentimentAgent`]: ingests headlines (scoring each once) and, at each
//!   bar close, decays and consumes them into a [`SentimentOutput`]; O(1)
//!   and allocation-free per bar. [`SentimentConfig`] sets the half-life and
//!   how much news makes it confident.
//!
//! A live polled source is not here yet: it would build [`Headline`]s and
//! call [`SentimentAgent::ingest`], exactly as replay does with the file's.

mod agent;
mod config;
mod error;
mod headline;
mod scorer;

pub use agent::{NO_EVIDENCE_PRIOR, Probabilities, SentimentAgent, SentimentOutput};
pub use config::SentimentConfig;
pub use error::{AgentError, ConfigError, HeadlineError};
pub use headline::{Headline, HeadlineReader, read_headlines};
pub use scorer::{HeadlineScorer, VaderScorer};
