//! The trading kernel: one pipeline for backtest, paper and live.
//!
//! ```text
//! source → features → agents → signal → [sizing → risk → execution → portfolio] → recorder
//! ```
//!
//! Replay, paper and live differ only in the clock, the data source and the
//! broker; the stages in between are the same code. The stages can run
//! **fused** on the calling thread or **pipelined** on threads pinned with
//! `core_affinity`, joined by bounded lock-free rings ([`ring`]). In replay
//! both modes produce byte-identical outputs, because each stage is a
//! deterministic function of the ordered stream it receives and the rings
//! preserve order. The bracketed account stages share the account state and
//! always run in one lane (see [`account`]).
//!
//! On a machine with fewer cores than lanes, stage groups are fused until
//! there is one lane per core (down to a single lane), so pinning degrades to
//! the fused layout instead of oversubscribing cores with spinning threads.

pub mod account;
mod agents;
pub mod clock;
mod config;
mod error;
pub mod event;
pub mod record;
pub mod recorder;
pub mod ring;
mod runner;
mod slots;
pub mod source;
pub mod telemetry;
mod upstream;

pub use account::{AccountStage, PluginFaults, RecordSink, Sizer};
pub use agents::{AgentBundle, AgentStage};
pub use clock::{Clock, ReplayClock, WallClock};
pub use config::{KernelConfig, MetricsSettings, PipelineConfig, PipelineMode};
pub use error::KernelError;
pub use event::{BarEvent, EventKind};
pub use record::{Alert, Decision, EquitySample, Record, Verdict};
pub use recorder::{OutputFile, RecordCounts, Recorded, Recorder, RecorderOutputs};
pub use ring::{Consumer, Producer, RingStats, ring};
pub use runner::{FusedPipeline, LanePlan, RunInput, RunOutput, plan_lanes, run};
pub use slots::{SlotProvider, StrategyBundle, StrategyReload};
pub use source::{Feed, ReplaySource};
pub use telemetry::{Mono, Stage, StageLatency, Telemetry};
pub use upstream::{FeatureLayout, FeatureStage, RiskFeatureParams, SignalStage, StrategySource};
