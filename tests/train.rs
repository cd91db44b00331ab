//! `tradebot train` and `tradebot evaluate`, specified: what they write, that
//! a fold's model never depends on data after its training end, that every
//! scored forecast comes from a model trained before the bar, and that a
//! model whose card does not fit is refused; likewise for volatility
//! models, which are scored against GARCH(1,1), EWMA and HAR baselines, and
//! for the learned meta-agent's weights, fitted on out-of-fold outputs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use crate::common::{data_dir, p, status, stderr, stdout, tradebot};

const MARKETS: [&str; 2] = ["ETH_BTC", "LTC_BTC"];

/// Copies the two markets' CSVs into `dir`, multiplying every price of bars
/// opening at or after `alter_from` by 1.02 and reversing their volumes.
fn write_markets(dir: &Path, alter_from: Option<&str>) {
    std::fs::create_dir_all(dir).unwrap();
    for m in MARKETS {
        let text = std::fs::read_to_string(data_dir().join(format!("{m}-5m.csv"))).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if let Some(cut) = alter_from {
            // Line 0 is the header.
            let first = 1 + lines[1..].iter().position(|l| l.len() >= 20 && l[..20] >= *cut).unwrap_or(lines.len() - 1);
            let volumes: Vec<String> =
                lines[first..].iter().map(|l| l.rsplit(',').next().unwrap().to_owned()).rev().collect();
            for (l, v) in lines[first..].iter_mut().zip(volumes) {
                let f: Vec<&str> = l.split(',').collect();
                let scale = |x: &str| format!("{:.10}", x.parse::<f64>().unwrap() * 1.02);
                *l = format!("{},{},{},{},{},{v}", f[0], scale(f[1]), scale(f[2]), scale(f[3]), scale(f[4]));
            }
        }
        std::fs::write(dir.join(format!("{m}-5m.csv")), lines.join("\n") + "\n").unwrap();
    }
}

/// The tiny trend model of these tests.
const TREND_MODEL: &str = r#"[[model]]
name = "tiny"
window = 4
network = { kind = "mlp", hidden = [8] }
fit = { max_epochs = 2, batch_size = 128, seed = 3 }
"#;

/// A tiny volatility model: a short GARCH schedule so that debug builds
/// fit it quickly.
const VOL_MODEL: &str = r#"[[model]]
name = "vol"
role = "volatility"
window = 4
network = { kind = "mlp", hidden = [8] }
garch = { fit_window = 300, refit_every = 100, min_returns = 200 }
fit = { max_epochs = 3, batch_size = 128, seed = 3 }
"#;

fn write_config(dir: &Path, out: &str) -> PathBuf {
    write_config_with(dir, out, TREND_MODEL)
}

fn write_config_with(dir: &Path, out: &str, models: &str) -> PathBuf {
    let feeds: Vec<String> =
        MARKETS.iter().map(|m| format!("{{ csv = \"{m}-5m.csv\", symbol = \"{m}\", interval = \"5m\" }}")).collect();
    let config = format!(
        r#"feature_set = "agents_v1"
[data]
feeds = [{}]
end = "2018-01-20T00:00:00Z"
[label]
horizon = 1
[walk_forward]
folds = 2
test = 300
validation = 200
train = 800
purge = 1
embargo = 2
{models}
[output]
dir = "{out}"
"#,
        feeds.join(", ")
    );
    let path = dir.join("train.toml");
    std::fs::write(&path, config).unwrap();
    path
}

