//! `tradebot train --config FILE` and `tradebot evaluate --models DIR`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::anyhow;
use tradebot::Timestamp;
use tradebot::features::FeatureSetDef;
use tradebot::replay::{DataConfig, load};
use tradebot::train::{
    Evaluation, EvaluationReport, Prepared, TrainConfig, TrainRunError, TrainedMeta, VolatilityReport, evaluate, train,
};
use tradebot_agents::ModelCard;

use super::Failure;

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Training config (TOML): data, feature set, label, walk-forward folds, models.
    #[arg(long)]
    config: PathBuf,
    /// Write model folders here instead of the config's `output.dir`.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Train only the `[[model]]` of this name (repeatable); the others are
    /// left as they are.
    #[arg(long = "model", value_name = "NAME")]
    only: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// A model folder written by `tradebot train` (its `fold-*.json` cards).
    #[arg(long)]
    models: PathBuf,
    /// A training config whose `[data]` section names the markets (default:
    /// the bundled data, as in the default replay).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Also write the full evaluation as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

impl From<TrainRunError> for Failure {
    fn from(e: TrainRunError) -> Self {
        let bad_input = e.is_bad_input();
        Failure { error: e.into(), bad_input }
    }
}

fn now_rfc3339() -> String {
    // The binary's edge: the only wall-clock read of training, stamped into
    // the cards as their creation time.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    Timestamp::from_nanos(nanos).to_string()
}

pub fn train_cmd(args: TrainArgs) -> Result<ExitCode, Failure> {
    let mut config = TrainConfig::load(&args.config)?;
    if let Some(dir) = args.output {
        config.output.dir = Some(dir);
    }
    let meta_name = config.meta.as_ref().map(|m| m.name.clone());
    let known = |n: &String| config.models.iter().any(|m| &m.name == n) || meta_name.as_ref() == Some(n);
    if let Some(missing) = args.only.iter().find(|n| !known(n)) {
        return Err(Failure::input(anyhow!("{}: no [[model]] or [meta] named `{missing}`", args.config.display())));
    }
    if !args.only.is_empty() {
        config.models.retain(|m| args.only.contains(&m.name));
        if meta_name.is_some_and(|n| !args.only.contains(&n)) {
            config.meta = None;
        }
    }
    let data = load(&config.data, None).map_err(TrainRunError::from)?;
    let run = train(&config, &data, &now_rfc3339())?;
    for m in &run.models {
        println!("{}: {} fold models in {}", m.name, m.cards.len(), m.dir.display());
        print_evaluation(&m.evaluation);
    }
    if let Some(meta) = &run.meta {
        print_meta(meta);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_meta(meta: &TrainedMeta) {
    let r = &meta.report;
    println!(
        "{}: {} weight sets over {} in {}",
        r.name,
        meta.weights.schedule.len(),
        r.agents.join(", "),
        meta.dir.display()
    );
    println!(
        "  out-of-sample: {} decisions of {} markets, {} to {}",
        r.samples,
        r.symbols.len(),
        r.first_decision.map(|t| t.to_string()).unwrap_or_default(),
        r.last_decision.map(|t| t.to_string()).unwrap_or_default()
    );
    println!("  {:<22} {:>9} {:>9} {:>9}", "forecaster", "accuracy", "log-loss", "Brier");
    let m = &r.overall.model;
    println!("  {:<22} {:>9.4} {:>9.4} {:>9.4}", r.name, m.accuracy, m.log_loss, m.brier);
    for b in &r.overall.baselines {
        println!("  {:<22} {:>9.4} {:>9.4} {:>9.4}", b.name, b.report.accuracy, b.report.log_loss, b.report.brier);
    }
    println!("  {}", r.verdict);
}

pub fn evaluate_cmd(args: EvaluateArgs) -> Result<ExitCode, Failure> {
    let mut cards: Vec<PathBuf> = std::fs::read_dir(&args.models)
        .map_err(|e| Failure::input(anyhow!("{}: {e}", args.models.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("fold-") && n.ends_with(".json"))
        })
        .collect();
    cards.sort();
    let first = cards
        .first()
        .ok_or_else(|| Failure::input(anyhow!("{}: no fold-*.json model cards", args.models.display())))?;
    let card = ModelCard::load(first).map_err(TrainRunError::from)?;
    let data_config = match &args.config {
        Some(path) => TrainConfig::load(path)?.data,
        None => DataConfig::default(),
    };
    let set = FeatureSetDef::builtin(&card.feature_set.name)
        .map_err(|e| Failure::input(anyhow!("{}: feature_set.name: {e}", first.display())))?;
    let data = load(&data_config, None).map_err(TrainRunError::from)?;
    let prepared = Prepared::new(&data, set)?;
    let report = evaluate(&cards, &prepared, &card.output.label)?;
    print_evaluation(&report);
    if let Some(path) = args.json {
        let json = serde_json::to_string_pretty(&report).map_err(|e| Failure::input(anyhow!("{e}")))?;
        std::fs::write(&path, format!("{json}\n"))
            .map_err(|e| Failure { error: anyhow!("{}: {e}", path.display()), bad_input: false })?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_evaluation(e: &Evaluation) {
    match e {
        Evaluation::Direction(r) => print_direction(r),
        Evaluation::Volatility(r) => print_volatility(r),
    }
}

fn print_volatility(r: &VolatilityReport) {
    println!(
        "  out-of-sample: {} variance forecasts of {} markets, {} to {}",
        r.samples,
        r.symbols.len(),
        r.first_decision.map(|t| t.to_string()).unwrap_or_default(),
        r.last_decision.map(|t| t.to_string()).unwrap_or_default()
    );
    println!("  realised: {}", r.realised);
    println!("  {:<22} {:>9} {:>12} {:>12}", "forecaster", "QLIKE", "MSE", "DM p");
    let m = &r.overall.model;
    println!("  {:<22} {:>9.4} {:>12.4e} {:>12}", r.model, m.qlike, m.mse, "");
    for b in &r.overall.baselines {
        let p = b.dm.map(|d| format!("{:.4}", d.p_value_model_better)).unwrap_or_else(|| "-".into());
        println!("  {:<22} {:>9.4} {:>12.4e} {:>12}", b.name, b.qlike, b.mse, p);
    }
    if let Some(range) = &r.range {
        println!(
            "  next-bar ln(high/low): expected {:.5}, realised {:.5} (ratio {:.3})",
            range.mean_expected_log_range, range.mean_realised_log_range, range.realised_over_expected
        );
    }
    println!("  {}", r.verdict);
}

fn print_direction(r: &EvaluationReport) {
    println!(
        "  out-of-sample: {} forecasts of {} markets, {} to {}",
        r.samples,
        r.symbols.len(),
        r.first_decision.map(|t| t.to_string()).unwrap_or_default(),
        r.last_decision.map(|t| t.to_string()).unwrap_or_default()
    );
    println!("  {:<22} {:>9} {:>9} {:>9} {:>9}", "forecaster", "accuracy", "bal.acc", "log-loss", "brier");
    let row = |name: &str, m: &tradebot_eval::ClassificationReport| {
        println!("  {name:<22} {:>9.4} {:>9.4} {:>9.4} {:>9.4}", m.accuracy, m.balanced_accuracy, m.log_loss, m.brier);
    };
    row(&r.model, &r.overall.model);
    for b in &r.overall.baselines {
        row(&b.name, &b.report);
    }
    println!("  {}", r.verdict);
}
