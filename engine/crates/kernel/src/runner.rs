//! Runs a pipeline over a replay source, fused or in pinned lanes.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tradebot_analytics::{Metrics, MonthlyReturn};
use tradebot_core::{Symbol, Timestamp};
use tradebot_portfolio::TradeRecord;
use tradebot_risk::HaltReason;

use crate::KernelError;
use crate::account::{AccountStage, RecordSink};
use crate::account::{PluginFaults, Sizer};
use crate::agents::{AgentBundle, AgentStage};
use crate::config::{KernelConfig, PipelineMode};
use crate::event::{BarEvent, EventKind};
use crate::record::Record;
use crate::recorder::{Recorded, Recorder, RecorderOutputs};
use crate::ring::{Consumer, Producer, RingStats, ring};
use crate::slots::SlotProvider;
use crate::source::{Feed, ReplaySource};
use crate::telemetry::{Mono, Stage, StageLatency, Telemetry};
use crate::upstream::{FeatureLayout, FeatureStage, RiskFeatureParams, SignalStage};
use tradebot_risk::SizingConfig;

/// What to replay.
#[derive(Debug)]
pub struct RunInput<'a> {
    /// Every instrument's (and timeframe's) candles.
    pub feeds: Vec<Feed<'a>>,
    /// The symbol table: `SymbolId(i)` is `symbols[i]`.
    pub symbols: Vec<Symbol>,
    pub config: KernelConfig,
    /// Annualisation factor of the metrics (from the interval and calendar).
    pub periods_per_year: f64,
    /// Updated with the number of events delivered so far (every 4096), for
    /// a progress bar on another thread.
    pub progress: Option<Arc<AtomicU64>>,
    /// Builds plugin strategies and sizing policies (the WASM host); runs
    /// that configure no plugin need none.
    pub slots: Option<Arc<dyn SlotProvider>>,
    /// The prediction agents of every instrument (the ensemble strategy
    /// reads them); taken by the pipeline when it is built.
    pub agents: Option<AgentBundle>,
}

/// Everything a run produced besides the files the recorder wrote.
#[derive(Debug)]
pub struct RunOutput {
    pub strategy: String,
    pub metrics: Metrics,
    pub monthly_returns: Vec<MonthlyReturn>,
    pub recorded: Recorded,
    /// Positions still open at the end, valued at the last close.
    pub open_trades: Vec<TradeRecord>,
    pub halted: Option<HaltReason>,
    pub latency: Vec<StageLatency>,
    /// Each agent's latency over every call (`agent:<name>`).
    pub agent_latency: Vec<StageLatency>,
    /// Bars each agent failed on, by agent name.
    pub agent_faults: Vec<(String, u64)>,
    /// Backpressure counters of each ring, in lane order.
    pub rings: Vec<RingStats>,
    /// The stage groups that ran on each thread.
    pub lanes: LanePlan,
    /// Events the source delivered (bars, commands and the final end).
    pub events: u64,
    /// Plugin calls that failed and fell back to the safe default.
    pub plugin_faults: PluginFaults,
}

/// The stage groups of the pipeline, in order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Group {
    Source,
    Features,
    Agents,
    Signal,
    Account,
    Recorder,
}

const GROUPS: [Group; 6] =
    [Group::Source, Group::Features, Group::Agents, Group::Signal, Group::Account, Group::Recorder];

/// Which stage groups share a thread: `lanes[i]` is the number of groups in
/// lane `i` (they sum to 6, in pipeline order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanePlan {
    pub lanes: Vec<usize>,
}

impl LanePlan {
    /// Stage names of each lane, for reports.
    pub fn describe(&self) -> Vec<Vec<&'static str>> {
        let names = |g: &Group| match g {
            Group::Source => "source",
            Group::Features => "features",
            Group::Agents => "agents",
            Group::Signal => "signal",
            Group::Account => "sizing+risk+execution+portfolio",
            Group::Recorder => "recorder",
        };
        let mut at = 0;
        self.lanes
            .iter()
            .map(|&n| {
                let lane = GROUPS[at..at + n].iter().map(names).collect();
                at += n;
                lane
            })
            .collect()
    }
}

