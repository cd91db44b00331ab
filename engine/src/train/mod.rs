//! `tradebot train` and `tradebot evaluate`, the library half.
//!
//! Training: load the markets, compute the feature set, label every bar,
//! cut walk-forward folds on the shared time axis, and for each model and
//! fold fit the normaliser and the network on the fold's training block,
//! stop early on its validation block, export ONNX and write the card.
//! Evaluation then runs the written models the way replay will: through
//! their cards, tract and the model schedule, so every forecast scored is
//! made by a model whose training ended before the bar it decides.
//!
//! Volatility models (`role = "volatility"`) go through the same folds but
//! their own samples, trainer and evaluation (see [`volatility`]).

mod config;
mod evaluate;
pub mod meta;
pub mod volatility;

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use thiserror::Error;
use tradebot_agents::{
    AgentRole, CARD_FORMAT, CLASS_NAMES, DirectionSamples, FeatureSetRef, InputLayout, InputSpec, LabelSpec, ModelCard,
    Normaliser, OutputKind, OutputSpec, SampleRef, SeriesData, TimeAxis, TrainingInfo, data_hash, sha256_hex,
};
use tradebot_chart::{ChartDataset, ChartRenderer};
use tradebot_core::{Candle, Interval, Timestamp};
use tradebot_features::{FeatureMatrix, FeatureSetDef};
use tradebot_train::{Split, fit};

pub use config::{ModelConfig, TrainConfig, TrainOutput};
pub use evaluate::{EvaluationReport, FoldEvaluation, evaluate_models};
pub use meta::{MetaConfig, MetaReport, MetaWeights, TrainedMeta, WeightSet, train_meta};
pub use volatility::{VolatilityReport, evaluate_volatility};

use crate::replay::{LoadedData, ReplayError};

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TrainRunError {
    #[error("{}{}: {message}", file.display(), at.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Config { file: PathBuf, at: Option<(usize, usize)>, message: String },
    // Boxed: both are large, and every Result of this module carries them.
    #[error(transparent)]
    Data(Box<ReplayError>),
    #[error(transparent)]
    Agent(Box<tradebot_agents::AgentError>),
    #[error("model {model}, fold {fold}: {source}")]
    Train {
        model: String,
        fold: usize,
        #[source]
        source: Box<tradebot_train::TrainError>,
    },
    #[error("evaluation: {0}")]
    Eval(String),
    #[error("writing {}: {message}", file.display())]
    Output { file: PathBuf, message: String },
}

impl From<ReplayError> for TrainRunError {
    fn from(e: ReplayError) -> Self {
        TrainRunError::Data(Box::new(e))
    }
}

impl From<tradebot_agents::AgentError> for TrainRunError {
    fn from(e: tradebot_agents::AgentError) -> Self {
        TrainRunError::Agent(Box::new(e))
    }
}

impl TrainRunError {
    pub fn is_bad_input(&self) -> bool {
        match self {
            TrainRunError::Config { .. } | TrainRunError::Agent(_) => true,
            TrainRunError::Data(e) => e.is_bad_input(),
            TrainRunError::Train { .. } | TrainRunError::Eval(_) | TrainRunError::Output { .. } => false,
        }
    }
}

/// Every market of a run as candles with its feature rows.
#[derive(Debug)]
pub struct Prepared {
    pub symbols: Vec<String>,
    pub interval: Interval,
    pub candles: Vec<Vec<Candle>>,
    pub features: Vec<Vec<Vec<f64>>>,
    pub set: FeatureSetDef,
}

impl Prepared {
    pub fn new(data: &LoadedData, set: FeatureSetDef) -> Result<Self, TrainRunError> {
        let mut candles = Vec::new();
        let mut features = Vec::new();
        for (i, store) in data.stores.iter().enumerate() {
            let meta = store.meta();
            let c: Vec<Candle> =
                data.candles(i).iter().map(|r| r.to_candle(meta.price_scale, meta.qty_scale)).collect();
            features.push(FeatureMatrix::compute(&set, &c).map_err(tradebot_agents::AgentError::from)?);
            candles.push(c);
        }
        Ok(Prepared {
            symbols: data.symbols.iter().map(ToString::to_string).collect(),
            interval: data.step_interval(),
            candles,
            features,
            set,
        })
    }

