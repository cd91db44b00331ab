//! `[agents]`: the prediction agents of an ensemble run, built for the
//! kernel's agents stage.
//!
//! A learned agent is a folder of walk-forward models (`fold-*.onnx` with
//! their cards, as `tradebot train` writes them). Every card is checked
//! against the run (feature set name, version and hash, interval, columns,
//! model hash) before anything runs, and at each bar only the latest model
//! trained through that bar's close may speak ([`ModelSchedule`]); before
//! the first one exists the agent abstains. This is the same serving path
//! `tradebot evaluate` scores, so a replay's agents say exactly what the
//! evaluation measured.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tradebot_agents::{
    AgentRole, CardExpectation, ModelCard, ModelSchedule, OnnxDirectionAgent, OnnxVolatilityAgent, RANGE_PER_SIGMA,
};
use tradebot_core::{Interval, Symbol};
use tradebot_features::FeatureSetDef;
use tradebot_garch::{RollingGarch, RollingGarchConfig};
use tradebot_hmm::{RollingHmm, RollingHmmConfig};
use tradebot_kernel::AgentBundle;
use tradebot_sentiment::{Headline, SentimentAgent, SentimentConfig, VaderScorer, read_headlines};
use tradebot_strategy::{Agent, AgentContext, AgentReading, MAX_AGENTS};

use super::ReplayError;

/// `[agents]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentsConfig {
    /// The feature set every learned agent reads; each model's card must
    /// name this set with the same version and definition hash.
    pub feature_set: String,
    /// Model folders (relative to the config file), one agent each, named
    /// after their cards: direction models (trend, pattern) say down /
    /// neutral / up; a volatility model says the next bar's σ and range.
    pub models: Vec<PathBuf>,
    /// The regime agent (`regime-hmm`): a Gaussian HMM on percent log
    /// returns, refitted on a trailing window; its state reaches the
    /// meta-agent as market context.
    pub regime: Option<RollingHmmConfig>,
    /// The volatility agent (`volatility-garch`): GARCH(1,1) fitted by
    /// maximum likelihood on a trailing window; its σ reaches the
    /// meta-agent as market context.
    pub volatility: Option<RollingGarchConfig>,
    /// The sentiment agent (`sentiment`): scores a timestamped headline
    /// file with the VADER lexicon.
    pub sentiment: Option<SentimentFileConfig>,
}

/// `[agents.sentiment]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentimentFileConfig {
    /// JSONL, one `{"time", "headline", "symbols"?, "source"?}` per line, in
    /// time order (relative to the config file).
    pub headlines: PathBuf,
    /// Hours after which a headline's weight has halved.
    #[serde(default = "default_half_life")]
    pub half_life_hours: f64,
    /// Decayed headlines at which the confidence reaches 0.5.
    #[serde(default = "default_half_confidence")]
    pub half_confidence_headlines: f64,
}

fn default_half_life() -> f64 {
    SentimentConfig::default().half_life_hours
}

fn default_half_confidence() -> f64 {
    SentimentConfig::default().half_confidence_headlines
}

impl Default for AgentsConfig {
    fn default() -> Self {
        AgentsConfig {
            feature_set: "agents_v1".into(),
            models: Vec::new(),
            regime: None,
            volatility: None,
            sentiment: None,
        }
    }
}

impl AgentsConfig {
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }
}

/// A direction model's walk-forward schedule serving one instrument.
#[derive(Debug)]
struct ScheduledDirectionAgent {
    name: String,
    schedule: ModelSchedule<OnnxDirectionAgent>,
}

impl Agent for ScheduledDirectionAgent {
    fn name(&self) -> &str {
        &self.name
    }

