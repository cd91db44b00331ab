//! SMA crossover, long-only or long/short: the same rule as the engine's
//! native `sma_cross`, so a replay with this plugin gives the same trades.
//!
//! Config (JSON, every field optional): `{"fast": 10, "slow": 20, "long_short": false}`.

use std::cell::RefCell;

use serde::Deserialize;
use tradebot_plugin_sdk::strategy::{About, Candle, Direction, Guest, Signal};

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Config {
    fast: usize,
    slow: usize,
    long_short: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config { fast: 10, slow: 20, long_short: false }
    }
}

struct State {
    config: Config,
    prev: Option<(f64, f64)>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State { config: Config::default(), prev: None });
}

struct SmaCross;

impl Guest for SmaCross {
    fn init(config: String) -> Result<(), String> {
        let config: Config = tradebot_plugin_sdk::config::parse(&config)?;
        if config.fast == 0 || config.slow <= config.fast {
            return Err(format!("need 0 < fast < slow, got fast {} slow {}", config.fast, config.slow));
        }
        STATE.with_borrow_mut(|s| *s = State { config, prev: None });
        Ok(())
    }

    fn about() -> About {
        tradebot_plugin_sdk::about!(strategy)
    }

    fn features() -> Vec<String> {
        STATE.with_borrow(|s| vec![format!("sma_{}", s.config.fast), format!("sma_{}", s.config.slow)])
    }

    fn on_bar(_bar: Candle, features: Vec<f64>) -> Signal {
        let hold = Signal { target: None, confidence: 0.0 };
        let [fast, slow] = features[..] else { return hold };
        STATE.with_borrow_mut(|s| {
            let target = match s.prev {
                // Strict on both bars, never with NaN: backtesting.py's `crossover`.
                Some((pf, ps)) if pf < ps && fast > slow => Some(Direction::Long),
                Some((pf, ps)) if pf > ps && fast < slow => {
                    Some(if s.config.long_short { Direction::Short } else { Direction::Flat })
                }
                _ => None,
            };
            s.prev = Some((fast, slow));
            match target {
                Some(t) => Signal { target: Some(t), confidence: 1.0 },
                None => hold,
            }
        })
    }
}

tradebot_plugin_sdk::strategy::export_strategy!(SmaCross);