fn train_in(dir: &Path, alter_from: Option<&str>) -> PathBuf {
    write_markets(dir, alter_from);
    let config = write_config(dir, "out");
    let o = tradebot(&["train", "--config", p(&config)]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("statistically significant"), "no verdict: {}", stdout(&o));
    dir.join("out/tiny")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn train_writes_a_model_and_card_per_fold_and_an_out_of_sample_evaluation() {
    let tmp = tempfile::tempdir().unwrap();
    let models = train_in(tmp.path(), None);
    for k in 0..2 {
        assert!(models.join(format!("fold-{k}.onnx")).is_file());
        let card = json(&models.join(format!("fold-{k}.json")));
        assert_eq!(card["feature_set"]["name"], "agents_v1");
        assert_eq!(card["input"]["window"], 4);
        assert_eq!(card["training"]["fold"], k);
        assert!(card["model_sha256"].as_str().unwrap().starts_with("sha256:"));
    }
    assert!(!tmp.path().join("out/.tiny.partial").exists(), "the staging folder is renamed into place");
    let eval = json(&models.join("evaluation.json"));
    assert!(eval["samples"].as_u64().unwrap() > 500, "{}", eval["samples"]);
    // Replay's rule: a forecast for a bar closing at t comes from a model
    // trained through t or earlier.
    for fold in eval["folds"].as_array().unwrap() {
        let card = json(&models.join(fold["card"].as_str().unwrap()));
        assert_eq!(fold["available_from"], card["training"]["trained_through"]);
    }
    let first_decision = eval["first_decision"].as_str().unwrap();
    let first_model = eval["folds"][0]["available_from"].as_str().unwrap();
    assert!(first_decision >= first_model, "{first_decision} before the first model {first_model}");
    for b in ["majority", "persistence", "logit_lagged_returns"] {
        assert!(eval["overall"]["baselines"].as_array().unwrap().iter().any(|x| x["name"] == b), "{b} missing");
    }
    // `evaluate` on the written folder reproduces the training run's evaluation.
    let config = tmp.path().join("train.toml");
    let out = tmp.path().join("again.json");
    let o = tradebot(&["evaluate", "--models", p(&models), "--config", p(&config), "--json", p(&out)]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&out)["overall"], eval["overall"]);
}

#[test]
fn altering_data_after_a_folds_training_end_changes_none_of_its_parameters() {
    let clean = tempfile::tempdir().unwrap();
    let models = train_in(clean.path(), None);
    let card0 = json(&models.join("fold-0.json"));
    let cut = card0["training"]["trained_through"].as_str().unwrap().to_owned();
    let altered = tempfile::tempdir().unwrap();
    let models2 = train_in(altered.path(), Some(&cut));
    let bytes = |m: &Path, f: &str| std::fs::read(m.join(f)).unwrap();
    assert_eq!(bytes(&models, "fold-0.onnx"), bytes(&models2, "fold-0.onnx"), "fold 0 saw data after {cut}");
    let card0b = json(&models2.join("fold-0.json"));
    assert_eq!(card0["training"], card0b["training"]);
    assert_eq!(card0["input"], card0b["input"]);
    // The alteration is real: the next fold, trained on it, differs.
    assert_ne!(bytes(&models, "fold-1.onnx"), bytes(&models2, "fold-1.onnx"));
}

#[test]
fn a_model_whose_card_does_not_match_is_refused_with_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let models = train_in(tmp.path(), None);
    let config = tmp.path().join("train.toml");
    let card_path = models.join("fold-1.json");
    let text = std::fs::read_to_string(&card_path).unwrap();
    let hash = json(&card_path)["feature_set"]["hash"].as_str().unwrap().to_owned();
    std::fs::write(&card_path, text.replace(&hash, "sha256:0000")).unwrap();
    let o = tradebot(&["evaluate", "--models", p(&models), "--config", p(&config)]);
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("fold-1.json: feature_set.hash is sha256:0000"), "{}", stderr(&o));

    // A model file that is not the one the card describes.
    std::fs::write(&card_path, text).unwrap();
    let mut onnx = std::fs::read(models.join("fold-0.onnx")).unwrap();
    let last = onnx.len() - 1;
    onnx[last] ^= 1;
    std::fs::write(models.join("fold-0.onnx"), onnx).unwrap();
    let o = tradebot(&["evaluate", "--models", p(&models), "--config", p(&config)]);
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("model_sha256"), "{}", stderr(&o));
}

