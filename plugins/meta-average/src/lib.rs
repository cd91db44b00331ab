//! Simple average of the agents' probabilities, every agent counted once
//! whatever its confidence; disagreement, confidence and the should-trade
//! rule as in the confidence-weighted meta-agent. The baseline the other
//! combiners must beat.
//!
//! Config (JSON): `{"min_confidence": 0.55, "max_disagreement": 0.4}`.

use std::cell::Cell;

use serde::Deserialize;
use tradebot_plugin_sdk::formulas::{argmax, normalise};
use tradebot_plugin_sdk::meta::{
    About, AgentPrediction, Guest, MarketContext, MetaDecision, Note, Probabilities, abstain, disagreement,
    should_trade,
};

#[derive(Deserialize, Clone, Copy)]
#[serde(default, deny_unknown_fields)]
struct Config {
    min_confidence: f64,
    max_disagreement: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { min_confidence: 0.55, max_disagreement: 0.4 }
    }
}

thread_local! {
    static CONFIG: Cell<Config> = Cell::new(Config::default());
}

struct Average;

impl Guest for Average {
    fn init(config: String) -> Result<(), String> {
        use tradebot_plugin_sdk::config::check_range;
        let c: Config = tradebot_plugin_sdk::config::parse(&config)?;
        check_range("min_confidence", c.min_confidence, 0.0, 1.0)?;
        check_range("max_disagreement", c.max_disagreement, 0.0, 1.0)?;
        CONFIG.set(c);
        Ok(())
    }

    fn about() -> About {
        tradebot_plugin_sdk::about!(meta)
    }

    fn combine(predictions: Vec<AgentPrediction>, _context: MarketContext) -> MetaDecision {
        if predictions.is_empty() {
            return abstain("no predictions");
        }
        let mut sum = [0.0; 3];
        for p in &predictions {
            for (s, v) in sum.iter_mut().zip(p.probabilities.as_array()) {
                *s += v;
            }
        }
        let n = predictions.len() as f64;
        let probs = normalise(sum.map(|s| s / n));
        let d = disagreement(&predictions);
        let confidence = (1.0 - d) * probs[argmax(&probs)];
        let c = CONFIG.get();
        MetaDecision {
            probabilities: Probabilities::from_array(probs),
            confidence,
            disagreement: d,
            should_trade: should_trade(confidence, d, c.min_confidence, c.max_disagreement),
            notes: vec![Note { key: "method".into(), value: "simple_average".into() }],
        }
    }
}

tradebot_plugin_sdk::meta::export_meta_agent!(Average);
