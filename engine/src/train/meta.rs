//! The learned meta-agent's weights, trained on out-of-fold agent outputs.
//!
//! Why this module exists: the `meta-learned` plugin combines the agents'
//! probabilities with the seed's small network (`Linear(3n, h) → ReLU →
//! Linear(h, 3) → softmax`). Fitted on the agents' in-sample outputs it
//! would learn to trust whichever agent overfitted most; so it sees only
//! out-of-fold outputs — at each bar, the prediction of the agent's latest
//! fold trained before that bar, exactly what replay serves — and it is
//! itself trained walk-forward. Weight set `j` is fitted on the bars whose
//! labels had resolved when the agents' fold `j` became available (the last
//! `validation_fraction` of them, in time, for early stopping, with the
//! labels reaching into it purged from training), and it serves from that
//! instant on. The plugin picks, at each decision, the latest set whose
//! `from_ns` is at or before the bar's close and abstains before the first
//! one, so a replay never uses weights fitted on its future.
//!
//! Evaluation scores each set on the bars it serves (until the next set)
//! against every agent alone and the agents' plain average, with the forward
//! pass computed in f64 from the very numbers written for the plugin, in the
//! plugin's order of operations.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tradebot_agents::{CardExpectation, LabelSpec, ModelCard, ModelSchedule, OnnxDirectionAgent};
use tradebot_core::Timestamp;
use tradebot_eval::{DEFAULT_ALPHA, DirectionComparison, Probs, compare_direction, direction_verdict};
use tradebot_train::{FitConfig, Network, Split, fit};

use super::{Prepared, TrainRunError, progress_bar, publish, staging_dir, write_file};

/// `[meta]` of a training config.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaConfig {
    /// Folder name under the output directory.
    #[serde(default = "default_name")]
    pub name: String,
    /// Direction model folders under the output directory (trained by this
    /// run or an earlier one), in the order the plugin's input lists them.
    pub agents: Vec<String>,
    /// Hidden units.
    #[serde(default = "default_hidden")]
    pub hidden: usize,
    #[serde(default)]
    pub fit: FitConfig,
    /// The latest fraction (in time) of a set's samples that early stopping
    /// validates on.
    #[serde(default = "default_validation_fraction")]
    pub validation_fraction: f64,
    /// Written into the plugin config: the seed's should-trade thresholds.
    #[serde(default = "default_min_confidence")]
    pub min_confidence: f64,
    #[serde(default = "default_max_disagreement")]
    pub max_disagreement: f64,
}

fn default_name() -> String {
    "meta-learned".into()
}
fn default_hidden() -> usize {
    8
}
fn default_validation_fraction() -> f64 {
    0.25
}
fn default_min_confidence() -> f64 {
    0.55
}
fn default_max_disagreement() -> f64 {
    0.4
}

/// Fewest samples a weight set is fitted on (training plus validation).
pub const MIN_META_SAMPLES: usize = 200;

impl MetaConfig {
    /// Checks every field; the message names it.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.is_empty() || !self.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("name = {:?}: use letters, digits, `-` and `_` (it names a folder)", self.name));
        }
        if self.agents.is_empty() {
            return Err("agents: list at least one direction model folder".into());
        }
        if let Some((i, a)) = self.agents.iter().enumerate().find(|(i, a)| self.agents[..*i].contains(a)) {
            return Err(format!("agents[{i}] = {a:?}: appears twice"));
        }
        if self.hidden == 0 {
            return Err("hidden = 0: must be at least 1".into());
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return Err(format!("validation_fraction = {}: must be in (0, 1)", self.validation_fraction));
        }
        for (field, v) in [("min_confidence", self.min_confidence), ("max_disagreement", self.max_disagreement)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{field} = {v}: must be in [0, 1]"));
            }
        }
        self.fit.validate().map_err(|e| format!("fit: {e}"))
    }
}

