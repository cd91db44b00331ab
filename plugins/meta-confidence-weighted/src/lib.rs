//! Confidence-weighted voting, the seed's default meta-agent: each agent's
//! probabilities weigh `confidence * weight` (weights by agent name, equal by
//! default); disagreement is one minus the majority's share of the agents'
//! most probable classes; the final confidence is `(1 - disagreement) *
//! max(probabilities)`; trade only with confidence >= `min_confidence` (0.55)
//! and disagreement <= `max_disagreement` (0.4).
//!
//! Config (JSON): `{"weights": {"trend": 2.0}, "min_confidence": 0.55, "max_disagreement": 0.4}`.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::Deserialize;
use tradebot_plugin_sdk::formulas::{argmax, normalise};
use tradebot_plugin_sdk::meta::{
    About, Guest, MarketContext, MetaDecision, Probabilities, abstain, disagreement, predictions, should_trade,
};

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Config {
    weights: BTreeMap<String, f64>,
    min_confidence: f64,
    max_disagreement: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { weights: BTreeMap::new(), min_confidence: 0.55, max_disagreement: 0.4 }
    }
}

/// The checked config, with each agent's weight looked up once at `init`.
struct Combiner {
    /// By agent position in `init`'s list; names the config does not weigh get 1.
    weights: Vec<f64>,
    min_confidence: f64,
    max_disagreement: f64,
}

thread_local! {
    static COMBINER: RefCell<Combiner> =
        const { RefCell::new(Combiner { weights: Vec::new(), min_confidence: 0.55, max_disagreement: 0.4 }) };
}

struct ConfidenceWeighted;

impl Guest for ConfidenceWeighted {
    fn init(config: String, agents: Vec<String>, _symbols: Vec<String>) -> Result<(), String> {
        use tradebot_plugin_sdk::config::check_range;
        let c: Config = tradebot_plugin_sdk::config::parse(&config)?;
        check_range("min_confidence", c.min_confidence, 0.0, 1.0)?;
        check_range("max_disagreement", c.max_disagreement, 0.0, 1.0)?;
        for (name, w) in &c.weights {
            check_range(&format!("weights.{name}"), *w, 0.0, 1e6)?;
        }
        let weights = agents.iter().map(|a| c.weights.get(a).copied().unwrap_or(1.0)).collect();
        COMBINER.set(Combiner { weights, min_confidence: c.min_confidence, max_disagreement: c.max_disagreement });
        Ok(())
    }

    fn about() -> About {
        tradebot_plugin_sdk::about!(meta)
    }

    fn combine(packed: Vec<f64>, _context: MarketContext) -> MetaDecision {
        COMBINER.with_borrow(|c| {
            let mut sum = [0.0; 3];
            let mut total = 0.0;
            for p in predictions(&packed) {
                let w = p.confidence * c.weights.get(p.agent).copied().unwrap_or(1.0);
                for (s, v) in sum.iter_mut().zip(p.probabilities) {
                    *s += v * w;
                }
                total += w;
            }
            if total.is_nan() || total <= 0.0 {
                return abstain("no agent with a positive weighted confidence");
            }
            let probs = normalise(sum.map(|s| s / total));
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

tradebot_plugin_sdk::meta::export_meta_agent!(ConfidenceWeighted);
