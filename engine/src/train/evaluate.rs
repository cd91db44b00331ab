//! Out-of-sample evaluation through the serving path.
//!
//! The models are loaded from their cards (so every check replay makes is
//! made), run with tract, and chosen bar by bar by the model schedule: a bar
//! closing at `t` is forecast only by the latest model trained through `t`.
//! Each baseline is fitted on exactly the data that model was trained on
//! (labels whose horizon ended by its `trained_through`) and scored on the
//! same bars. Samples of all markets are pooled in (time, market) order,
//! which is the series the Diebold–Mariano test sees.

use std::path::PathBuf;

use serde::Serialize;
use tradebot_agents::{CardExpectation, LabelSpec, ModelCard, ModelSchedule, OnnxDirectionAgent};
use tradebot_core::Timestamp;
use tradebot_eval::{
    DEFAULT_ALPHA, DieboldMariano, DirectionComparison, LaggedLogit, LogitConfig, MajorityClass, Persistence, Probs,
    compare_direction, diebold_mariano, direction_verdict, log_losses,
};

use super::{Prepared, TrainRunError};

#[derive(Debug, Serialize)]
pub struct FoldEvaluation {
    pub fold: usize,
    /// The card's file name in the model folder.
    pub card: PathBuf,
    pub available_from: Timestamp,
    pub samples: usize,
    pub comparison: Option<DirectionComparison>,
    /// Why the fold could not be compared (e.g. too few samples).
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct EvaluationReport {
    pub model: String,
    pub feature_set: String,
    pub symbols: Vec<String>,
    pub first_decision: Option<Timestamp>,
    pub last_decision: Option<Timestamp>,
    pub samples: usize,
    pub baselines: Vec<&'static str>,
    pub folds: Vec<FoldEvaluation>,
    pub overall: DirectionComparison,
    /// The Diebold–Mariano test again, on the per-bar mean log-loss
    /// difference across markets (against the same baseline). Markets move
    /// together, so pooled samples are not independent; this series is.
    pub dm_by_bar: Option<DieboldMariano>,
    /// One sentence: is any edge statistically significant?
    pub verdict: String,
}

const BASELINES: [&str; 3] = ["majority", "persistence", "logit_lagged_returns"];

#[derive(Clone, Copy)]
struct Sample {
    decision: Timestamp,
    symbol: usize,
    fold: usize,
    label: u8,
    model: Probs,
    baselines: [Probs; 3],
}

fn eval_err(what: &str, e: impl std::fmt::Display) -> TrainRunError {
    TrainRunError::Eval(format!("{what}: {e}"))
}

/// Evaluates the models of `cards` (one per fold) on `prepared`.
pub fn evaluate_models(
    cards: &[PathBuf],
    prepared: &Prepared,
    label: &LabelSpec,
) -> Result<EvaluationReport, TrainRunError> {
    let first = cards.first().ok_or_else(|| TrainRunError::Eval("no model cards".into()))?;
    let head = ModelCard::load(first)?;
    let interval = prepared.interval.to_string();
    let expect = CardExpectation { role: head.role, feature_set: &prepared.set, interval: Some(&interval) };
    let h = label.horizon;
    let logit_cfg = LogitConfig::default();
    let mut samples = Vec::new();
    let mut available: Vec<(Timestamp, PathBuf)> = Vec::new();
    // Every market's labels, once: the pooled baselines of each fold read all of them.
    let all_labels: Vec<Vec<Option<u8>>> = prepared
        .candles
        .iter()
        .map(|c| label.direction_labels(&c.iter().map(|c| c.close).collect::<Vec<_>>()))
        .collect();
    // Majority and persistence per fold are fitted on all markets, so they
    // are shared by every market (filled when a fold is first used).
    let mut pooled_baselines: Vec<Option<(MajorityClass, Persistence)>> = vec![None; cards.len()];
    for (s, candles) in prepared.candles.iter().enumerate() {
        let agents = cards
            .iter()
            .map(|c| OnnxDirectionAgent::load(c, &expect).map(|a| (a.trained_through(), a)))
            .collect::<Result<Vec<_>, _>>()?;
        if s == 0 {
            // File names only: the folder may be a staging folder renamed later.
            available = agents
                .iter()
                .map(|(t, a)| (*t, a.card_path().file_name().map(PathBuf::from).unwrap_or_default()))
                .collect();
            available.sort();
        }
        let mut schedule = ModelSchedule::new(agents);
        let closes: Vec<f64> = candles.iter().map(|c| c.close).collect();
        let labels = &all_labels[s];
        let labels_u8: Vec<u8> = labels.iter().map(|l| l.unwrap_or(1)).collect();
        let returns: Vec<f64> =
            (0..closes.len()).map(|t| if t == 0 { f64::NAN } else { (closes[t] / closes[t - 1]).ln() }).collect();
        // Bars whose label was resolved by time `at`: t + h closes at or before it.
        let resolved_by = |at: Timestamp| {
            candles.iter().take_while(|c| prepared.close_time(c.open_time) <= at).count().saturating_sub(h)
        };
        // The logit per fold, fitted on this market's resolved labels.
        let mut logits: Vec<Option<Option<LaggedLogit>>> = vec![None; schedule.len()];
        for (t, row) in prepared.features[s].iter().enumerate() {
            for (_, agent) in schedule.iter_mut() {
                agent.push(&candles[t], row);
            }
            let decision = prepared.close_time(candles[t].open_time);
            let (Some(k), Some(y)) = (schedule.active_index(decision), labels[t]) else { continue };
            let Some(prev) = t.checked_sub(h).and_then(|p| labels[p]) else { continue };
            let Some(agent) = schedule.get_mut(k) else { continue };
            let Some(forecast) = agent.forecast()? else { continue };
            let at = schedule.available_from(k).unwrap_or(Timestamp::MIN);
            if pooled_baselines[k].is_none() {
                let pooled = pooled_resolved_labels(prepared, &all_labels, h, at);
                let majority = MajorityClass::fit(&pooled).map_err(|e| eval_err("majority baseline", e))?;
                let persistence = Persistence::fit(&pooled).map_err(|e| eval_err("persistence baseline", e))?;
                pooled_baselines[k] = Some((majority, persistence));
            }
            if logits[k].is_none() {
                let start = label.vol_window.max(logit_cfg.lags);
                let end = resolved_by(at);
                logits[k] = Some(
                    (end > start + 50)
                        .then(|| LaggedLogit::fit(&returns, &labels_u8, start..end, &logit_cfg).ok())
                        .flatten(),
                );
            }
            let (Some((majority, persistence)), Some(logit)) = (&pooled_baselines[k], &logits[k]) else { continue };
            // A market whose logit could not be fitted (too little history
            // before the model) falls back to the majority forecast.
            let logit_probs = match logit {
                Some(l) => l.forecast_at(&returns, t).unwrap_or(majority.forecast(1)[0]),
                None => majority.forecast(1)[0],
            };
            let p = forecast.probs.map(f64::from);
            let sum: f64 = p.iter().sum();
            samples.push(Sample {
                decision,
                symbol: s,
                fold: k,
                label: y,
                model: p.map(|v| v / sum),
                baselines: [majority.forecast(1)[0], persistence.forecast_after(prev), logit_probs],
            });
        }
    }
    samples.sort_by_key(|x| (x.decision, x.symbol));
    let overall = compare(&samples, h)?;
    let dm_by_bar = dm_by_bar(&samples, overall.log_loss_baseline, h);
    let mut verdict = direction_verdict(&overall, DEFAULT_ALPHA).map_err(|e| eval_err("verdict", e))?;
    if let Some(dm) = &dm_by_bar {
        let holds = dm.p_value_model_better < DEFAULT_ALPHA;
        verdict.push_str(&format!(
            " With markets averaged per bar the log-loss test gives p {} ({}).",
            if dm.p_value_model_better < 0.001 {
                "< 0.001".to_owned()
            } else {
                format!("= {:.3}", dm.p_value_model_better)
            },
            if holds { "still significant" } else { "not significant" }
        ));
    }
    let folds = available
        .iter()
        .enumerate()
        .map(|(k, (at, card))| {
            let owned: Vec<Sample> = samples.iter().filter(|x| x.fold == k).copied().collect();
            let (comparison, error) = match compare(&owned, h) {
                Ok(c) => (Some(c), None),
                Err(e) => (None, Some(e.to_string())),
            };
            FoldEvaluation { fold: k, card: card.clone(), available_from: *at, samples: owned.len(), comparison, error }
        })
        .collect();
    Ok(EvaluationReport {
        model: head.name,
        feature_set: format!("{} v{}", prepared.set.name, prepared.set.version),
        symbols: prepared.symbols.clone(),
        first_decision: samples.first().map(|x| x.decision),
        last_decision: samples.last().map(|x| x.decision),
        samples: samples.len(),
        baselines: BASELINES.to_vec(),
        folds,
        overall,
        dm_by_bar,
        verdict,
    })
}

/// DM on the per-bar means (over markets) of the model's and a baseline's log-loss.
fn dm_by_bar(samples: &[Sample], baseline: usize, horizon: usize) -> Option<DieboldMariano> {
    let labels: Vec<u8> = samples.iter().map(|x| x.label).collect();
    let model = log_losses(&labels, &samples.iter().map(|x| x.model).collect::<Vec<_>>());
    let base = log_losses(&labels, &samples.iter().map(|x| x.baselines[baseline]).collect::<Vec<_>>());
    let (mut m, mut b) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < samples.len() {
        let j = i + samples[i..].iter().take_while(|x| x.decision == samples[i].decision).count();
        let n = (j - i) as f64;
        m.push(model[i..j].iter().sum::<f64>() / n);
        b.push(base[i..j].iter().sum::<f64>() / n);
        i = j;
    }
    diebold_mariano(&m, &b, horizon).ok()
}

fn compare(samples: &[Sample], horizon: usize) -> Result<DirectionComparison, TrainRunError> {
    let labels: Vec<u8> = samples.iter().map(|x| x.label).collect();
    let model: Vec<Probs> = samples.iter().map(|x| x.model).collect();
    let base: Vec<Vec<Probs>> =
        (0..BASELINES.len()).map(|b| samples.iter().map(|x| x.baselines[b]).collect()).collect();
    let named: Vec<(&str, &[Probs])> = BASELINES.iter().zip(&base).map(|(n, p)| (*n, p.as_slice())).collect();
    compare_direction(&labels, &model, &named, horizon).map_err(|e| eval_err("comparison", e))
}

/// Every market's labels resolved by `at`, in market order.
fn pooled_resolved_labels(
    prepared: &Prepared,
    all_labels: &[Vec<Option<u8>>],
    horizon: usize,
    at: Timestamp,
) -> Vec<u8> {
    let mut out = Vec::new();
    for (candles, labels) in prepared.candles.iter().zip(all_labels) {
        for (t, l) in labels.iter().enumerate() {
            let Some(l) = l else { continue };
            let resolved = candles.get(t + horizon).map(|c| prepared.close_time(c.open_time));
            if resolved.is_some_and(|r| r <= at) {
                out.push(*l);
            }
        }
    }
    out
}