/// Lays the six stage groups out on `threads` lanes (1 to 6). Fewer threads
/// fuse neighbours, keeping the account stages and recorder together first,
/// the source with the features next, then the agents with the signal
/// (the meta-agent reads nothing but the agents' output), since those pairs
/// pass the most data per unit of work. A run without agents has an empty
/// agents stage, which costs nothing wherever it sits.
pub fn plan_lanes(threads: usize) -> LanePlan {
    let lanes = match threads {
        0 | 1 => vec![6],
        2 => vec![4, 2],
        3 => vec![2, 2, 2],
        4 => vec![1, 1, 2, 2],
        5 => vec![1, 1, 1, 1, 2],
        _ => vec![1, 1, 1, 1, 1, 1],
    };
    LanePlan { lanes }
}

fn expected_months(feeds: &[Feed<'_>]) -> usize {
    let first = feeds.iter().filter_map(|f| f.candles.first()).map(|c| c.open_time).min();
    let last = feeds.iter().filter_map(|f| f.candles.last()).map(|c| c.open_time).max();
    match (first, last) {
        (Some(a), Some(b)) => usize::try_from((b.saturating_sub(a)) / (28 * 86_400 * 1_000_000_000)).unwrap_or(0) + 2,
        _ => 1,
    }
}

struct Built<'a> {
    source: ReplaySource<'a>,
    features: FeatureStage,
    agents: AgentStage,
    signal: SignalStage,
    account: AccountStage,
    recorder: Recorder,
}

fn build<'a>(
    input: &RunInput<'a>,
    agents: Option<AgentBundle>,
    outputs: RecorderOutputs,
    mono: Mono,
) -> Result<Built<'a>, KernelError> {
    let config = &input.config;
    config.validate()?;
    let n = input.symbols.len();
    if input.feeds.iter().all(|f| f.candles.is_empty()) {
        return Err(KernelError::NoData);
    }
    let agents = agents.unwrap_or_else(|| AgentBundle::none(n));
    agents.validate(n)?;
    let slots = input.slots.as_deref();
    let bundle = SignalStage::bundle(&config.strategy, &input.symbols, &agents.names, slots)?;
    let sizer = match &config.sizing {
        SizingConfig::Plugin(plugin) => {
            let slots = slots.ok_or_else(|| {
                KernelError::Plugin(format!("sizing {}: plugins need a plugin host", plugin.path.display()))
            })?;
            Sizer::Policy(slots.sizing(plugin, &input.symbols).map_err(KernelError::Plugin)?)
        }
        native => Sizer::Native(native.clone()),
    };
    let requested = SignalStage::requested_features(&bundle);
    let risk_params = RiskFeatureParams::for_config(config);
    let (specs, layout): (_, FeatureLayout) = FeatureLayout::build(&requested, &agents.features, risk_params)?;
    let mut source = ReplaySource::new(&input.feeds, config.kill_switch_at);
    source.set_progress(input.progress.clone());
    let steps = source.len();
    Ok(Built {
        features: FeatureStage::new(n, &specs)?,
        agents: AgentStage::new(agents, layout.strategy..layout.agents_end, mono),
        signal: SignalStage::new(bundle, layout),
        account: AccountStage::new(
            config,
            sizer,
            &input.symbols,
            layout,
            input.periods_per_year,
            expected_months(&input.feeds),
        )?,
        recorder: Recorder::new(input.symbols.clone(), outputs, steps),
        source,
    })
}

