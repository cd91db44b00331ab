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
    About, Guest, MarketContext, MetaDecision, Probabilities, abstain, disagreement, predictions, should_trade,
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
    fn init(config: String, _agents: Vec<String>, _symbols: Vec<String>) -> Result<(), String> {
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

    fn combine(packed: Vec<f64>, _context: MarketContext) -> MetaDecision {
        let mut sum = [0.0; 3];
        let mut n = 0usize;
        for p in predictions(&packed) {
            for (s, v) in sum.iter_mut().zip(p.probabilities) {
                *s += v;
            }
            n += 1;
        }
        if n == 0 {
            return abstain("no predictions");
        }
        let probs = normalise(sum.map(|s| s / n as f64));
        let d = disagreement(predictions(&packed));
        let confidence = (1.0 - d) * probs[argmax(&probs)];
        let c = CONFIG.get();
        MetaDecision {
            probabilities: Probabilities::from_array(probs),
            confidence,
            disagreement: d,
            should_trade: should_trade(confidence, d, c.min_confidence, c.max_disagreement),
            notes: Vec::new(),
        }
    }
}

tradebot_plugin_sdk::meta::export_meta_agent!(Average);
