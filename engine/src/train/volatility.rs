//! Training and out-of-sample evaluation of volatility models.
//!
//! Why this module exists: the volatility agent is a GARCH(1,1) forecast
//! corrected by a network, and both halves must respect the walk-forward
//! rules. Its training samples come from
//! [`VolatilitySamples`], which runs the same [`RollingGarch`] bar by bar
//! that serving runs, so the GARCH input of a bar uses returns up to that
//! bar only; the folds, purge and embargo are the direction models'. The
//! target of bar `t` is the Parkinson variance of bar `t + 1`, so a fold's
//! model is available from the close of the bar after its last validation
//! sample (horizon 1).
//!
//! Evaluation runs the written ONNX files through their cards, tract and
//! the model schedule, as replay will, and scores every forecast against
//! the realised Parkinson variance of the next bar beside three baselines
//! made from past data only: the RollingGarch forecast alone (`garch11`),
//! RiskMetrics EWMA (`ewma`, decay 0.94) and Corsi's HAR (`har`, 1/5/22
//! bars, OLS-fitted per market on the proxy values known when the fold's
//! model became available).

use std::path::{Path, PathBuf};

use serde::Serialize;
use tradebot_agents::{
    CARD_FORMAT, CardExpectation, FeatureSetRef, InputLayout, InputSpec, ModelCard, ModelSchedule, OnnxVolatilityAgent,
    OutputKind, OutputSpec, PERCENT2_TO_FRACTION2, TrainingInfo, VolatilitySamples, VolatilitySpec, VolatilityTarget,
    data_hash, parkinson_variance, sha256_hex,
};
use tradebot_core::Timestamp;
use tradebot_eval::{
    DEFAULT_ALPHA, DieboldMariano, Har, HarConfig, RISKMETRICS_LAMBDA, VolatilityComparison, compare_variance,
    diebold_mariano, ewma_variance, qlike_losses, volatility_verdict,
};
use tradebot_garch::{RollingGarch, RollingGarchConfig};
use tradebot_train::{Network, RatioSplit, fit_volatility};

use super::config::{ModelConfig, TrainConfig};
use super::{Prepared, TrainRunError, TrainedModel, progress_bar, publish, staging_dir, write_file};

/// Bars ahead a volatility model forecasts: the next one.
pub const VOLATILITY_HORIZON: usize = 1;

/// The baselines' names, in the order of [`VolatilityReport::baselines`].
pub const VOLATILITY_BASELINES: [&str; 3] = ["garch11", "ewma", "har"];

fn train_err(m: &ModelConfig, fold: usize, e: tradebot_train::TrainError) -> TrainRunError {
    TrainRunError::Train { model: m.name.clone(), fold, source: Box::new(e) }
}