/// One weight set as the `meta-learned` plugin reads it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightSet {
    /// Serves decisions at bars closing at or after this instant (Unix ns).
    pub from_ns: i64,
    /// `hidden × 3n`, row-major.
    pub w1: Vec<Vec<f64>>,
    pub b1: Vec<f64>,
    /// `3 × hidden`.
    pub w2: Vec<Vec<f64>>,
    pub b2: Vec<f64>,
}

impl WeightSet {
    /// The plugin's forward pass, in its order of operations: probabilities
    /// of down, neutral, up for the agents' concatenated probabilities.
    #[must_use]
    pub fn forward(&self, input: &[f64]) -> Probs {
        let hidden: Vec<f64> = self
            .w1
            .iter()
            .zip(&self.b1)
            .map(|(row, b)| (row.iter().zip(input).map(|(w, x)| w * x).sum::<f64>() + b).max(0.0))
            .collect();
        let mut logits = [0.0; 3];
        for (l, (row, b)) in logits.iter_mut().zip(self.w2.iter().zip(&self.b2)) {
            *l = row.iter().zip(&hidden).map(|(w, x)| w * x).sum::<f64>() + b;
        }
        let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e = logits.map(|l| (l - m).exp());
        let z = e[0] + e[1] + e[2];
        e.map(|v| v / z)
    }
}

/// The `meta-learned` plugin's config, written as `weights.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaWeights {
    pub agents: Vec<String>,
    pub min_confidence: f64,
    pub max_disagreement: f64,
    /// Sorted by `from_ns`.
    pub schedule: Vec<WeightSet>,
}

/// How one weight set was fitted and how it scored on the bars it served.
#[derive(Debug, Serialize)]
pub struct MetaSetReport {
    pub set: usize,
    pub available_from: Timestamp,
    pub train_samples: usize,
    pub validation_samples: usize,
    pub epochs: usize,
    pub best_epoch: usize,
    /// Bars it decided (until the next set).
    pub samples: usize,
    pub comparison: Option<DirectionComparison>,
    pub error: Option<String>,
}

/// `evaluation.json` of a meta-agent folder.
#[derive(Debug, Serialize)]
pub struct MetaReport {
    pub name: String,
    pub agents: Vec<String>,
    /// SHA-256 of every fold model of every agent, in card order: the
    /// outputs these weights were fitted on.
    pub agent_models: Vec<Vec<String>>,
    pub symbols: Vec<String>,
    pub first_decision: Option<Timestamp>,
    pub last_decision: Option<Timestamp>,
    pub samples: usize,
    /// The competitors, in the order of `overall.baselines`.
    pub baselines: Vec<String>,
    pub sets: Vec<MetaSetReport>,
    pub overall: DirectionComparison,
    pub verdict: String,
}

/// One bar on which every agent spoke and the label is known.
#[derive(Clone, Debug)]
struct MetaSample {
    decision: Timestamp,
    /// When the label became known: the close of bar `t + horizon`.
    resolved: Timestamp,
    symbol: usize,
    label: u8,
    /// The agents' probabilities, concatenated, as replay hands them to the
    /// plugin.
    input: Vec<f64>,
}

fn fold_cards(dir: &Path) -> Result<Vec<PathBuf>, TrainRunError> {
    let entries = std::fs::read_dir(dir).map_err(|e| TrainRunError::Eval(format!("{}: {e}", dir.display())))?;
    let mut cards: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("fold-") && n.ends_with(".json"))
        })
        .collect();
    cards.sort();
    if cards.is_empty() {
        return Err(TrainRunError::Eval(format!("{}: no fold-*.json model cards", dir.display())));
    }
    Ok(cards)
}

/// Each market's out-of-fold predictions of one agent folder, by bar, and
/// the folds' availability times (sorted) and model hashes.
type AgentOutputs = (Vec<Vec<Option<Probs>>>, Vec<Timestamp>, Vec<String>);

