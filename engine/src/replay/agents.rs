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
use tradebot_agents::{AgentRole, CardExpectation, ModelCard, ModelSchedule, OnnxDirectionAgent};
use tradebot_core::{Interval, Symbol};
use tradebot_features::FeatureSetDef;
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
    /// Model folders (relative to the config file), one direction agent
    /// each, named after their cards.
    pub models: Vec<PathBuf>,
    /// The regime agent (`regime-hmm`): a Gaussian HMM on percent log
    /// returns, refitted on a trailing window; its state reaches the
    /// meta-agent as market context.
    pub regime: Option<RollingHmmConfig>,
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
        AgentsConfig { feature_set: "agents_v1".into(), models: Vec::new(), regime: None, sentiment: None }
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
            model.push(ctx.features);
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
    let count = config.models.len() + usize::from(config.regime.is_some()) + usize::from(config.sentiment.is_some());
    if count > MAX_AGENTS {
        return Err(agent_error(config_file, format!("agents: {count} agents; at most {MAX_AGENTS} per run")));
    }
    let set = FeatureSetDef::builtin(&config.feature_set)
        .map_err(|e| agent_error(config_file, format!("agents.feature_set: {e}")))?;
    let mut names = Vec::new();
    let mut per_symbol: Vec<Vec<Box<dyn Agent>>> = symbols.iter().map(|_| Vec::new()).collect();
    for dir in &config.models {
        let cards = cards_in(dir)?;
        let head = ModelCard::load(&cards[0]).map_err(|e| agent_error(&cards[0], e))?;
        if !matches!(head.role, AgentRole::Trend | AgentRole::Pattern) {
            return Err(agent_error(
                &cards[0],
                format!("role: {} models are not direction agents served from feature windows", head.role.as_str()),
            ));
        }
        if names.contains(&head.name) {
            return Err(agent_error(&cards[0], format!("name: two agents are called {:?}", head.name)));
        }
        // Each card is loaded and checked once per interval; instruments of
        // that interval get forks sharing the optimised plan.
        let mut loaded: Vec<(Interval, Vec<OnnxDirectionAgent>)> = Vec::new();
        for (s, interval) in intervals.iter().enumerate() {
            if !loaded.iter().any(|(i, _)| i == interval) {
                let text = interval.to_string();
                let expect = CardExpectation { role: head.role, feature_set: &set, interval: Some(&text) };
                let models = cards
                    .iter()
                    .map(|c| {
                        let model = OnnxDirectionAgent::load(c, &expect).map_err(|e| agent_error(c, e))?;
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
                .map(|m| m.fork().map(|f| (f.trained_through(), f)).map_err(|e| agent_error(m.card_path(), e)))
                .collect::<Result<Vec<_>, _>>()?;
            per_symbol[s].push(Box::new(ScheduledDirectionAgent {
                name: head.name.clone(),
                schedule: ModelSchedule::new(entries),
            }));
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