    pub fn series(&self) -> Vec<SeriesData<'_>> {
        (0..self.symbols.len())
            .map(|i| SeriesData { symbol: &self.symbols[i], candles: &self.candles[i], features: &self.features[i] })
            .collect()
    }

    /// Close time of the bar opening at `open`.
    pub fn close_time(&self, open: Timestamp) -> Timestamp {
        self.interval.add(open, 1).unwrap_or(Timestamp::MAX)
    }
}

/// An out-of-sample evaluation: of a direction or of a volatility model.
/// Serialises as the report itself (no tag), so `evaluation.json` of a
/// direction model is what it always was.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum Evaluation {
    Direction(Box<EvaluationReport>),
    Volatility(Box<VolatilityReport>),
}

impl Evaluation {
    /// The one-sentence verdict.
    pub fn verdict(&self) -> &str {
        match self {
            Evaluation::Direction(r) => &r.verdict,
            Evaluation::Volatility(r) => &r.verdict,
        }
    }
}

/// Evaluates the models of `cards` (one per fold) by their role: a
/// volatility model with [`evaluate_volatility`], any other with
/// [`evaluate_models`] and `label`.
pub fn evaluate(cards: &[PathBuf], prepared: &Prepared, label: &LabelSpec) -> Result<Evaluation, TrainRunError> {
    let first = cards.first().ok_or_else(|| TrainRunError::Eval("no model cards".into()))?;
    if ModelCard::load(first)?.role == AgentRole::Volatility {
        Ok(Evaluation::Volatility(Box::new(evaluate_volatility(cards, prepared)?)))
    } else {
        Ok(Evaluation::Direction(Box::new(evaluate_models(cards, prepared, label)?)))
    }
}

/// What one model's training produced.
#[derive(Debug)]
pub struct TrainedModel {
    pub name: String,
    pub dir: PathBuf,
    pub cards: Vec<PathBuf>,
    pub evaluation: Evaluation,
}

/// What a training run wrote.
#[derive(Debug)]
pub struct TrainRun {
    pub models: Vec<TrainedModel>,
    /// The learned meta-agent's weights, when the config has `[meta]`.
    pub meta: Option<TrainedMeta>,
}