/// Replays `input` through the pipeline, writing the recorder's outputs.
pub fn run(mut input: RunInput<'_>, outputs: RecorderOutputs) -> Result<RunOutput, KernelError> {
    let mono = Mono::new();
    let agents = input.agents.take();
    let built = build(&input, agents, outputs, mono)?;
    let pipeline = input.config.pipeline;
    let threads = match pipeline.mode {
        PipelineMode::Fused => 1,
        PipelineMode::Pipelined => {
            let cores = core_affinity::get_core_ids().map_or(1, |c| c.len());
            if pipeline.threads == 0 { cores } else { pipeline.threads }
        }
    };
    let plan = plan_lanes(threads);
    let strategy = built.signal.strategy_name().to_owned();
    let (account, agents, recorder, tel, rings, events) = if plan.lanes.len() == 1 {
        run_fused(built, pipeline.latency_sample_every, mono)
    } else {
        run_lanes(built, &plan, &input.config, mono)?
    };
    Ok(RunOutput {
        strategy,
        metrics: account.metrics(),
        monthly_returns: account.monthly_returns(),
        open_trades: account.open_trades(),
        halted: account.risk().halted(),
        recorded: recorder.finish(),
        latency: tel.summary(),
        agent_latency: agents.latency(),
        agent_faults: agents.faults(),
        rings,
        lanes: plan,
        events,
        plugin_faults: account.plugin_faults(),
    })
}

type Finished = (AccountStage, AgentStage, Recorder, Telemetry, Vec<RingStats>, u64);

/// Every stage on the calling thread, advanced one event at a time.
///
/// [`run`] drives it to the end in fused mode; tests and tools can step it
/// (the allocation test warms it up, then counts allocations per event).
#[derive(Debug)]
pub struct FusedPipeline<'a> {
    source: ReplaySource<'a>,
    features: FeatureStage,
    agents: AgentStage,
    signal: SignalStage,
    account: AccountStage,
    recorder: Recorder,
    tel: Telemetry,
    seq: u64,
    done: bool,
    /// The one event every stage works on in place.
    ev: BarEvent,
}

impl<'a> FusedPipeline<'a> {
    /// Builds the pipeline (taking the input's agents).
    pub fn new(input: &mut RunInput<'a>, outputs: RecorderOutputs) -> Result<Self, KernelError> {
        let mono = Mono::new();
        let agents = input.agents.take();
        let b = build(input, agents, outputs, mono)?;
        Ok(Self::from_built(b, input.config.pipeline.latency_sample_every, mono))
    }

    fn from_built(b: Built<'a>, sample_every: u64, mono: Mono) -> Self {
        FusedPipeline {
            source: b.source,
            features: b.features,
            agents: b.agents,
            signal: b.signal,
            account: b.account,
            recorder: b.recorder,
            tel: Telemetry::new(sample_every, mono),
            seq: 0,
            done: false,
            ev: BarEvent::end(0, Timestamp::MIN),
        }
    }

    /// Moves one event through every stage; `false` once the run has ended.
    #[inline]
    pub fn step(&mut self) -> bool {
        if self.tel.sample_every() == 0 { self.step_with::<false>() } else { self.step_with::<true>() }
    }

    /// [`step`](Self::step), compiled twice: without latency sampling every
    /// timing branch (one per stage, in the account stage's too) folds away,
    /// since the event's start time is then the constant 0.
    #[inline(always)]
    fn step_with<const TIMED: bool>(&mut self) -> bool {
        if self.done {
            return false;
        }
        let tel = &mut self.tel;
        let sampled = TIMED && tel.sampled(self.seq);
        let t0 = if sampled { tel.now() } else { 0 };
        let ev = &mut self.ev;
        if !self.source.fill_next(ev) {
            self.done = true;
            return false;
        }
        self.seq += 1;
        let mut t = if sampled { tel.lap(Stage::Source, t0) } else { 0 };
        self.features.process(ev);
        if sampled {
            t = tel.lap(Stage::Features, t);
        }
        if !self.agents.is_empty() {
            self.agents.process(ev);
            if sampled {
                t = tel.lap(Stage::Agents, t);
            }
        }
        self.signal.process(ev);
        if sampled {
            t = tel.lap(Stage::Signal, t);
        }
        self.account.process(ev, tel, t, &mut self.recorder);
        if sampled {
            tel.lap(Stage::EndToEnd, t0);
        }
        if ev.kind == EventKind::End {
            self.done = true;
        }
        !self.done
    }

    /// The account state so far.
    pub fn account(&self) -> &AccountStage {
        &self.account
    }