    fn on_bar(&mut self, ctx: &AgentContext<'_>) -> AgentReading {
        // Every fold's window sees every bar (each normalises with its own
        // statistics), so a model is warm the moment it becomes available.
        for (_, model) in self.schedule.iter_mut() {
            model.push(ctx.bar, ctx.features);
        }
        let Some(k) = self.schedule.active_index(ctx.time) else { return AgentReading::Abstain };
        let Some(model) = self.schedule.get_mut(k) else { return AgentReading::Abstain };
        match model.forecast() {
            Ok(Some(f)) => {
                AgentReading::Direction { probs: f.probs.map(f64::from), confidence: f64::from(f.confidence) }
            }
            Ok(None) => AgentReading::Abstain,
            Err(_) => AgentReading::Failed,
        }
    }
}

/// A volatility model's walk-forward schedule serving one instrument, with
/// the instrument's GARCH(1,1) whose forecast every fold corrects.
#[derive(Debug)]
struct ScheduledVolatilityAgent {
    name: String,
    garch: RollingGarch,
    schedule: ModelSchedule<OnnxVolatilityAgent>,
}

impl Agent for ScheduledVolatilityAgent {
    fn name(&self) -> &str {
        &self.name
    }

    fn on_bar(&mut self, ctx: &AgentContext<'_>) -> AgentReading {
        self.garch.push_close(ctx.bar.close);
        let garch_variance = self.garch.forecast_variance();
        for (_, model) in self.schedule.iter_mut() {
            model.push(ctx.features, garch_variance);
        }
        let Some(k) = self.schedule.active_index(ctx.time) else { return AgentReading::Abstain };
        let Some(model) = self.schedule.get_mut(k) else { return AgentReading::Abstain };
        match model.forecast() {
            Ok(Some(f)) => AgentReading::Volatility { sigma: f.sigma, range: f.expected_log_range },
            Ok(None) => AgentReading::Abstain,
            Err(_) => AgentReading::Failed,
        }
    }
}

