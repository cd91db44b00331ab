//! A sizing policy that asks for 1 % of equity until `after` calls, then
//! misbehaves as `mode` says. Besides the common modes: `absurd` asks for
//! 1000 times the equity (valid, so the risk engine must cut it down),
//! `wrong-sign` sizes against the requested direction, `bad-stop` puts the
//! stop on the wrong side of the price, `bad-reason` gives a reason code
//! outside its `reasons()`. `huge` lists 100,000 reasons and `long-reason`
//! one of 4 MiB: both are refused when the plugin is loaded.

use std::cell::{Cell, RefCell};
use std::hint::black_box;

use serde::Deserialize;
use tradebot_plugin_sdk::sizing::{About, Guest, SizingDecision, SizingRequest};

tradebot_plugin_sdk::reasons! {
    enum Reason {
        OnePercent = "one percent",
        Nan = "nan",
        Inf = "inf",
        Against = "against the direction",
        Absurd = "absurd",
        WrongStop = "stop on the wrong side",
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default, deny_unknown_fields)]
struct Config {
    mode: String,
    after: u64,
    in_init: bool,
}

thread_local! {
    static MODE: RefCell<Config> = RefCell::new(Config::default());
    static CALLS: Cell<u64> = const { Cell::new(0) };
}

fn misbehave(mode: &str, r: &SizingRequest) -> Option<SizingDecision> {
    let one_pct = r.equity * 0.01 / r.price;
    Some(match mode {
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
        "trap" => panic!("hostile sizing: deliberate panic"),
        "nan" => SizingDecision::enter(r, f64::NAN, Reason::Nan.code()),
        "inf" => SizingDecision::enter(r, f64::INFINITY, Reason::Inf.code()),
        "negative" | "wrong-sign" => SizingDecision::enter(r, -one_pct, Reason::Against.code()),
        "bad-reason" => SizingDecision::enter(r, one_pct, Reason::TEXTS.len() as u32),
        "absurd" => SizingDecision::enter(r, r.equity * 1000.0 / r.price, Reason::Absurd.code()),
        "bad-stop" => {
            let mut d = SizingDecision::enter(r, one_pct, Reason::WrongStop.code());
            d.stop = Some(r.price * 2.0);
            d.take_profit = Some(r.price * 0.5);
            if r.target_is_short() {
                d.stop = Some(r.price * 0.5);
                d.take_profit = Some(r.price * 2.0);
            }
            d
        }
        _ => return None,
    })
}

trait Short {
    fn target_is_short(&self) -> bool;
}

impl Short for SizingRequest {
    fn target_is_short(&self) -> bool {
        matches!(self.direction, tradebot_plugin_sdk::sizing::Direction::Short)
    }
}

struct Hostile;

impl Guest for Hostile {
    fn init(config: String, _symbols: Vec<String>) -> Result<(), String> {
        let c: Config = tradebot_plugin_sdk::config::parse(&config)?;
        if c.in_init && matches!(c.mode.as_str(), "loop" | "oom" | "trap") {
            let dummy = SizingRequest {
                symbol: 0,
                direction: tradebot_plugin_sdk::sizing::Direction::Long,
                confidence: 1.0,
                equity: 1.0,
                price: 1.0,
                volatility: 0.0,
                atr: 0.0,
                stop_distance: 0.0,
                position: 0.0,
                exposure: 0.0,
                stats: tradebot_plugin_sdk::sizing::TradeStats {
                    closed_trades: 0,
                    win_rate: 0.0,
                    avg_win: 0.0,
                    avg_loss: 0.0,
                },
                lot_size: 0.0,
                commission_fraction: 0.0,
            };
            misbehave(&c.mode, &dummy);
        }
        MODE.set(c);
        Ok(())
    }

    fn about() -> About {
        tradebot_plugin_sdk::about!(sizing)
    }

    fn reasons() -> Vec<String> {
        match MODE.with_borrow(|c| c.mode.clone()).as_str() {
            "huge" => (0..100_000).map(|i| format!("reason {i}")).collect(),
            "long-reason" => vec!["x".repeat(4 << 20)],
            _ => Reason::list(),
        }
    }

    fn size(r: SizingRequest) -> SizingDecision {
        let calls = CALLS.get() + 1;
        CALLS.set(calls);
        let c = MODE.with_borrow(Clone::clone);
        if calls > c.after
            && let Some(d) = misbehave(&c.mode, &r)
        {
            return d;
        }
        SizingDecision::enter(&r, r.equity * 0.01 / r.price, Reason::OnePercent.code())
    }
}

tradebot_plugin_sdk::sizing::export_sizing_policy!(Hostile);