/// Trains every model of `config` and evaluates it, then the meta-agent's
/// weights on the agents' out-of-fold outputs if `[meta]` asks for them;
/// `created` is the wall time stamped into the cards (the binary's edge
/// reads the clock).
pub fn train(config: &TrainConfig, data: &LoadedData, created: &str) -> Result<TrainRun, TrainRunError> {
    let set = FeatureSetDef::builtin(&config.feature_set).map_err(tradebot_agents::AgentError::from)?;
    set.require_candles_only().map_err(tradebot_agents::AgentError::from)?;
    let prepared = Prepared::new(data, set)?;
    let series = prepared.series();
    let axis = TimeAxis::new(&series);
    let horizon = config.label.horizon;
    let folds = config.walk_forward.plan(axis.len(), horizon)?;
    let out_dir = config.output.dir.clone().unwrap_or_else(|| PathBuf::from("models"));
    let set_columns = prepared.set.columns();
    let mut results = Vec::new();
    for m in &config.models {
        let columns: Vec<String> = if m.columns.is_empty() { set_columns.clone() } else { m.columns.clone() };
        let indices = columns
            .iter()
            .map(|c| {
                set_columns.iter().position(|s| s == c).ok_or_else(|| TrainRunError::Config {
                    file: PathBuf::from("model.columns"),
                    at: None,
                    message: format!("model {}: `{c}` is not a column of feature set {}", m.name, prepared.set.name),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if m.role == AgentRole::Volatility {
            results.push(volatility::train_volatility(config, m, &prepared, &folds, &out_dir, &indices, created)?);
            continue;
        }
        // A pattern CNN reads chart images of the candles, drawn once per
        // market by the renderer serving uses; other networks read windows
        // of feature rows.
        let charts = match m.network {
            tradebot_train::Network::Cnn { .. } => {
                let chart = m.chart.unwrap_or_default();
                let renderer = ChartRenderer::new(chart).map_err(|e| TrainRunError::Config {
                    file: PathBuf::from("model.chart"),
                    at: None,
                    message: format!("model {}: {e}", m.name),
                })?;
                let images = prepared
                    .candles
                    .iter()
                    .zip(&prepared.symbols)
                    .map(|(c, symbol)| {
                        renderer.render_all(c).map_err(|e| TrainRunError::Eval(format!("{symbol}: chart images: {e}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Some((chart, images))
            }
            _ => None,
        };
        let samples = match &charts {
            Some((chart, _)) => {
                let mut s = DirectionSamples::collect(&series, &axis, &[], 1, &config.label)?;
                s.samples.retain(|r| r.bar as usize + 1 >= chart.candles);
                s
            }
            None => DirectionSamples::collect(&series, &axis, &indices, m.window, &config.label)?,
        };
        let (layout, fit_shape, span) = match (&m.network, &charts) {
            (tradebot_train::Network::Cnn { .. }, Some((chart, _))) => (
                InputLayout::Image { height: chart.height, width: chart.width },
                (chart.height, chart.width),
                chart.lookback(),
            ),
            (tradebot_train::Network::Lstm { .. }, _) => (InputLayout::Sequence, (m.window, indices.len()), m.window),
            _ => (InputLayout::Flat, (m.window, indices.len()), m.window),
        };
        let staging = staging_dir(&out_dir, &m.name)?;
        let mut cards = Vec::new();
        for fold in &folds {
            let train_s = samples.in_time(&fold.train);
            let val_s = samples.in_time(&fold.validation);
            let (norm, x_train, x_val) = match &charts {
                Some((_, images)) => (Normaliser::None, chart_inputs(images, train_s)?, chart_inputs(images, val_s)?),
                None => {
                    let norm = samples.fit_normaliser(&series, train_s, m.clip);
                    let x_train = samples.inputs(&series, train_s, &norm);
                    let x_val = samples.inputs(&series, val_s, &norm);
                    (norm, x_train, x_val)
                }
            };
            let y_train = DirectionSamples::labels(train_s);
            let y_val = DirectionSamples::labels(val_s);
            let progress = progress_bar(&format!("{} fold {}/{}", m.name, fold.index + 1, folds.len()));
            let trained = fit(
                &m.network,
                fit_shape.0,
                fit_shape.1,
                &m.fit,
                Split { inputs: &x_train, labels: &y_train },
                Split { inputs: &x_val, labels: &y_val },
                &progress,
            )
            .map_err(|e| TrainRunError::Train {
                model: m.name.clone(),
                fold: fold.index,
                source: Box::new(e),
            })?;
            progress.finish_and_clear();
            let onnx = trained.to_onnx().map_err(|e| TrainRunError::Train {
                model: m.name.clone(),
                fold: fold.index,
                source: Box::new(e),
            })?;
            let through_index = fold.trained_through(horizon);
            let through_open = axis.time(through_index).unwrap_or(Timestamp::MAX);
            // The first window's first bar (bars are contiguous on the axis).
            let first_open = train_s
                .first()
                .and_then(|r| axis.time((r.time as usize + 1).saturating_sub(span)))
                .unwrap_or(Timestamp::MIN);
            let model_file = format!("fold-{}.onnx", fold.index);
            let card = ModelCard {
                format: CARD_FORMAT,
                name: m.name.clone(),
                version: m.version.clone(),
                role: m.role,
                architecture: m.network.describe(),
                model_file: model_file.clone(),
                model_sha256: sha256_hex(&onnx),
                feature_set: FeatureSetRef::of(&prepared.set),
                input: InputSpec {
                    layout,
                    window: charts.as_ref().map_or(m.window, |(c, _)| c.candles),
                    columns: if charts.is_some() { Vec::new() } else { columns.clone() },
                    normalisation: norm,
                    chart: charts.as_ref().map(|(c, _)| *c),
                },
                output: OutputSpec {
                    kind: OutputKind::Direction,
                    classes: CLASS_NAMES.iter().map(|c| (*c).to_owned()).collect(),
                    label: config.label.clone(),
                    volatility: None,
                },
                training: TrainingInfo {
                    symbols: prepared.symbols.clone(),
                    interval: prepared.interval.to_string(),
                    fold: fold.index,
                    first_bar: first_open,
                    trained_through: prepared.close_time(through_open),
                    data_sha256: data_hash(&series, through_open),
                    seed: m.fit.seed,
                    train_samples: train_s.len(),
                    validation_samples: val_s.len(),
                    epochs: trained.history.len(),
                },
                metrics: [
                    ("best_epoch".to_owned(), trained.best_epoch as f64),
                    (
                        "validation_log_loss".to_owned(),
                        trained
                            .history
                            .get(trained.best_epoch.saturating_sub(1))
                            .map_or(f64::NAN, |e| e.validation_loss),
                    ),
                ]
                .into_iter()
                .collect(),
                created: created.to_owned(),
            };
            write_file(&staging.join(&model_file), &onnx)?;
            let card_name = format!("fold-{}.json", fold.index);
            write_file(&staging.join(&card_name), card.to_json().as_bytes())?;
            cards.push(card_name);
        }
        let card_paths: Vec<PathBuf> = cards.iter().map(|c| staging.join(c)).collect();
        let evaluation = evaluate_models(&card_paths, &prepared, &config.label)?;
        let json = serde_json::to_string_pretty(&evaluation).map_err(|e| TrainRunError::Eval(e.to_string()))?;
        write_file(&staging.join("evaluation.json"), format!("{json}\n").as_bytes())?;
        let dir = out_dir.join(&m.name);
        publish(&staging, &dir)?;
        results.push(TrainedModel {
            name: m.name.clone(),
            cards: cards.iter().map(|c| dir.join(c)).collect(),
            dir,
            evaluation: Evaluation::Direction(Box::new(evaluation)),
        });
    }
    let meta = match &config.meta {
        Some(m) => Some(train_meta(m, &config.label, &prepared, &out_dir)?),
        None => None,
    };
    Ok(TrainRun { models: results, meta })
}

/// The images of `samples`, one after the other (samples start at the first
/// full chart, so each has one).
fn chart_inputs(images: &[ChartDataset], samples: &[SampleRef]) -> Result<Vec<f32>, TrainRunError> {
    let mut out = Vec::with_capacity(samples.len() * images.first().map_or(0, |d| d.height() * d.width()));
    for r in samples {
        let image = images
            .get(r.series as usize)
            .and_then(|d| d.image_for_bar(r.bar as usize))
            .ok_or_else(|| TrainRunError::Eval(format!("no chart image for bar {} of series {}", r.bar, r.series)))?;
        out.extend_from_slice(image);
    }
    Ok(out)
}

fn progress_bar(prefix: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} batches {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(prefix.to_owned());
    bar
}

/// A fresh hidden folder next to the final one: a failed run leaves the
/// previous models untouched.
fn staging_dir(out: &Path, name: &str) -> Result<PathBuf, TrainRunError> {
    let staging = out.join(format!(".{name}.partial"));
    let err = |e: std::io::Error| TrainRunError::Output { file: staging.clone(), message: e.to_string() };
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(err)?;
    }
    std::fs::create_dir_all(&staging).map_err(err)?;
    Ok(staging)
}

fn publish(staging: &Path, dir: &Path) -> Result<(), TrainRunError> {
    let err = |e: std::io::Error| TrainRunError::Output { file: dir.into(), message: e.to_string() };
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(err)?;
    }
    std::fs::rename(staging, dir).map_err(err)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), TrainRunError> {
    std::fs::write(path, bytes).map_err(|e| TrainRunError::Output { file: path.into(), message: e.to_string() })
}