    fn into_finished(self) -> Finished {
        (self.account, self.agents, self.recorder, self.tel, Vec::new(), self.seq)
    }
}

fn run_fused(built: Built<'_>, sample_every: u64, mono: Mono) -> Finished {
    // On the heap, not the stack: the stack's start is randomised within a
    // page and the heap's only by whole pages, so with the event and the
    // stages' state on the stack, whether their hot fields alias the heap's
    // (the same address modulo 4 KiB, which stalls store forwarding)
    // changed from one process to the next: 51.5 to 60 ms for the same
    // binary, and a steady 51.6 ms with address randomisation off.
    let mut p = Box::new(FusedPipeline::from_built(built, sample_every, mono));
    if sample_every == 0 {
        while p.step_with::<false>() {}
    } else {
        while p.step_with::<true>() {}
    }
    p.into_finished()
}

/// Sends the account stage's records over a ring to the recorder's lane.
struct RingSink<'r>(&'r Producer<Record>);

impl RecordSink for RingSink<'_> {
    #[inline]
    fn record(&mut self, record: &Record) {
        self.0.push_wait(*record);
    }
}

#[derive(Default)]
struct Lane<'a> {
    source: Option<ReplaySource<'a>>,
    input: Option<Consumer<BarEvent>>,
    features: Option<FeatureStage>,
    agents: Option<AgentStage>,
    signal: Option<SignalStage>,
    account: Option<AccountStage>,
    output: Option<Producer<BarEvent>>,
    records_out: Option<Producer<Record>>,
    records_in: Option<Consumer<Record>>,
    recorder: Option<Recorder>,
}

struct LaneResult {
    account: Option<AccountStage>,
    agents: Option<AgentStage>,
    recorder: Option<Recorder>,
    tel: Telemetry,
    ring: Option<RingStats>,
    events: u64,
}

impl<'a> Lane<'a> {
    fn run(mut self, mut tel: Telemetry) -> LaneResult {
        let mut events = 0;
        if let (Some(rx), Some(rec)) = (self.records_in.as_ref(), self.recorder.as_mut()) {
            loop {
                let r = rx.pop_wait();
                rec.record(&r);
                if matches!(r, Record::End) {
                    break;
                }
            }
        } else {
            let mut seq = 0u64;
            loop {
                let sampled = tel.sampled(seq);
                let t0 = if sampled { tel.now() } else { 0 };
                let mut ev = match (self.source.as_mut(), self.input.as_ref()) {
                    (Some(src), _) => match src.next_event() {
                        Some(ev) => ev,
                        None => break,
                    },
                    (None, Some(rx)) => rx.pop_wait(),
                    (None, None) => break,
                };
                seq += 1;
                events += 1;
                let timed = if self.source.is_some() { sampled } else { tel.sampled(ev.seq) };
                let mut t = 0;
                if timed {
                    t = tel.now();
                    if self.source.is_some() {
                        tel.record(Stage::Source, t.saturating_sub(t0));
                    } else if ev.sent_at != 0 {
                        tel.record(Stage::RingHop, t.saturating_sub(ev.sent_at));
                    }
                }
                if let Some(f) = self.features.as_mut() {
                    f.process(&mut ev);
                    if timed {
                        t = tel.lap(Stage::Features, t);
                    }
                }
                if let Some(a) = self.agents.as_mut().filter(|a| !a.is_empty()) {
                    a.process(&mut ev);
                    if timed {
                        t = tel.lap(Stage::Agents, t);
                    }
                }
                if let Some(s) = self.signal.as_mut() {
                    s.process(&mut ev);
                    if timed {
                        t = tel.lap(Stage::Signal, t);
                    }
                }
                if let Some(acc) = self.account.as_mut() {
                    match (self.recorder.as_mut(), self.records_out.as_ref()) {
                        (Some(rec), _) => acc.process(&ev, &mut tel, t, rec),
                        (None, Some(tx)) => acc.process(&ev, &mut tel, t, &mut RingSink(tx)),
                        (None, None) => {}
                    }
                } else if let Some(tx) = self.output.as_ref() {
                    ev.sent_at = if timed { tel.now() } else { 0 };
                    tx.push_wait(ev);
                }
                if ev.kind == EventKind::End {
                    break;
                }
            }
        }
        let ring = self.input.as_ref().map(Consumer::stats).or_else(|| self.records_in.as_ref().map(Consumer::stats));
        LaneResult { account: self.account, agents: self.agents, recorder: self.recorder, tel, ring, events }
    }
}

