//! [`BarEvent`]: the one message that travels down the pipeline.
//!
//! Each stage fills in its part (features, agents, then signal) and passes the same
//! fixed-size value on, so a ring slot is all the memory an event ever needs.

use tradebot_core::{Candle, PluginStamp, SymbolId, Timestamp};
use tradebot_features::MAX_FEATURES;
use tradebot_strategy::{AgentOutputs, Signal};

/// What an event carries.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A closed bar of one instrument.
    Bar,
    /// Operator command: flatten everything and halt (the kill switch).
    Kill,
    /// The source is exhausted; every stage finishes and passes it on.
    End,
}

/// A bar on its way through the pipeline.
#[derive(Copy, Clone, Debug)]
pub struct BarEvent {
    pub kind: EventKind,
    /// Position in the source's stream (0-based).
    pub seq: u64,
    pub symbol: SymbolId,
    pub bar: Candle,
    /// The bar's close: the instant every decision on it is made.
    pub time: Timestamp,
    /// No other instrument has a bar closing at `time` after this one, so the
    /// step is complete (risk and equity are evaluated once per step).
    pub last_in_step: bool,
    /// Feature values as of the close (filled by the features stage).
    pub features: [f64; MAX_FEATURES],
    /// The agents' readings (filled by the agents stage; empty without agents).
    pub agents: AgentOutputs,
    /// The strategy's output (filled by the signal stage).
    pub signal: Signal,
    /// The plugin that made `signal` (`None`: a native strategy). Written
    /// only when the signal names a target (a decision records it): for a
    /// hold it is left as it was.
    pub plugin: Option<PluginStamp>,
    /// Telemetry: monotonic nanoseconds when the event left its last lane, 0
    /// when this event is not sampled.
    pub sent_at: u64,
}

impl BarEvent {
    pub fn new(kind: EventKind, seq: u64, symbol: SymbolId, bar: Candle, time: Timestamp, last_in_step: bool) -> Self {
        BarEvent {
            kind,
            seq,
            symbol,
            bar,
            time,
            last_in_step,
            features: [f64::NAN; MAX_FEATURES],
            agents: AgentOutputs::EMPTY,
            signal: Signal::HOLD,
            plugin: None,
            sent_at: 0,
        }
    }

    pub fn end(seq: u64, time: Timestamp) -> Self {
        BarEvent::new(EventKind::End, seq, SymbolId(0), Candle::default(), time, true)
    }
}