/// Trains one volatility model per fold, writes the cards and ONNX files,
/// evaluates them and publishes the folder.
pub(super) fn train_volatility(
    config: &TrainConfig,
    m: &ModelConfig,
    prepared: &Prepared,
    folds: &[tradebot_agents::Fold],
    out_dir: &Path,
    indices: &[usize],
    created: &str,
) -> Result<TrainedModel, TrainRunError> {
    let set_columns = prepared.set.columns();
    let columns: Vec<String> = indices.iter().filter_map(|&i| set_columns.get(i).cloned()).collect();
    let series = prepared.series();
    let axis = tradebot_agents::TimeAxis::new(&series);
    let Network::Mlp { hidden } = &m.network else {
        return Err(TrainRunError::Config {
            file: PathBuf::from("model.network"),
            at: None,
            message: format!("model {}: a volatility model is an MLP", m.name),
        });
    };
    let garch = m.garch_config();
    let samples = VolatilitySamples::collect(&series, &axis, indices, m.window, garch)?;
    let staging = staging_dir(out_dir, &m.name)?;
    let mut cards = Vec::new();
    for fold in folds {
        let train_s = samples.in_time(&fold.train);
        let val_s = samples.in_time(&fold.validation);
        let (norm, garch_input) = samples.fit_normalisers(&series, train_s, m.clip);
        let x_train = samples.inputs(&series, train_s, &norm, &garch_input);
        let x_val = samples.inputs(&series, val_s, &norm, &garch_input);
        let q_train = VolatilitySamples::ratios(train_s);
        let q_val = VolatilitySamples::ratios(val_s);
        let progress = progress_bar(&format!("{} fold {}/{}", m.name, fold.index + 1, folds.len()));
        let trained = fit_volatility(
            hidden,
            samples.input_len(),
            &m.fit,
            RatioSplit { inputs: &x_train, ratios: &q_train },
            RatioSplit { inputs: &x_val, ratios: &q_val },
            &progress,
        )
        .map_err(|e| train_err(m, fold.index, e))?;
        progress.finish_and_clear();
        let onnx = trained.to_onnx().map_err(|e| train_err(m, fold.index, e))?;
        let through_open = axis.time(fold.trained_through(VOLATILITY_HORIZON)).unwrap_or(Timestamp::MAX);
        let model_file = format!("fold-{}.onnx", fold.index);
        let card = ModelCard {
            format: CARD_FORMAT,
            name: m.name.clone(),
            version: m.version.clone(),
            role: m.role,
            architecture: trained.describe(),
            model_file: model_file.clone(),
            model_sha256: sha256_hex(&onnx),
            feature_set: FeatureSetRef::of(&prepared.set),
            input: InputSpec {
                layout: InputLayout::Flat,
                window: m.window,
                columns: columns.clone(),
                normalisation: norm,
                chart: None,
            },
            output: OutputSpec {
                kind: OutputKind::Volatility,
                classes: Vec::new(),
                label: config.label.clone(),
                volatility: Some(VolatilitySpec { target: VolatilityTarget::NextBarParkinson, garch, garch_input }),
            },
            training: TrainingInfo {
                symbols: prepared.symbols.clone(),
                interval: prepared.interval.to_string(),
                fold: fold.index,
                // The GARCH input carries state from the start of each
                // series (its fits and recursion), so the data used begins
                // with the first bar.
                first_bar: axis.time(0).unwrap_or(Timestamp::MIN),
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
                    // mean(q exp(-c) + c): QLIKE less a term the model cannot change.
                    "validation_qlike_loss".to_owned(),
                    trained.history.get(trained.best_epoch.saturating_sub(1)).map_or(f64::NAN, |e| e.validation_loss),
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
    let evaluation = evaluate_volatility(&card_paths, prepared)?;
    let json = serde_json::to_string_pretty(&evaluation).map_err(|e| TrainRunError::Eval(e.to_string()))?;
    write_file(&staging.join("evaluation.json"), format!("{json}\n").as_bytes())?;
    let dir = out_dir.join(&m.name);
    publish(&staging, &dir)?;
    Ok(TrainedModel {
        name: m.name.clone(),
        cards: cards.iter().map(|c| dir.join(c)).collect(),
        dir,
        evaluation: super::Evaluation::Volatility(Box::new(evaluation)),
    })
}

/// How the expected-range output compares with the ranges that followed.
#[derive(Debug, Clone, Serialize)]
pub struct RangeCheck {
    pub n: usize,
    /// Mean of the forecast `sqrt(8/pi) × sigma` (log range, fraction).
    pub mean_expected_log_range: f64,
    /// Mean of the next bar's `ln(high/low)`.
    pub mean_realised_log_range: f64,
    /// `mean_realised / mean_expected`: 1 for an unbiased range forecast.
    pub realised_over_expected: f64,
    /// Mean absolute error of the log range.
    pub mean_absolute_error: f64,
}

#[derive(Debug, Serialize)]
pub struct VolatilityFold {
    pub fold: usize,
    /// The card's file name in the model folder.
    pub card: PathBuf,
    pub available_from: Timestamp,
    pub samples: usize,
    pub comparison: Option<VolatilityComparison>,
    /// Why the fold could not be compared.
    pub error: Option<String>,
}

/// The out-of-sample evaluation of a volatility model (`evaluation.json`).
#[derive(Debug, Serialize)]
pub struct VolatilityReport {
    pub model: String,
    pub feature_set: String,
    pub symbols: Vec<String>,
    /// What every forecast is scored against.
    pub realised: &'static str,
    pub first_decision: Option<Timestamp>,
    pub last_decision: Option<Timestamp>,
    pub samples: usize,
    pub baselines: Vec<&'static str>,
    /// The GARCH schedule of the model's input and of the `garch11` baseline.
    pub garch: RollingGarchConfig,
    /// RollingGarch fits over all markets, and how many failed (the previous
    /// parameters were kept).
    pub garch_fits: u64,
    pub garch_failed_fits: u64,
    pub folds: Vec<VolatilityFold>,
    /// QLIKE and MSE of the model and every baseline on all samples, with a
    /// Diebold–Mariano test of QLIKE against each baseline.
    pub overall: VolatilityComparison,
    /// The baseline with the lowest QLIKE.
    pub best_baseline: String,
    /// The DM test against the best baseline again, on the per-bar mean
    /// QLIKE difference across markets (pooled samples are not independent).
    pub dm_by_bar: Option<DieboldMariano>,
    pub range: Option<RangeCheck>,
    /// One sentence: is any edge statistically significant?
    pub verdict: String,
}

#[derive(Clone, Copy)]
struct Sample {
    decision: Timestamp,
    symbol: usize,
    fold: usize,
    realised: f64,
    model: f64,
    baselines: [f64; 3],
    expected_log_range: f64,
    realised_log_range: f64,
}

fn eval_err(what: &str, e: impl std::fmt::Display) -> TrainRunError {
    TrainRunError::Eval(format!("{what}: {e}"))
}

/// Evaluates the volatility models of `cards` (one per fold) on `prepared`.
pub fn evaluate_volatility(cards: &[PathBuf], prepared: &Prepared) -> Result<VolatilityReport, TrainRunError> {
    let first = cards.first().ok_or_else(|| TrainRunError::Eval("no model cards".into()))?;
    let head = ModelCard::load(first)?;
    let interval = prepared.interval.to_string();
    let expect = CardExpectation { role: head.role, feature_set: &prepared.set, interval: Some(&interval) };
    let mut samples = Vec::new();
    let mut available: Vec<(Timestamp, PathBuf)> = Vec::new();
    let mut garch_config = None;
    let (mut garch_fits, mut garch_failed) = (0, 0);
    for (s, candles) in prepared.candles.iter().enumerate() {
        let agents = cards
            .iter()
            .map(|c| OnnxVolatilityAgent::load(c, &expect).map(|a| (a.trained_through(), a)))
            .collect::<Result<Vec<_>, _>>()?;
        let config = agents.first().map(|(_, a)| a.garch_config()).ok_or_else(|| eval_err("models", "none"))?;
        if let Some((_, a)) = agents.iter().find(|(_, a)| a.garch_config() != config) {
            return Err(eval_err(
                "models",
                format!("{} uses another GARCH schedule than its sibling folds", a.card_path().display()),
            ));
        }
        garch_config = Some(config);
        if s == 0 {
            available = agents
                .iter()
                .map(|(t, a)| (*t, a.card_path().file_name().map(PathBuf::from).unwrap_or_default()))
                .collect();
            available.sort();
        }
        let mut schedule = ModelSchedule::new(agents);
        let mut garch = RollingGarch::new(config).map_err(|e| eval_err("garch", e))?;
        // The realised proxy of every bar; imported data has 0 < low <= high,
        // so the fallback never applies.
        let realised: Vec<f64> = candles.iter().map(|c| parkinson_variance(c.high, c.low).unwrap_or(0.0)).collect();
        if realised.is_empty() {
            continue;
        }
        // EWMA starts from the mean of the first 100 bars, long before any
        // test bar; after thousands of bars its start no longer matters.
        let head_len = realised.len().min(100);
        let initial = realised[..head_len].iter().sum::<f64>() / head_len as f64;
        let ewma = ewma_variance(&realised, RISKMETRICS_LAMBDA, initial).map_err(|e| eval_err("EWMA baseline", e))?;
        // HAR per fold, on the proxy values known when the model became available.
        let mut hars: Vec<Option<Har>> = vec![None; schedule.len()];
        for (t, (candle, row)) in candles.iter().zip(&prepared.features[s]).enumerate() {
            garch.push_close(candle.close);
            let v = garch.forecast_variance();
            for (_, agent) in schedule.iter_mut() {
                agent.push(row, v);
            }
            let decision = prepared.close_time(candle.open_time);
            let (Some(k), Some(v), Some(next)) = (schedule.active_index(decision), v, candles.get(t + 1)) else {
                continue;
            };
            let Some(agent) = schedule.get_mut(k) else { continue };
            let Some(forecast) = agent.forecast()? else { continue };
            if hars[k].is_none() {
                let at = schedule.available_from(k).unwrap_or(Timestamp::MIN);
                let known = candles.iter().take_while(|c| prepared.close_time(c.open_time) <= at).count();
                hars[k] = Some(
                    Har::fit(&realised, 0..known, &HarConfig::default()).map_err(|e| eval_err("HAR baseline", e))?,
                );
            }
            let Some(har) = &hars[k] else { continue };
            if t + 1 < har.first_index() {
                continue;
            }
            let har_forecast =
                har.forecast(&realised, t + 1..t + 2).map_err(|e| eval_err("HAR forecast", e))?.first().copied();
            let Some(har_forecast) = har_forecast else { continue };
            samples.push(Sample {
                decision,
                symbol: s,
                fold: k,
                realised: realised[t + 1],
                model: forecast.variance,
                baselines: [v * PERCENT2_TO_FRACTION2, ewma[t + 1], har_forecast],
                expected_log_range: forecast.expected_log_range,
                realised_log_range: (next.high / next.low).ln(),
            });
        }
        garch_fits += garch.fits();
        garch_failed += garch.failed_fits();
    }
    samples.sort_by_key(|x| (x.decision, x.symbol));
    let overall = compare(&samples)?;
    let best = overall.best_baseline().map(|b| b.name.clone()).unwrap_or_default();
    let best_index = VOLATILITY_BASELINES.iter().position(|b| *b == best).unwrap_or(0);
    let dm_by_bar = dm_by_bar(&samples, best_index);
    let mut verdict = volatility_verdict(&overall, DEFAULT_ALPHA).map_err(|e| eval_err("verdict", e))?;
    if let Some(dm) = &dm_by_bar {
        let p = dm.p_value_model_better;
        verdict.push_str(&format!(
            " With markets averaged per bar the QLIKE test gives p {} ({}).",
            if p < 0.001 { "< 0.001".to_owned() } else { format!("= {p:.3}") },
            if p < DEFAULT_ALPHA { "significant" } else { "not significant" }
        ));
    }
    let folds = available
        .iter()
        .enumerate()
        .map(|(k, (at, card))| {
            let owned: Vec<Sample> = samples.iter().filter(|x| x.fold == k).copied().collect();
            let (comparison, error) = match compare(&owned) {
                Ok(c) => (Some(c), None),
                Err(e) => (None, Some(e.to_string())),
            };
            VolatilityFold { fold: k, card: card.clone(), available_from: *at, samples: owned.len(), comparison, error }
        })
        .collect();
    Ok(VolatilityReport {
        model: head.name,
        feature_set: format!("{} v{}", prepared.set.name, prepared.set.version),
        symbols: prepared.symbols.clone(),
        realised: "Parkinson variance of the next bar, ln(high/low)^2 / (4 ln 2), in squared log-return fractions",
        first_decision: samples.first().map(|x| x.decision),
        last_decision: samples.last().map(|x| x.decision),
        samples: samples.len(),
        baselines: VOLATILITY_BASELINES.to_vec(),
        garch: garch_config.unwrap_or_default(),
        garch_fits,
        garch_failed_fits: garch_failed,
        folds,
        overall,
        best_baseline: best,
        dm_by_bar,
        range: range_check(&samples),
        verdict,
    })
}

fn compare(samples: &[Sample]) -> Result<VolatilityComparison, TrainRunError> {
    let realised: Vec<f64> = samples.iter().map(|x| x.realised).collect();
    let model: Vec<f64> = samples.iter().map(|x| x.model).collect();
    let base: Vec<Vec<f64>> =
        (0..VOLATILITY_BASELINES.len()).map(|b| samples.iter().map(|x| x.baselines[b]).collect()).collect();
    let named: Vec<(&str, &[f64])> = VOLATILITY_BASELINES.iter().zip(&base).map(|(n, f)| (*n, f.as_slice())).collect();
    compare_variance(&realised, &model, &named, VOLATILITY_HORIZON).map_err(|e| eval_err("comparison", e))
}

/// DM on the per-bar means (over markets) of the model's and a baseline's QLIKE.
fn dm_by_bar(samples: &[Sample], baseline: usize) -> Option<DieboldMariano> {
    let realised: Vec<f64> = samples.iter().map(|x| x.realised).collect();
    let model = qlike_losses(&realised, &samples.iter().map(|x| x.model).collect::<Vec<_>>()).ok()?;
    let base = qlike_losses(&realised, &samples.iter().map(|x| x.baselines[baseline]).collect::<Vec<_>>()).ok()?;
    let (mut m, mut b) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < samples.len() {
        let j = i + samples[i..].iter().take_while(|x| x.decision == samples[i].decision).count();
        let n = (j - i) as f64;
        m.push(model[i..j].iter().sum::<f64>() / n);
        b.push(base[i..j].iter().sum::<f64>() / n);
        i = j;
    }
    diebold_mariano(&m, &b, VOLATILITY_HORIZON).ok()
}

fn range_check(samples: &[Sample]) -> Option<RangeCheck> {
    if samples.is_empty() {
        return None;
    }
    let n = samples.len() as f64;
    let expected = samples.iter().map(|x| x.expected_log_range).sum::<f64>() / n;
    let realised = samples.iter().map(|x| x.realised_log_range).sum::<f64>() / n;
    let mae = samples.iter().map(|x| (x.expected_log_range - x.realised_log_range).abs()).sum::<f64>() / n;
    Some(RangeCheck {
        n: samples.len(),
        mean_expected_log_range: expected,
        mean_realised_log_range: realised,
        realised_over_expected: realised / expected,
        mean_absolute_error: mae,
    })
}
