//! Fractional Kelly sizing (the seed's formula): `f = clamp(fraction *
//! (p*W - (1-p)*L) / W, 0, cap)` from the run's closed trades, `qty = equity *
//! f / entry`; before `min_trades` closed trades `fallback_fraction` is used.
//! The same bits as the engine's native `kelly`.
//!
//! Config (JSON): `{"fraction": 0.5, "cap": 0.10, "min_trades": 20, "fallback_fraction": 0.01}`.

use std::cell::Cell;

use serde::Deserialize;
use tradebot_plugin_sdk::formulas::{kelly_fraction, round_down_to_lot};
use tradebot_plugin_sdk::sizing::{About, Guest, SizingDecision, SizingRequest};

tradebot_plugin_sdk::reasons! {
    enum Reason {
        NoPrice = "no equity or no price",
        Fallback = "kelly: fallback before min_trades",
        Kelly = "kelly",
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(default, deny_unknown_fields)]
struct Config {
    fraction: f64,
    cap: f64,
    min_trades: u64,
    fallback_fraction: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { fraction: 0.5, cap: 0.10, min_trades: 20, fallback_fraction: 0.01 }
    }
}

thread_local! {
    static CONFIG: Cell<Config> = Cell::new(Config::default());
}

struct Kelly;

impl Guest for Kelly {
    fn init(config: String, _symbols: Vec<String>) -> Result<(), String> {
        use tradebot_plugin_sdk::config::check_range;
        let c: Config = tradebot_plugin_sdk::config::parse(&config)?;
        check_range("fraction", c.fraction, f64::MIN_POSITIVE, 1.0)?;
        check_range("cap", c.cap, f64::MIN_POSITIVE, 1.0)?;
        check_range("fallback_fraction", c.fallback_fraction, 0.0, 1.0)?;
        CONFIG.set(c);
        Ok(())
    }

    fn about() -> About {
        tradebot_plugin_sdk::about!(sizing)
    }

    fn reasons() -> Vec<String> {
        Reason::list()
    }

    fn size(r: SizingRequest) -> SizingDecision {
        if !(r.equity.is_finite() && r.equity > 0.0 && r.price.is_finite() && r.price > 0.0) {
            return SizingDecision::none(Reason::NoPrice.code());
        }
        let c = CONFIG.get();
        let s = r.stats;
        let (f, why) = if s.closed_trades < c.min_trades || s.closed_trades == 0 {
            (c.fallback_fraction, Reason::Fallback)
        } else {
            (kelly_fraction(s.win_rate, s.avg_win, s.avg_loss, c.fraction, c.cap), Reason::Kelly)
        };
        let qty = round_down_to_lot(r.equity * f / r.price, r.lot_size);
        SizingDecision::enter(&r, qty, why.code())
    }
}

tradebot_plugin_sdk::sizing::export_sizing_policy!(Kelly);
