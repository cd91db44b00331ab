//! `tradebot fit garch|hmm --json`: the commands the golden comparisons run
//! print the reference files' fields, and agree with `arch` and `hmmlearn`
//! by the criteria of `tests/golden/README.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use crate::common::{data_dir, p, status, stderr, stdout, tradebot};

fn golden(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

fn fit(args: &[&str]) -> serde_json::Value {
    let o = tradebot(args);
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn fit_garch_matches_arch_on_the_reference_files() {
    let reference = golden("arch/garch11.arch.json");
    for file in ["ETH_BTC-5m.csv", "UNITTEST_BTC-30m.csv"] {
        let ours = fit(&["fit", "garch", "--data", p(&data_dir().join(file)), "--json"]);
        let r = &reference[file];
        assert_eq!(ours["n_returns"], r["n_returns"], "{file}");
        let (ll, ll_ref) = (ours["loglikelihood"].as_f64().unwrap(), r["loglikelihood"].as_f64().unwrap());
        assert!(ll >= ll_ref - 5e-4 * ll_ref.abs(), "{file}: log-likelihood {ll} vs {ll_ref}");
        let (v, v_ref) = (ours["next_variance"].as_f64().unwrap(), r["next_variance"].as_f64().unwrap());
        assert!(rel(v, v_ref) <= 0.02, "{file}: next variance {v} vs {v_ref}");
        let persistence = ours["alpha"].as_f64().unwrap() + ours["beta"].as_f64().unwrap();
        assert!(persistence < 1.0, "{file}: alpha + beta = {persistence}");
    }
}

#[test]
fn fit_hmm_matches_hmmlearn_on_the_reference_files() {
    let reference = golden("hmmlearn/hmm2.hmmlearn.json");
    for file in ["ETH_BTC-5m.csv", "UNITTEST_BTC-30m.csv"] {
        let ours = fit(&["fit", "hmm", "--states", "2", "--data", p(&data_dir().join(file)), "--json"]);
        let r = &reference[file];
        for key in ["n_obs", "n_states"] {
            assert_eq!(ours[key], r[key], "{file}: {key}");
        }
        let (ll, ll_ref) = (ours["loglikelihood"].as_f64().unwrap(), r["loglikelihood"].as_f64().unwrap());
        assert!(ll >= ll_ref - 1e-3 * ll_ref.abs(), "{file}: log-likelihood {ll} vs {ll_ref}");
        for key in ["means", "variances"] {
            for k in 0..2 {
                let (a, b) = (ours[key][k].as_f64().unwrap(), r[key][k].as_f64().unwrap());
                assert!(rel(a, b) <= 0.05, "{file}: {key}[{k}] {a} vs {b}");
            }
        }
        for k in 0..2 {
            for key in ["stationary", "last_state_prob"] {
                let (a, b) = (ours[key][k].as_f64().unwrap(), r[key][k].as_f64().unwrap());
                assert!((a - b).abs() <= 0.01, "{file}: {key}[{k}] {a} vs {b}");
            }
            for j in 0..2 {
                let (a, b) = (ours["transmat"][k][j].as_f64().unwrap(), r["transmat"][k][j].as_f64().unwrap());
                assert!((a - b).abs() <= 0.01, "{file}: transmat[{k}][{j}] {a} vs {b}");
            }
        }
    }
}

#[test]
fn fit_rejects_a_bad_file_with_its_line_and_too_little_data() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("BAD-5m.csv");
    std::fs::write(&bad, "timestamp,open,high,low,close,volume\n2020-01-01T00:00:00Z,1,2,0.5,x,1\n").unwrap();
    let o = tradebot(&["fit", "garch", "--data", p(&bad), "--json"]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("BAD-5m.csv:2"), "{}", stderr(&o));
    let short = dir.path().join("SHORT-5m.csv");
    let mut text = String::from("timestamp,open,high,low,close,volume\n");
    for i in 0..10 {
        text.push_str(&format!("2020-01-01T00:{:02}:00Z,1,20,0.5,{}.5,1\n", i * 5, i + 1));
    }
    std::fs::write(&short, text).unwrap();
    let o = tradebot(&["fit", "garch", "--data", p(&short)]);
    assert_eq!(status(&o), 2);
    assert!(stderr(&o).contains("SHORT-5m.csv") && stderr(&o).contains("100"), "{}", stderr(&o));
}