/// What [`load_schedules`] needs of a servable ONNX model.
trait ServedModel: Sized {
    fn load(card: &Path, expect: &CardExpectation<'_>) -> Result<Self, tradebot_agents::AgentError>;
    fn fork(&self) -> Result<Self, tradebot_agents::AgentError>;
    fn card(&self) -> &ModelCard;
    fn card_path(&self) -> &Path;
}

macro_rules! served_model {
    ($t:ty) => {
        impl ServedModel for $t {
            fn load(card: &Path, expect: &CardExpectation<'_>) -> Result<Self, tradebot_agents::AgentError> {
                <$t>::load(card, expect)
            }
            fn fork(&self) -> Result<Self, tradebot_agents::AgentError> {
                <$t>::fork(self)
            }
            fn card(&self) -> &ModelCard {
                <$t>::card(self)
            }
            fn card_path(&self) -> &Path {
                <$t>::card_path(self)
            }
        }
    };
}
served_model!(OnnxDirectionAgent);
served_model!(OnnxVolatilityAgent);

/// One model schedule per instrument from a folder's `cards` (whose first
/// card is `head`). Each card is loaded and checked once per interval;
/// instruments of that interval get forks sharing the optimised plan.
fn load_schedules<M: ServedModel>(
    cards: &[PathBuf],
    head: &ModelCard,
    set: &FeatureSetDef,
    intervals: &[Interval],
) -> Result<Vec<ModelSchedule<M>>, ReplayError> {
    let mut loaded: Vec<(Interval, Vec<M>)> = Vec::new();
    let mut schedules = Vec::with_capacity(intervals.len());
    for interval in intervals {
        if !loaded.iter().any(|(i, _)| i == interval) {
            let text = interval.to_string();
            let expect = CardExpectation { role: head.role, feature_set: set, interval: Some(&text) };
            let models = cards
                .iter()
                .map(|c| {
                    let model = M::load(c, &expect).map_err(|e| agent_error(c, e))?;
                    if model.card().name != head.name {
                        return Err(agent_error(
                            c,
                            format!("name: {:?} in a folder of {:?} models", model.card().name, head.name),
                        ));
                    }
                    Ok(model)
                })
                .collect::<Result<Vec<_>, _>>()?;
            loaded.push((*interval, models));
        }
        let Some((_, models)) = loaded.iter().find(|(i, _)| i == interval) else { continue };
        let entries = models
            .iter()
            .map(|m| {
                m.fork().map(|f| (f.card().training.trained_through, f)).map_err(|e| agent_error(m.card_path(), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        schedules.push(ModelSchedule::new(entries));
    }
    Ok(schedules)
}

/// The regime agent of one instrument.
#[derive(Debug)]
struct RegimeAgent {
    hmm: RollingHmm,
}

impl Agent for RegimeAgent {
    fn name(&self) -> &str {
        "regime-hmm"
    }

    fn on_bar(&mut self, ctx: &AgentContext<'_>) -> AgentReading {
        match self.hmm.push_close(ctx.bar.close) {
            Some(v) => AgentReading::Regime {
                state: u32::try_from(v.state).unwrap_or(u32::MAX),
                states: u32::try_from(v.states).unwrap_or(u32::MAX),
                probability: v.probability,
            },
            None => AgentReading::Abstain,
        }
    }
}

/// The volatility agent of one instrument.
#[derive(Debug)]
struct GarchAgent {
    garch: RollingGarch,
}

impl Agent for GarchAgent {
    fn name(&self) -> &str {
        "volatility-garch"
    }

    fn on_bar(&mut self, ctx: &AgentContext<'_>) -> AgentReading {
        self.garch.push_close(ctx.bar.close);
        match self.garch.forecast() {
            // The forecast is in percent of price; readings are fractions.
            Some(pct) => {
                let sigma = pct / 100.0;
                AgentReading::Volatility { sigma, range: RANGE_PER_SIGMA * sigma }
            }
            None => AgentReading::Abstain,
        }
    }
}

/// The sentiment agent of one instrument. A headline counts only for bars
/// closing after it was published (the scorer's own rule); before the first
/// headline about the instrument the agent abstains rather than vote
/// "neutral" with no evidence.
#[derive(Debug)]
struct HeadlineAgent {
    symbol: Symbol,
    agent: SentimentAgent<VaderScorer>,
}

impl Agent for HeadlineAgent {
    fn name(&self) -> &str {
        "sentiment"
    }

    fn on_bar(&mut self, ctx: &AgentContext<'_>) -> AgentReading {
        match self.agent.on_bar_close(&self.symbol, ctx.time) {
            Ok(out) if out.headlines_used == 0 => AgentReading::Abstain,
            Ok(out) => AgentReading::Direction {
                probs: [out.probabilities.down, out.probabilities.neutral, out.probabilities.up],
                confidence: out.confidence,
            },
            Err(_) => AgentReading::Failed,
        }
    }
}

fn agent_error(file: &Path, e: impl std::fmt::Display) -> ReplayError {
    ReplayError::Config { file: file.to_owned(), at: None, message: e.to_string() }
}

/// The cards of a model folder (`*.json` except `evaluation.json`), sorted.
fn cards_in(dir: &Path) -> Result<Vec<PathBuf>, ReplayError> {
    let entries = std::fs::read_dir(dir).map_err(|e| agent_error(dir, format!("agents.models: {e}")))?;
    let mut cards = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| agent_error(dir, e))?.path();
        let is_card =
            path.extension().is_some_and(|x| x == "json") && path.file_name().is_some_and(|n| n != "evaluation.json");
        if is_card {
            cards.push(path);
        }
    }
    cards.sort();
    if cards.is_empty() {
        return Err(agent_error(dir, "agents.models: no model cards (*.json) in this folder"));
    }
    Ok(cards)
}

/// Loads every configured agent for `symbols` (each with its interval).
/// `config_file` names the file in errors.
pub fn build_agents(
    config: &AgentsConfig,
    symbols: &[Symbol],
    intervals: &[Interval],
    config_file: &Path,
) -> Result<AgentBundle, ReplayError> {
    let count = config.models.len()
        + usize::from(config.regime.is_some())
        + usize::from(config.volatility.is_some())
        + usize::from(config.sentiment.is_some());
    if count > MAX_AGENTS {
        return Err(agent_error(config_file, format!("agents: {count} agents; at most {MAX_AGENTS} per run")));
    }
    let set = FeatureSetDef::builtin(&config.feature_set)
        .and_then(|s| s.require_candles_only().map(|()| s))
        .map_err(|e| agent_error(config_file, format!("agents.feature_set: {e}")))?;
    let mut names = Vec::new();
    let mut per_symbol: Vec<Vec<Box<dyn Agent>>> = symbols.iter().map(|_| Vec::new()).collect();
    for dir in &config.models {
        let cards = cards_in(dir)?;
        let head = ModelCard::load(&cards[0]).map_err(|e| agent_error(&cards[0], e))?;
        if names.contains(&head.name) {
            return Err(agent_error(&cards[0], format!("name: two agents are called {:?}", head.name)));
        }
        match head.role {
            AgentRole::Trend | AgentRole::Pattern => {
                let schedules = load_schedules::<OnnxDirectionAgent>(&cards, &head, &set, intervals)?;
                for (agents, schedule) in per_symbol.iter_mut().zip(schedules) {
                    agents.push(Box::new(ScheduledDirectionAgent { name: head.name.clone(), schedule }));
                }
            }
            AgentRole::Volatility => {
                let schedules = load_schedules::<OnnxVolatilityAgent>(&cards, &head, &set, intervals)?;
                for (agents, schedule) in per_symbol.iter_mut().zip(schedules) {
                    // Every fold reads one market's GARCH forecast, so
                    // the cards of a folder must agree on its schedule.
                    let garch = {
                        let mut models = schedule.iter().map(|(_, m)| m);
                        let Some(first) = models.next() else { return Err(agent_error(&cards[0], "no models")) };
                        if let Some(m) = models.find(|m| m.garch_config() != first.garch_config()) {
                            return Err(agent_error(
                                m.card_path(),
                                "output.volatility.garch: differs from the schedule of the folder's other folds",
                            ));
                        }
                        first.new_garch().map_err(|e| agent_error(first.card_path(), e))?
                    };
                    agents.push(Box::new(ScheduledVolatilityAgent { name: head.name.clone(), garch, schedule }));
                }
            }
            AgentRole::Regime | AgentRole::Sentiment => {
                return Err(agent_error(
                    &cards[0],
                    format!("role: {} models are not served from feature windows", head.role.as_str()),
                ));
            }
        }
        names.push(head.name.clone());
    }
    if let Some(regime) = config.regime {
        for agents in &mut per_symbol {
            let hmm = RollingHmm::new(regime).map_err(|e| agent_error(config_file, format!("agents.regime: {e}")))?;
            agents.push(Box::new(RegimeAgent { hmm }));
        }
        names.push("regime-hmm".to_owned());
    }
    if let Some(volatility) = config.volatility {
        for agents in &mut per_symbol {
            let garch = RollingGarch::new(volatility)
                .map_err(|e| agent_error(config_file, format!("agents.volatility: {e}")))?;
            agents.push(Box::new(GarchAgent { garch }));
        }
        names.push("volatility-garch".to_owned());
    }
    if let Some(sentiment) = &config.sentiment {
        let headlines: Vec<Headline> = read_headlines(&sentiment.headlines)
            .map_err(|e| ReplayError::Data { file: sentiment.headlines.clone(), message: e.to_string() })?;
        let settings = SentimentConfig {
            half_life_hours: sentiment.half_life_hours,
            half_confidence_headlines: sentiment.half_confidence_headlines,
        };
        for (agents, symbol) in per_symbol.iter_mut().zip(symbols) {
            let mut agent = SentimentAgent::new(settings.clone(), VaderScorer::new(), &[*symbol])
                .map_err(|e| agent_error(config_file, format!("agents.sentiment: {e}")))?;
            agent
                .ingest_all(&headlines)
                .map_err(|e| ReplayError::Data { file: sentiment.headlines.clone(), message: e.to_string() })?;
            agents.push(Box::new(HeadlineAgent { symbol: *symbol, agent }));
        }
        names.push("sentiment".to_owned());
    }
    Ok(AgentBundle { names, features: set.features.clone(), per_symbol })
}
