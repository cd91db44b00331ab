//! Per-stage latency histograms.
//!
//! Every stage is timed into an HDR histogram whose bounds are fixed at
//! construction (1 ns to 10 s, 3 significant digits), so recording is an
//! index computation and an increment: it never allocates. Timing every
//! event would cost more than the stages themselves (a clock read is 13 - 20
//! ns, a stage ~5-50 ns), so events are sampled: one in `sample_every`,
//! chosen by sequence number, identically in every mode.
//!
//! The clock is `quanta`'s: the CPU's time-stamp counter read directly and
//! scaled to nanoseconds where the counter is invariant (the OS clock
//! elsewhere). `std::time::Instant` measured 47 - 62 ns a read on the
//! project VM, three times as much, which made a sampled bar's nine reads
//! most of the telemetry's cost and most of each small stage's timing.

use quanta::Instant;

use hdrhistogram::Histogram;
use serde::Serialize;

/// The pipeline's stages, in data-flow order, plus the ring hops between
/// lanes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Source,
    Features,
    /// The whole agents stage (each agent is also timed on its own).
    Agents,
    Signal,
    Sizing,
    Risk,
    Execution,
    Portfolio,
    Recorder,
    /// From leaving one lane to entering the next (pipelined mode only).
    RingHop,
    /// From the source to the end of the portfolio stage.
    EndToEnd,
}

impl Stage {
    pub const ALL: [Stage; 11] = [
        Stage::Source,
        Stage::Features,
        Stage::Agents,
        Stage::Signal,
        Stage::Sizing,
        Stage::Risk,
        Stage::Execution,
        Stage::Portfolio,
        Stage::Recorder,
        Stage::RingHop,
        Stage::EndToEnd,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Source => "source",
            Stage::Features => "features",
            Stage::Agents => "agents",
            Stage::Signal => "signal",
            Stage::Sizing => "sizing",
            Stage::Risk => "risk",
            Stage::Execution => "execution",
            Stage::Portfolio => "portfolio",
            Stage::Recorder => "recorder",
            Stage::RingHop => "ring_hop",
            Stage::EndToEnd => "end_to_end",
        }
    }
}

/// Nanoseconds on one process-wide monotonic clock, comparable across
/// threads (telemetry only; engine logic never reads it).
#[derive(Debug, Clone, Copy)]
pub struct Mono {
    origin: Instant,
}

impl Mono {
    pub fn new() -> Self {
        Mono { origin: Instant::now() }
    }

    /// Never 0, so 0 can mean "not sampled".
    #[inline]
    pub fn now(&self) -> u64 {
        u64::try_from(Instant::now().saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX).max(1)
    }
}

impl Default for Mono {
    fn default() -> Self {
        Mono::new()
    }
}

/// Latency histograms of the stages one lane runs.
#[derive(Debug, Clone)]
pub struct Telemetry {
    hist: Vec<Histogram<u64>>,
    sample_every: u64,
    mono: Mono,
}

const LOW_NS: u64 = 1;
const HIGH_NS: u64 = 10_000_000_000;

impl Telemetry {
    /// `sample_every = 0` turns timing off.
    pub fn new(sample_every: u64, mono: Mono) -> Self {
        let hist = Stage::ALL.iter().map(|_| latency_histogram()).collect();
        Telemetry { hist, sample_every, mono }
    }

    /// One event in this many is timed (0: none).
    #[inline]
    pub fn sample_every(&self) -> u64 {
        self.sample_every
    }

    /// Whether event `seq` is timed.
    #[inline]
    pub fn sampled(&self, seq: u64) -> bool {
        self.sample_every != 0 && seq.is_multiple_of(self.sample_every)
    }

    #[inline]
    pub fn now(&self) -> u64 {
        self.mono.now()
    }

    #[inline]
    pub fn record(&mut self, stage: Stage, nanos: u64) {
        self.hist[stage as usize].saturating_record(nanos.max(LOW_NS));
    }

    /// Records the time since `start` for `stage` and returns now.
    #[inline]
    pub fn lap(&mut self, stage: Stage, start: u64) -> u64 {
        let now = self.mono.now();
        self.record(stage, now.saturating_sub(start));
        now
    }

    /// Adds another lane's histograms into this one.
    pub fn merge(&mut self, other: &Telemetry) {
        for (a, b) in self.hist.iter_mut().zip(&other.hist) {
            // Same bounds on both sides: adding cannot fail.
            let _ = a.add(b);
        }
    }

    /// Percentiles of every stage that recorded something.
    pub fn summary(&self) -> Vec<StageLatency> {
        Stage::ALL
            .iter()
            .zip(&self.hist)
            .filter(|(_, h)| !h.is_empty())
            .map(|(s, h)| StageLatency::of(s.as_str(), h))
            .collect()
    }
}

/// A histogram with the bounds every latency histogram here uses.
pub(crate) fn latency_histogram() -> Histogram<u64> {
    #[allow(clippy::expect_used)]
    // Constant bounds that satisfy hdrhistogram's rules (low >= 1, high >= 2
    // * low, 3 significant digits): this cannot fail.
    Histogram::new_with_bounds(LOW_NS, HIGH_NS, 3).expect("valid constant histogram bounds")
}

/// One row of `latency.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StageLatency {
    /// A stage's name, or `agent:<name>` for one agent.
    pub stage: String,
    pub count: u64,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
    pub mean_ns: f64,
}

impl StageLatency {
    pub(crate) fn of(name: impl Into<String>, h: &Histogram<u64>) -> Self {
        StageLatency {
            stage: name.into(),
            count: h.len(),
            p50_ns: h.value_at_quantile(0.50),
            p90_ns: h.value_at_quantile(0.90),
            p99_ns: h.value_at_quantile(0.99),
            p999_ns: h.value_at_quantile(0.999),
            max_ns: h.max(),
            mean_ns: h.mean(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_what_was_recorded() {
        let mut t = Telemetry::new(1, Mono::new());
        for v in 1..=1000 {
            t.record(Stage::Risk, v);
        }
        let s = t.summary();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].stage, "risk");
        assert_eq!(s[0].count, 1000);
        assert!((499..=501).contains(&s[0].p50_ns), "{}", s[0].p50_ns);
        assert!((989..=991).contains(&s[0].p99_ns), "{}", s[0].p99_ns);
        assert_eq!(s[0].max_ns, 1000);
    }

    #[test]
    fn sampling_is_by_sequence_number_and_zero_disables_it() {
        let t = Telemetry::new(4, Mono::new());
        assert!(t.sampled(0) && t.sampled(8) && !t.sampled(3));
        assert!(!Telemetry::new(0, Mono::new()).sampled(0));
    }
}