fn run_lanes(built: Built<'_>, plan: &LanePlan, config: &KernelConfig, mono: Mono) -> Result<Finished, KernelError> {
    let Built { source, features, agents, signal, account, recorder } = built;
    let cap = config.pipeline.ring_capacity;
    let mut lanes: Vec<Lane<'_>> = plan.lanes.iter().map(|_| Lane::default()).collect();
    let mut source = Some(source);
    let mut features = Some(features);
    let mut agents = Some(agents);
    let mut signal = Some(signal);
    let mut account = Some(account);
    let mut recorder = Some(recorder);
    let mut g = 0;
    for (li, &n) in plan.lanes.iter().enumerate() {
        for group in &GROUPS[g..g + n] {
            let lane = &mut lanes[li];
            match group {
                Group::Source => lane.source = source.take(),
                Group::Features => lane.features = features.take(),
                Group::Agents => lane.agents = agents.take(),
                Group::Signal => lane.signal = signal.take(),
                Group::Account => lane.account = account.take(),
                Group::Recorder => lane.recorder = recorder.take(),
            }
        }
        g += n;
    }
    // Rings between consecutive lanes: bar events up to the account lane, records after it.
    for li in 0..lanes.len() - 1 {
        if lanes[li].recorder.is_some() {
            break;
        }
        if lanes[li].account.is_some() {
            let (tx, rx) = ring::<Record>(cap);
            lanes[li].records_out = Some(tx);
            lanes[li + 1].records_in = Some(rx);
        } else {
            let (tx, rx) = ring::<BarEvent>(cap);
            lanes[li].output = Some(tx);
            lanes[li + 1].input = Some(rx);
        }
    }

    let cores =
        if config.pipeline.pin_threads { core_affinity::get_core_ids().unwrap_or_default() } else { Vec::new() };
    let sample_every = config.pipeline.latency_sample_every;
    let results: Vec<Result<LaneResult, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = lanes
            .into_iter()
            .enumerate()
            .map(|(i, lane)| {
                let core = (!cores.is_empty()).then(|| cores[i % cores.len()]);
                let tel = Telemetry::new(sample_every, mono);
                std::thread::Builder::new()
                    .name(format!("tradebot-lane-{i}"))
                    .spawn_scoped(scope, move || {
                        if let Some(core) = core {
                            // Pinning is best effort: an unpinned lane still runs correctly.
                            let _ = core_affinity::set_for_current(core);
                        }
                        lane.run(tel)
                    })
                    .map_err(|e| e.to_string())
            })
            .collect();
        handles.into_iter().map(|h| h.and_then(|h| h.join().map_err(|_| "a lane panicked".to_owned()))).collect()
    });

    let mut tel = Telemetry::new(sample_every, mono);
    let mut account = None;
    let mut agent_stage = None;
    let mut recorder = None;
    let mut rings = Vec::new();
    let mut events = 0;
    for (i, r) in results.into_iter().enumerate() {
        let r = r.map_err(KernelError::LaneFailed)?;
        tel.merge(&r.tel);
        if i == 0 {
            events = r.events;
        }
        account = account.or(r.account);
        agent_stage = agent_stage.or(r.agents);
        recorder = recorder.or(r.recorder);
        rings.extend(r.ring);
    }
    match (account, agent_stage, recorder) {
        (Some(a), Some(g), Some(r)) => Ok((a, g, r, tel, rings, events)),
        _ => Err(KernelError::LaneFailed("a lane lost its stages".into())),
    }
}

#[allow(dead_code)]
fn _assert_send() {
    fn send<T: Send>() {}
    send::<AccountStage>();
    send::<Recorder>();
    send::<Timestamp>();
}