fn agent_outputs(dir: &Path, prepared: &Prepared) -> Result<AgentOutputs, TrainRunError> {
    let cards = fold_cards(dir)?;
    let head = ModelCard::load(&cards[0])?;
    let interval = prepared.interval.to_string();
    let expect = CardExpectation { role: head.role, feature_set: &prepared.set, interval: Some(&interval) };
    let loaded = cards
        .iter()
        .map(|c| OnnxDirectionAgent::load(c, &expect).map(|a| (a.trained_through(), a)))
        .collect::<Result<Vec<_>, _>>()?;
    let hashes = loaded.iter().map(|(_, a)| a.card().model_sha256.clone()).collect();
    let mut available: Vec<Timestamp> = loaded.iter().map(|(t, _)| *t).collect();
    available.sort();
    let mut outputs = Vec::with_capacity(prepared.symbols.len());
    for (s, candles) in prepared.candles.iter().enumerate() {
        let mut schedule =
            ModelSchedule::new(loaded.iter().map(|(t, a)| a.fork().map(|f| (*t, f))).collect::<Result<Vec<_>, _>>()?);
        let mut out = Vec::with_capacity(candles.len());
        for (candle, row) in candles.iter().zip(&prepared.features[s]) {
            for (_, agent) in schedule.iter_mut() {
                agent.push(candle, row);
            }
            let decision = prepared.close_time(candle.open_time);
            let forecast = match schedule.active_index(decision).and_then(|k| schedule.get_mut(k)) {
                Some(agent) => agent.forecast()?,
                None => None,
            };
            out.push(forecast.map(|f| f.probs.map(f64::from)));
        }
        outputs.push(out);
    }
    Ok((outputs, available, hashes))
}

fn normalised(p: &[f64]) -> Probs {
    let sum: f64 = p.iter().sum();
    [p[0] / sum, p[1] / sum, p[2] / sum]
}

fn eval_err(what: &str, e: impl std::fmt::Display) -> TrainRunError {
    TrainRunError::Eval(format!("meta: {what}: {e}"))
}

/// What [`train_meta`] wrote.
#[derive(Debug)]
pub struct TrainedMeta {
    pub dir: PathBuf,
    pub weights: MetaWeights,
    pub report: MetaReport,
}

