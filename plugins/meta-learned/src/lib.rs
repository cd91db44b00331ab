//! A learned combiner, the seed's `Linear(3n, h) → ReLU → Linear(h, 3) →
//! Softmax` over the agents' concatenated probabilities. The weights are not
//! built in: they arrive through `init`, trained by `tradebot train` on
//! out-of-fold agent outputs only. Disagreement and the should-trade rule are
//! the seed's; confidence is `(1 - disagreement) * max(probabilities)`.
//!
//! Config (JSON):
//! `{"agents": ["trend", "pattern"], "w1": [[...3n...] x h], "b1": [h], "w2": [[...h...] x 3], "b2": [3],
//!   "min_confidence": 0.55, "max_disagreement": 0.4}`.

use std::cell::RefCell;

use serde::Deserialize;
use tradebot_plugin_sdk::formulas::argmax;
use tradebot_plugin_sdk::meta::{
    About, AgentPrediction, Guest, MarketContext, MetaDecision, Note, Probabilities, abstain, disagreement,
    should_trade,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    agents: Vec<String>,
    w1: Vec<Vec<f64>>,
    b1: Vec<f64>,
    w2: Vec<Vec<f64>>,
    b2: Vec<f64>,
    #[serde(default = "min_confidence")]
    min_confidence: f64,
    #[serde(default = "max_disagreement")]
    max_disagreement: f64,
}

fn min_confidence() -> f64 {
    0.55
}
fn max_disagreement() -> f64 {
    0.4
}

struct State {
    config: Option<Config>,
    input: Vec<f64>,
    hidden: Vec<f64>,
}

thread_local! {
    static STATE: RefCell<State> = const { RefCell::new(State { config: None, input: Vec::new(), hidden: Vec::new() }) };
}

fn check(c: &Config) -> Result<(), String> {
    let n_in = 3 * c.agents.len();
    let h = c.b1.len();
    if c.agents.is_empty() {
        return Err("agents: empty".into());
    }
    if c.w1.len() != h || c.w1.iter().any(|row| row.len() != n_in) {
        return Err(format!("w1: expected {h} rows of {n_in} values"));
    }
    if c.w2.len() != 3 || c.w2.iter().any(|row| row.len() != h) || c.b2.len() != 3 {
        return Err(format!("w2/b2: expected 3 rows of {h} values and 3 biases"));
    }
    let all = c.w1.iter().flatten().chain(&c.b1).chain(c.w2.iter().flatten()).chain(&c.b2);
    if let Some(bad) = all.clone().position(|v| !v.is_finite()) {
        return Err(format!("weights: value #{bad} is not finite"));
    }
    tradebot_plugin_sdk::config::check_range("min_confidence", c.min_confidence, 0.0, 1.0)?;
    tradebot_plugin_sdk::config::check_range("max_disagreement", c.max_disagreement, 0.0, 1.0)
}

struct Learned;

impl Guest for Learned {
    fn init(config: String) -> Result<(), String> {
        let c: Config = serde_json::from_str(&config)
            .map_err(|e| format!("config line {} column {}: {e}", e.line(), e.column()))?;
        check(&c)?;
        STATE.with_borrow_mut(|s| {
            s.input = vec![0.0; 3 * c.agents.len()];
            s.hidden = vec![0.0; c.b1.len()];
            s.config = Some(c);
        });
        Ok(())
    }

    fn about() -> About {
        tradebot_plugin_sdk::about!(meta)
    }

    fn combine(predictions: Vec<AgentPrediction>, _context: MarketContext) -> MetaDecision {
        STATE.with_borrow_mut(|s| {
            let State { config: Some(c), input, hidden } = s else { return abstain("not initialised") };
            for (k, name) in c.agents.iter().enumerate() {
                let Some(p) = predictions.iter().find(|p| &p.agent == name) else {
                    return abstain("an agent the combiner was trained on is missing");
                };
                input[3 * k..3 * k + 3].copy_from_slice(&p.probabilities.as_array());
            }
            for (h, (row, b)) in hidden.iter_mut().zip(c.w1.iter().zip(&c.b1)) {
                *h = (row.iter().zip(input.iter()).map(|(w, x)| w * x).sum::<f64>() + b).max(0.0);
            }
            let mut logits = [0.0; 3];
            for (l, (row, b)) in logits.iter_mut().zip(c.w2.iter().zip(&c.b2)) {
                *l = row.iter().zip(hidden.iter()).map(|(w, x)| w * x).sum::<f64>() + b;
            }
            let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e = logits.map(|l| (l - m).exp());
            let z = e[0] + e[1] + e[2];
            let probs = e.map(|v| v / z);
            let d = disagreement(&predictions);
            let confidence = (1.0 - d) * probs[argmax(&probs)];
            MetaDecision {
                probabilities: Probabilities::from_array(probs),
                confidence,
                disagreement: d,
                should_trade: should_trade(confidence, d, c.min_confidence, c.max_disagreement),
                notes: vec![Note { key: "method".into(), value: "learned".into() }],
            }
        })
    }
}

tradebot_plugin_sdk::meta::export_meta_agent!(Learned);