#[test]
fn a_bad_training_config_names_the_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.toml");
    std::fs::write(
        &path,
        "[walk_forward]\nfolds = 2\ntest = 10\nvalidation = 5\ntrain = 10\npurge = 1\nembargoo = 3\n",
    )
    .unwrap();
    let o = tradebot(&["train", "--config", p(&path)]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("bad.toml:7:1"), "{}", stderr(&o));
    assert!(stderr(&o).contains("embargoo"), "{}", stderr(&o));
    std::fs::write(&path, "[walk_forward]\nfolds = 2\ntest = 10\nvalidation = 5\ntrain = 10\npurge = 0\n[[model]]\nname = \"m\"\nwindow = 2\nnetwork = { kind = \"lstm\", hidden = 4 }\n").unwrap();
    let o = tradebot(&["train", "--config", p(&path)]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("walk_forward.purge = 0"), "{}", stderr(&o));
}

fn train_vol_in(dir: &Path, alter_from: Option<&str>) -> PathBuf {
    write_markets(dir, alter_from);
    let config = write_config_with(dir, "out", VOL_MODEL);
    let o = tradebot(&["train", "--config", p(&config)]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("QLIKE"), "no volatility table: {}", stdout(&o));
    dir.join("out/vol")
}

#[test]
fn a_volatility_model_gets_a_card_per_fold_and_is_scored_against_garch_ewma_and_har() {
    let tmp = tempfile::tempdir().unwrap();
    let models = train_vol_in(tmp.path(), None);
    for k in 0..2 {
        assert!(models.join(format!("fold-{k}.onnx")).is_file());
        let card = json(&models.join(format!("fold-{k}.json")));
        assert_eq!(card["role"], "volatility");
        assert_eq!(card["output"]["kind"], "volatility");
        assert!(card["output"].get("classes").is_none(), "a volatility card lists no classes");
        assert_eq!(card["output"]["volatility"]["target"], "next_bar_parkinson");
        assert_eq!(card["output"]["volatility"]["garch"]["fit_window"], 300);
        assert_eq!(card["input"]["layout"], "flat");
        assert_eq!(card["training"]["fold"], k);
    }
    let eval = json(&models.join("evaluation.json"));
    assert!(eval["samples"].as_u64().unwrap() > 500, "{}", eval["samples"]);
    let names: Vec<&str> =
        eval["overall"]["baselines"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["garch11", "ewma", "har"]);
    for b in eval["overall"]["baselines"].as_array().unwrap() {
        assert!(b["qlike"].as_f64().unwrap().is_finite() && b["mse"].as_f64().unwrap() >= 0.0, "{b}");
        assert!(b["dm"]["p_value_model_better"].as_f64().is_some(), "DM test against {}: {b}", b["name"]);
    }
    assert!(eval["overall"]["model"]["qlike"].as_f64().unwrap().is_finite());
    assert_eq!(eval["folds"].as_array().unwrap().len(), 2);
    let best = eval["best_baseline"].as_str().unwrap();
    assert!(names.contains(&best));
    let verdict = eval["verdict"].as_str().unwrap();
    assert!(verdict.contains("statistically significant") && verdict.contains("QLIKE"), "{verdict}");
    assert!(!verdict.to_lowercase().contains("profit"), "{verdict}");
    assert!(eval["range"]["mean_expected_log_range"].as_f64().unwrap() > 0.0);
    assert!(eval["garch_fits"].as_u64().unwrap() > 0);
    // Every scored forecast comes from a model trained before its bar.
    for fold in eval["folds"].as_array().unwrap() {
        let card = json(&models.join(fold["card"].as_str().unwrap()));
        assert_eq!(fold["available_from"], card["training"]["trained_through"]);
    }
    let first_decision = eval["first_decision"].as_str().unwrap();
    assert!(first_decision >= eval["folds"][0]["available_from"].as_str().unwrap());
    // `evaluate` on the folder reproduces the training run's numbers.
    let config = tmp.path().join("train.toml");
    let out = tmp.path().join("again.json");
    let o = tradebot(&["evaluate", "--models", p(&models), "--config", p(&config), "--json", p(&out)]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    assert_eq!(json(&out)["overall"], eval["overall"]);
    assert_eq!(json(&out)["verdict"], eval["verdict"]);
}

#[test]
fn altering_data_after_a_volatility_folds_training_end_changes_none_of_its_parameters() {
    let clean = tempfile::tempdir().unwrap();
    let models = train_vol_in(clean.path(), None);
    let card0 = json(&models.join("fold-0.json"));
    let cut = card0["training"]["trained_through"].as_str().unwrap().to_owned();
    let altered = tempfile::tempdir().unwrap();
    let models2 = train_vol_in(altered.path(), Some(&cut));
    let bytes = |m: &Path, f: &str| std::fs::read(m.join(f)).unwrap();
    assert_eq!(bytes(&models, "fold-0.onnx"), bytes(&models2, "fold-0.onnx"), "fold 0 saw data after {cut}");
    let card0b = json(&models2.join("fold-0.json"));
    assert_eq!(card0["training"], card0b["training"]);
    assert_eq!(card0["input"], card0b["input"]);
    assert_eq!(card0["output"], card0b["output"], "the GARCH input's normalisation too");
    assert_ne!(bytes(&models, "fold-1.onnx"), bytes(&models2, "fold-1.onnx"), "the alteration is real");
}

#[test]
fn train_with_model_trains_only_that_model_and_refuses_an_unknown_name() {
    let tmp = tempfile::tempdir().unwrap();
    write_markets(tmp.path(), None);
    let config = write_config_with(tmp.path(), "out", &format!("{TREND_MODEL}{VOL_MODEL}"));
    let o = tradebot(&["train", "--config", p(&config), "--model", "tiny"]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    assert!(tmp.path().join("out/tiny/fold-1.json").is_file());
    assert!(!tmp.path().join("out/vol").exists(), "vol was not asked for");
    let o = tradebot(&["train", "--config", p(&config), "--model", "nope"]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("no [[model]] or [meta] named `nope`"), "{}", stderr(&o));
}

#[test]
fn a_volatility_model_must_be_an_mlp_and_only_it_reads_a_garch_schedule() {
    let tmp = tempfile::tempdir().unwrap();
    write_markets(tmp.path(), None);
    let lstm = VOL_MODEL.replace(r#"{ kind = "mlp", hidden = [8] }"#, r#"{ kind = "lstm", hidden = 8 }"#);
    let config = write_config_with(tmp.path(), "out", &lstm);
    let o = tradebot(&["train", "--config", p(&config)]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("network: a volatility model is an MLP"), "{}", stderr(&o));
    let trend_with_garch =
        format!("{TREND_MODEL}garch = {{ fit_window = 300, refit_every = 10, min_returns = 200 }}\n");
    let config = write_config_with(tmp.path(), "out", &trend_with_garch);
    let o = tradebot(&["train", "--config", p(&config)]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("garch: only a volatility model"), "{}", stderr(&o));
    let short = VOL_MODEL.replace("min_returns = 200", "min_returns = 50");
    let config = write_config_with(tmp.path(), "out", &short);
    let o = tradebot(&["train", "--config", p(&config)]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("min_returns = 50"), "{}", stderr(&o));
}

/// The learned meta-agent over the tiny trend model.
const META: &str = r#"[meta]
name = "meta"
agents = ["tiny"]
hidden = 4
fit = { max_epochs = 3, batch_size = 128, seed = 3 }
"#;

/// Trains the tiny model on three folds and the meta-agent over it.
fn train_meta_in(dir: &Path, alter_from: Option<&str>) -> PathBuf {
    write_markets(dir, alter_from);
    let config = write_config_with(dir, "out", &format!("{TREND_MODEL}{META}"));
    let text = std::fs::read_to_string(&config).unwrap().replace("folds = 2", "folds = 3");
    std::fs::write(&config, text).unwrap();
    let o = tradebot(&["train", "--config", p(&config)]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("meta: 2 weight sets over tiny"), "{}", stdout(&o));
    dir.join("out/meta")
}

fn nanos(rfc3339: &serde_json::Value) -> i64 {
    tradebot::core::Timestamp::parse(rfc3339.as_str().unwrap()).unwrap().as_nanos()
}

#[test]
fn the_meta_agents_weights_are_fitted_walk_forward_on_out_of_fold_outputs_only() {
    let tmp = tempfile::tempdir().unwrap();
    let meta = train_meta_in(tmp.path(), None);
    let weights = json(&meta.join("weights.json"));
    assert_eq!(weights["agents"], serde_json::json!(["tiny"]));
    assert_eq!(weights["min_confidence"], 0.55);
    let schedule = weights["schedule"].as_array().unwrap();
    assert_eq!(schedule.len(), 2, "one weight set per agent fold after the first");
    for (j, set) in schedule.iter().enumerate() {
        // Set j serves from the moment the agent's fold j + 1 exists, so
        // every output it was fitted on came from folds trained before.
        let card = json(&tmp.path().join(format!("out/tiny/fold-{}.json", j + 1)));
        assert_eq!(set["from_ns"].as_i64().unwrap(), nanos(&card["training"]["trained_through"]));
        let w1 = set["w1"].as_array().unwrap();
        assert_eq!((w1.len(), w1[0].as_array().unwrap().len()), (4, 3), "hidden x 3n");
        assert_eq!(set["w2"].as_array().unwrap().len(), 3);
        assert_eq!(set["b1"].as_array().unwrap().len(), 4);
    }
    let eval = json(&meta.join("evaluation.json"));
    assert_eq!(eval["baselines"], serde_json::json!(["tiny", "average"]));
    let sets = eval["sets"].as_array().unwrap();
    let served: u64 = sets.iter().map(|s| s["samples"].as_u64().unwrap()).sum();
    assert!(sets.iter().all(|s| s["samples"].as_u64().unwrap() > 100 && s["train_samples"].as_u64().unwrap() > 0));
    assert_eq!(served, eval["samples"].as_u64().unwrap(), "every scored bar is served by exactly one set");
    assert!(nanos(&eval["first_decision"]) >= schedule[0]["from_ns"].as_i64().unwrap());
    let verdict = eval["verdict"].as_str().unwrap();
    assert!(verdict.contains("statistically significant") && !verdict.to_lowercase().contains("profit"), "{verdict}");
    assert_eq!(eval["agent_models"][0].as_array().unwrap().len(), 3, "the hash of each fold model it was fitted on");

    // Data after the first set became available cannot change it.
    let cut =
        json(&tmp.path().join("out/tiny/fold-1.json"))["training"]["trained_through"].as_str().unwrap().to_owned();
    let altered = tempfile::tempdir().unwrap();
    let weights2 = json(&train_meta_in(altered.path(), Some(&cut)).join("weights.json"));
    assert_eq!(weights2["schedule"][0], schedule[0], "set 0 saw data after {cut}");
    assert_ne!(weights2["schedule"][1], schedule[1], "the alteration is real");
}

#[test]
fn a_meta_section_without_agents_or_with_a_bad_fraction_names_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    write_markets(tmp.path(), None);
    for (meta, want) in [
        ("[meta]\nagents = []\n", "meta: agents: list at least one"),
        ("[meta]\nagents = [\"tiny\"]\nvalidation_fraction = 1.5\n", "meta: validation_fraction = 1.5"),
        ("[meta]\nagents = [\"tiny\", \"tiny\"]\n", "meta: agents[1] = \"tiny\": appears twice"),
    ] {
        let config = write_config_with(tmp.path(), "out", &format!("{TREND_MODEL}{meta}"));
        let o = tradebot(&["train", "--config", p(&config)]);
        assert_eq!(status(&o), 2, "{meta}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{meta}: {}", stderr(&o));
    }
}

/// A tiny pattern CNN on 16 x 15 charts of 5 candles.
const CNN_MODEL: &str = r#"[[model]]
name = "cnn"
role = "pattern"
window = 5
network = { kind = "cnn", channels = 2, kernel = 3, pool = 2 }
chart = { height = 16, width = 15, candles = 5, volume_height = 3 }
fit = { max_epochs = 2, batch_size = 128, seed = 3 }
"#;

fn train_cnn_in(dir: &Path, alter_from: Option<&str>) -> PathBuf {
    write_markets(dir, alter_from);
    let config = write_config_with(dir, "out", CNN_MODEL);
    let o = tradebot(&["train", "--config", p(&config)]);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("statistically significant"), "no verdict: {}", stdout(&o));
    dir.join("out/cnn")
}

#[test]
fn a_pattern_cnn_reads_chart_images_and_its_folds_never_see_data_after_their_training_end() {
    let tmp = tempfile::tempdir().unwrap();
    let models = train_cnn_in(tmp.path(), None);
    for k in 0..2 {
        let card = json(&models.join(format!("fold-{k}.json")));
        assert_eq!(card["role"], "pattern");
        assert_eq!(card["architecture"], "cnn(2,k3,p2)");
        assert_eq!(card["input"]["layout"], serde_json::json!({"image": {"height": 16, "width": 15}}));
        assert_eq!(card["input"]["chart"]["candles"], 5);
        assert_eq!(card["input"]["window"], 5);
        assert_eq!(card["input"]["columns"], serde_json::json!([]));
        assert_eq!(card["input"]["normalisation"]["kind"], "none");
    }
    let eval = json(&models.join("evaluation.json"));
    assert!(eval["samples"].as_u64().unwrap() > 500);
    for fold in eval["folds"].as_array().unwrap() {
        let card = json(&models.join(fold["card"].as_str().unwrap()));
        assert_eq!(fold["available_from"], card["training"]["trained_through"]);
    }

    let cut = json(&models.join("fold-0.json"))["training"]["trained_through"].as_str().unwrap().to_owned();
    let altered = tempfile::tempdir().unwrap();
    let models2 = train_cnn_in(altered.path(), Some(&cut));
    let bytes = |m: &Path, f: &str| std::fs::read(m.join(f)).unwrap();
    assert_eq!(bytes(&models, "fold-0.onnx"), bytes(&models2, "fold-0.onnx"), "fold 0 saw data after {cut}");
    assert_ne!(bytes(&models, "fold-1.onnx"), bytes(&models2, "fold-1.onnx"), "the alteration is real");
}

#[test]
fn a_cnn_must_be_a_pattern_model_whose_window_is_its_charts_candles() {
    let tmp = tempfile::tempdir().unwrap();
    write_markets(tmp.path(), None);
    for (model, want) in [
        (CNN_MODEL.replace("role = \"pattern\"", "role = \"trend\""), "network: a CNN reads chart images"),
        (CNN_MODEL.replace("window = 5", "window = 6"), "window: 6 bars, but the chart shows 5 candles"),
        (TREND_MODEL.replace("fit =", "chart = { candles = 5 }\nfit ="), "chart: only a CNN"),
    ] {
        let config = write_config_with(tmp.path(), "out", &model);
        let o = tradebot(&["train", "--config", p(&config)]);
        assert_eq!(status(&o), 2, "{model}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{model}: {}", stderr(&o));
    }
}
