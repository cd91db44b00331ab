//! A meta-agent that averages until `after` calls, then misbehaves as `mode`
//! says. Besides the common modes: `sum` returns probabilities that do not
//! sum to 1, `huge` returns 100,000 notes.

use std::cell::{Cell, RefCell};
use std::hint::black_box;

use serde::Deserialize;
use tradebot_plugin_sdk::meta::{About, Guest, MarketContext, MetaDecision, Note, Probabilities, predictions};

#[derive(Deserialize, Default, Clone)]
#[serde(default, deny_unknown_fields)]
struct Config {
    mode: String,
    after: u64,
}

thread_local! {
    static MODE: RefCell<Config> = RefCell::new(Config::default());
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

fn decision(p: [f64; 3], confidence: f64) -> MetaDecision {
    MetaDecision {
        probabilities: Probabilities::from_array(p),
        confidence,
        disagreement: 0.0,
        should_trade: true,
        notes: Vec::new(),
    }
}

struct Hostile;

impl Guest for Hostile {
    fn init(config: String, _agents: Vec<String>, _symbols: Vec<String>) -> Result<(), String> {
        MODE.set(tradebot_plugin_sdk::config::parse(&config)?);
        Ok(())
    }

    fn about() -> About {
        tradebot_plugin_sdk::about!(meta)
    }

    fn combine(packed: Vec<f64>, _context: MarketContext) -> MetaDecision {
        let calls = CALLS.get() + 1;
        CALLS.set(calls);
        let c = MODE.with_borrow(Clone::clone);
        if calls > c.after {
            match c.mode.as_str() {
                "loop" => {
                    let mut i: u64 = 0;
                    loop {
                        i = black_box(i.wrapping_add(1));
                    }
                }
                "oom" => {
                    let mut hoard: Vec<Vec<u8>> = Vec::new();
                    loop {
                        hoard.push(vec![1u8; 1 << 20]);
                        black_box(&hoard);
                    }
                }
                "trap" => panic!("hostile meta-agent: deliberate panic"),
                "nan" => return decision([f64::NAN, 0.5, 0.5], 0.9),
                "inf" => return decision([0.0, 0.0, 1.0], f64::INFINITY),
                "negative" => return decision([-0.5, 0.5, 1.0], 0.9),
                "sum" => return decision([0.5, 0.5, 0.5], 0.9),
                "huge" => {
                    let mut d = decision([0.0, 0.0, 1.0], 0.9);
                    d.notes = (0..100_000).map(|i| Note { key: format!("k{i}"), value: "v".into() }).collect();
                    return d;
                }
                _ => {}
            }
        }
        let n = predictions(&packed).count();
        let mut p = [0.0; 3];
        for a in predictions(&packed) {
            for (s, v) in p.iter_mut().zip(a.probabilities) {
                *s += v / n as f64;
            }
        }
        if n == 0 {
            p = [0.0, 1.0, 0.0];
        }
        decision(p, 0.6)
    }
}

tradebot_plugin_sdk::meta::export_meta_agent!(Hostile);