/// Fits the weight schedule on the out-of-fold outputs of the agents in
/// `out_dir`, evaluates it, and publishes `weights.json` and
/// `evaluation.json` in `out_dir/<name>`.
pub fn train_meta(
    meta: &MetaConfig,
    label: &LabelSpec,
    prepared: &Prepared,
    out_dir: &Path,
) -> Result<TrainedMeta, TrainRunError> {
    let h = label.horizon;
    let n_in = 3 * meta.agents.len();
    let labels: Vec<Vec<Option<u8>>> = prepared
        .candles
        .iter()
        .map(|c| label.direction_labels(&c.iter().map(|c| c.close).collect::<Vec<_>>()))
        .collect();
    let mut per_agent = Vec::with_capacity(meta.agents.len());
    let mut agent_models = Vec::with_capacity(meta.agents.len());
    let mut boundaries: Vec<Timestamp> = Vec::new();
    for name in &meta.agents {
        let (outputs, available, hashes) = agent_outputs(&out_dir.join(name), prepared)?;
        // Fold k of the combiner can only start once every agent's fold k exists.
        if boundaries.is_empty() {
            boundaries = available;
        } else if boundaries.len() != available.len() {
            return Err(eval_err(
                "agents",
                format!("{name} has {} folds, the others {}", available.len(), boundaries.len()),
            ));
        } else {
            for (b, a) in boundaries.iter_mut().zip(available) {
                *b = (*b).max(a);
            }
        }
        per_agent.push(outputs);
        agent_models.push(hashes);
    }
    let mut samples = Vec::new();
    for (s, candles) in prepared.candles.iter().enumerate() {
        for t in 0..candles.len() {
            let (Some(y), Some(after)) = (labels[s][t], candles.get(t + h)) else { continue };
            let mut input = Vec::with_capacity(n_in);
            for agent in &per_agent {
                match agent[s][t] {
                    Some(p) => input.extend_from_slice(&p),
                    None => break,
                }
            }
            if input.len() != n_in {
                continue;
            }
            samples.push(MetaSample {
                decision: prepared.close_time(candles[t].open_time),
                resolved: prepared.close_time(after.open_time),
                symbol: s,
                label: y,
                input,
            });
        }
    }
    samples.sort_by_key(|x| (x.decision, x.symbol));

    let staging = staging_dir(out_dir, &meta.name)?;
    let mut schedule = Vec::new();
    let mut sets = Vec::new();
    let network = Network::Mlp { hidden: vec![meta.hidden] };
    for (j, &from) in boundaries.iter().enumerate().skip(1) {
        let known: Vec<&MetaSample> = samples.iter().filter(|x| x.resolved <= from).collect();
        let cut = known.len() - (known.len() as f64 * meta.validation_fraction).round() as usize;
        let val_start = known.get(cut).map_or(Timestamp::MAX, |x| x.decision);
        // A training label must have resolved before validation begins.
        let train: Vec<&MetaSample> = known.iter().copied().filter(|x| x.resolved <= val_start).collect();
        let val: Vec<&MetaSample> = known.iter().copied().filter(|x| x.decision >= val_start).collect();
        if train.len() + val.len() < MIN_META_SAMPLES || val.is_empty() || train.is_empty() {
            sets.push(MetaSetReport {
                set: j,
                available_from: from,
                train_samples: train.len(),
                validation_samples: val.len(),
                epochs: 0,
                best_epoch: 0,
                samples: 0,
                comparison: None,
                error: Some(format!(
                    "{} out-of-fold samples resolved by {from}; at least {MIN_META_SAMPLES} needed",
                    known.len()
                )),
            });
            continue;
        }
        let flat =
            |xs: &[&MetaSample]| -> Vec<f32> { xs.iter().flat_map(|x| x.input.iter().map(|&v| v as f32)).collect() };
        let (x_train, x_val) = (flat(&train), flat(&val));
        let y_train: Vec<u8> = train.iter().map(|x| x.label).collect();
        let y_val: Vec<u8> = val.iter().map(|x| x.label).collect();
        let progress = progress_bar(&format!("{} set {j}/{}", meta.name, boundaries.len() - 1));
        let trained = fit(
            &network,
            1,
            n_in,
            &meta.fit,
            Split { inputs: &x_train, labels: &y_train },
            Split { inputs: &x_val, labels: &y_val },
            &progress,
        )
        .map_err(|e| TrainRunError::Train { model: meta.name.clone(), fold: j, source: Box::new(e) })?;
        progress.finish_and_clear();
        let layers = trained
            .dense_layers()
            .map_err(|e| TrainRunError::Train { model: meta.name.clone(), fold: j, source: Box::new(e) })?
            .ok_or_else(|| eval_err("network", "not an MLP"))?;
        let [l1, l2] = layers.as_slice() else { return Err(eval_err("network", "expected two dense layers")) };
        let rows = |w: &[f32], width: usize| -> Vec<Vec<f64>> {
            w.chunks(width).map(|r| r.iter().map(|&v| f64::from(v)).collect()).collect()
        };
        let set = WeightSet {
            from_ns: from.as_nanos(),
            w1: rows(&l1.weights, n_in),
            b1: l1.bias.iter().map(|&v| f64::from(v)).collect(),
            w2: rows(&l2.weights, meta.hidden),
            b2: l2.bias.iter().map(|&v| f64::from(v)).collect(),
        };
        sets.push(MetaSetReport {
            set: j,
            available_from: from,
            train_samples: train.len(),
            validation_samples: val.len(),
            epochs: trained.history.len(),
            best_epoch: trained.best_epoch,
            samples: 0,
            comparison: None,
            error: None,
        });
        schedule.push(set);
    }
    if schedule.is_empty() {
        return Err(eval_err("schedule", "no weight set could be fitted (too few out-of-fold samples)"));
    }
    let weights = MetaWeights {
        agents: meta.agents.clone(),
        min_confidence: meta.min_confidence,
        max_disagreement: meta.max_disagreement,
        schedule,
    };
    let report = evaluate_meta(meta, &weights, &samples, sets, agent_models, prepared, h)?;
    write_file(&staging.join("weights.json"), pretty(&weights)?.as_bytes())?;
    write_file(&staging.join("evaluation.json"), pretty(&report)?.as_bytes())?;
    let dir = out_dir.join(&meta.name);
    publish(&staging, &dir)?;
    Ok(TrainedMeta { dir, weights, report })
}

