//! A learned combiner, the seed's `Linear(3n, h) → ReLU → Linear(h, 3) →
//! Softmax` over the agents' concatenated probabilities. The weights are not
//! built in: they arrive through `init`, trained by `tradebot train` on
//! out-of-fold agent outputs only. Disagreement and the should-trade rule are
//! the seed's; confidence is `(1 - disagreement) * max(probabilities)`.
//!
//! Config (JSON), one weight set:
//! `{"agents": ["trend", "pattern"], "w1": [[...3n...] x h], "b1": [h], "w2": [[...h...] x 3], "b2": [3],
//!   "min_confidence": 0.55, "max_disagreement": 0.4}`,
//! or a walk-forward schedule of them, as `tradebot train` writes it
//! (`weights.json`): `{"agents": [...], "schedule": [{"from_ns": ..., "w1": ..., "b1": ..., "w2": ..., "b2": ...}, ...],
//! ...}`. With a schedule, a decision at a bar closing at `t` uses the
//! latest set with `from_ns <= t` — weights fitted only on what was known
//! by then — and abstains before the first.

use std::cell::RefCell;

use serde::Deserialize;
use tradebot_plugin_sdk::formulas::argmax;
use tradebot_plugin_sdk::meta::{
    About, FIELDS, Guest, MarketContext, MetaDecision, Probabilities, abstain, disagreement, predictions, should_trade,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    agents: Vec<String>,
    #[serde(default)]
    w1: Option<Vec<Vec<f64>>>,
    #[serde(default)]
    b1: Option<Vec<f64>>,
    #[serde(default)]
    w2: Option<Vec<Vec<f64>>>,
    #[serde(default)]
    b2: Option<Vec<f64>>,
    #[serde(default)]
    schedule: Option<Vec<Weights>>,
    #[serde(default = "min_confidence")]
    min_confidence: f64,
    #[serde(default = "max_disagreement")]
    max_disagreement: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Weights {
    /// Serves bars closing at or after this instant (Unix ns).
    #[serde(default = "always")]
    from_ns: i64,
    w1: Vec<Vec<f64>>,
    b1: Vec<f64>,
    w2: Vec<Vec<f64>>,
    b2: Vec<f64>,
}

fn always() -> i64 {
    i64::MIN
}

/// The checked config: the schedule sorted by `from_ns`.
struct Combiner {
    /// `slots[k]`: where the combiner's k-th agent sits in the run's agents.
    slots: Vec<usize>,
    schedule: Vec<Weights>,
    min_confidence: f64,
    max_disagreement: f64,
}

fn min_confidence() -> f64 {
    0.55
}
fn max_disagreement() -> f64 {
    0.4
}

struct State {
    config: Option<Combiner>,
    input: Vec<f64>,
    hidden: Vec<f64>,
}

thread_local! {
    static STATE: RefCell<State> = const { RefCell::new(State { config: None, input: Vec::new(), hidden: Vec::new() }) };
}

fn check_weights(w: &Weights, n_in: usize, at: &str) -> Result<(), String> {
    let h = w.b1.len();
    if h == 0 {
        return Err(format!("{at}b1: empty"));
    }
    if w.w1.len() != h || w.w1.iter().any(|row| row.len() != n_in) {
        return Err(format!("{at}w1: expected {h} rows of {n_in} values"));
    }
    if w.w2.len() != 3 || w.w2.iter().any(|row| row.len() != h) || w.b2.len() != 3 {
        return Err(format!("{at}w2/b2: expected 3 rows of {h} values and 3 biases"));
    }
    let all = w.w1.iter().flatten().chain(&w.b1).chain(w.w2.iter().flatten()).chain(&w.b2);
    if let Some(bad) = all.clone().position(|v| !v.is_finite()) {
        return Err(format!("{at}weights: value #{bad} is not finite"));
    }
    Ok(())
}

fn check(c: Config, run_agents: &[String]) -> Result<Combiner, String> {
    if c.agents.is_empty() {
        return Err("agents: empty".into());
    }
    let n_in = 3 * c.agents.len();
    let schedule = match (c.schedule, c.w1, c.b1, c.w2, c.b2) {
        (Some(s), None, None, None, None) if !s.is_empty() => s,
        (Some(_), None, None, None, None) => return Err("schedule: empty".into()),
        (None, Some(w1), Some(b1), Some(w2), Some(b2)) => vec![Weights { from_ns: always(), w1, b1, w2, b2 }],
        (Some(_), ..) => return Err("schedule: give either `schedule` or one set of w1, b1, w2, b2".into()),
        _ => return Err("w1, b1, w2, b2: all four are needed (or a `schedule` of them)".into()),
    };
    for (k, w) in schedule.iter().enumerate() {
        let at = if schedule.len() > 1 || w.from_ns != always() { format!("schedule[{k}].") } else { String::new() };
        check_weights(w, n_in, &at)?;
    }
    // Sorted, so the set serving a bar is the last one not after it.
    if schedule.windows(2).any(|p| p[0].from_ns >= p[1].from_ns) {
        return Err("schedule: from_ns must increase".into());
    }
    tradebot_plugin_sdk::config::check_range("min_confidence", c.min_confidence, 0.0, 1.0)?;
    tradebot_plugin_sdk::config::check_range("max_disagreement", c.max_disagreement, 0.0, 1.0)?;
    // Every agent the combiner was trained on must be in the run: an input
    // it never gets would make every decision an abstention.
    let slots = c
        .agents
        .iter()
        .map(|a| {
            run_agents.iter().position(|r| r == a).ok_or_else(|| {
                format!(
                    "agents: {a:?} was trained on but the run has no such agent (it has: {})",
                    run_agents.join(", ")
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Combiner { slots, schedule, min_confidence: c.min_confidence, max_disagreement: c.max_disagreement })
}

struct Learned;

impl Guest for Learned {
    fn init(config: String, agents: Vec<String>, _symbols: Vec<String>) -> Result<(), String> {
        let c: Config = serde_json::from_str(&config)
            .map_err(|e| format!("config line {} column {}: {e}", e.line(), e.column()))?;
        let c = check(c, &agents)?;
        let widest = c.schedule.iter().map(|w| w.b1.len()).max().unwrap_or(0);
        STATE.with_borrow_mut(|s| {
            s.input = vec![0.0; 3 * c.slots.len()];
            s.hidden = vec![0.0; widest];
            s.config = Some(c);
        });
        Ok(())
    }

    fn about() -> About {
        tradebot_plugin_sdk::about!(meta)
    }

    fn combine(packed: Vec<f64>, context: MarketContext) -> MetaDecision {
        STATE.with_borrow_mut(|s| {
            let State { config: Some(c), input, hidden } = s else { return abstain("not initialised") };
            let Some(w) = c.schedule.iter().rev().find(|w| w.from_ns <= context.time_ns) else {
                return abstain("no weight set was fitted before this bar");
            };
            for (k, &slot) in c.slots.iter().enumerate() {
                let p = packed.get(FIELDS * slot..FIELDS * slot + 3).unwrap_or(&[f64::NAN]);
                if p.len() != 3 || p.iter().any(|v| v.is_nan()) {
                    return abstain("an agent the combiner was trained on said nothing");
                }
                input[3 * k..3 * k + 3].copy_from_slice(p);
            }
            let hidden = &mut hidden[..w.b1.len()];
            for (h, (row, b)) in hidden.iter_mut().zip(w.w1.iter().zip(&w.b1)) {
                *h = (row.iter().zip(input.iter()).map(|(w, x)| w * x).sum::<f64>() + b).max(0.0);
            }
            let mut logits = [0.0; 3];
            for (l, (row, b)) in logits.iter_mut().zip(w.w2.iter().zip(&w.b2)) {
                *l = row.iter().zip(hidden.iter()).map(|(w, x)| w * x).sum::<f64>() + b;
            }
            let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e = logits.map(|l| (l - m).exp());
            let z = e[0] + e[1] + e[2];
            let probs = e.map(|v| v / z);
            let d = disagreement(predictions(&packed));
            let confidence = (1.0 - d) * probs[argmax(&probs)];
            MetaDecision {
                probabilities: Probabilities::from_array(probs),
                confidence,
                disagreement: d,
                should_trade: should_trade(confidence, d, c.min_confidence, c.max_disagreement),
                notes: Vec::new(),
            }
        })
    }
}

tradebot_plugin_sdk::meta::export_meta_agent!(Learned);