fn pretty<T: Serialize>(value: &T) -> Result<String, TrainRunError> {
    serde_json::to_string_pretty(value).map(|j| format!("{j}\n")).map_err(|e| TrainRunError::Eval(e.to_string()))
}

/// Scores each set on the bars it serves against every agent and their
/// average.
fn evaluate_meta(
    meta: &MetaConfig,
    weights: &MetaWeights,
    samples: &[MetaSample],
    mut sets: Vec<MetaSetReport>,
    agent_models: Vec<Vec<String>>,
    prepared: &Prepared,
    horizon: usize,
) -> Result<MetaReport, TrainRunError> {
    let n = meta.agents.len();
    let first_from = weights.schedule[0].from_ns;
    let scored: Vec<&MetaSample> = samples.iter().filter(|x| x.decision.as_nanos() >= first_from).collect();
    let active = |x: &MetaSample| weights.schedule.partition_point(|s| s.from_ns <= x.decision.as_nanos()) - 1;
    let mut names: Vec<String> = meta.agents.clone();
    names.push("average".into());
    let score = |xs: &[&MetaSample]| -> Result<DirectionComparison, TrainRunError> {
        let labels: Vec<u8> = xs.iter().map(|x| x.label).collect();
        let model: Vec<Probs> = xs.iter().map(|x| weights.schedule[active(x)].forward(&x.input)).collect();
        let mut columns: Vec<Vec<Probs>> =
            (0..n).map(|a| xs.iter().map(|x| normalised(&x.input[3 * a..3 * a + 3])).collect()).collect();
        columns.push(
            xs.iter()
                .map(|x| {
                    let mut avg = [0.0; 3];
                    for a in 0..n {
                        for (c, v) in avg.iter_mut().zip(normalised(&x.input[3 * a..3 * a + 3])) {
                            *c += v / n as f64;
                        }
                    }
                    avg
                })
                .collect(),
        );
        let baselines: Vec<(&str, &[Probs])> =
            names.iter().map(String::as_str).zip(columns.iter().map(Vec::as_slice)).collect();
        compare_direction(&labels, &model, &baselines, horizon).map_err(|e| eval_err("comparison", e))
    };
    let overall = score(&scored)?;
    let verdict = direction_verdict(&overall, DEFAULT_ALPHA).map_err(|e| eval_err("verdict", e))?;
    for report in &mut sets {
        let own: Vec<&MetaSample> = scored
            .iter()
            .copied()
            .filter(|x| weights.schedule[active(x)].from_ns == report.available_from.as_nanos())
            .collect();
        report.samples = own.len();
        if report.error.is_none() {
            match score(&own) {
                Ok(c) => report.comparison = Some(c),
                Err(e) => report.error = Some(e.to_string()),
            }
        }
    }
    Ok(MetaReport {
        name: meta.name.clone(),
        agents: meta.agents.clone(),
        agent_models,
        symbols: prepared.symbols.clone(),
        first_decision: scored.first().map(|x| x.decision),
        last_decision: scored.last().map(|x| x.decision),
        samples: scored.len(),
        baselines: names,
        sets,
        overall,
        verdict,
    })
}
