//! Volatility-adjusted sizing (the seed's formula): commit `min(target_risk /
//! max(vol, vol_floor), max_fraction)` of equity, with `vol` the standard
//! deviation of per-bar returns; calm markets get larger positions, wild ones
//! smaller. The same bits as the engine's native `volatility_adjusted`.
//!
//! Config (JSON): `{"target_risk": 0.02, "max_fraction": 0.10, "vol_floor": 0.0001}`.

use std::cell::Cell;

use serde::Deserialize;
use tradebot_plugin_sdk::formulas::round_down_to_lot;
use tradebot_plugin_sdk::sizing::{About, Guest, SizingDecision, SizingRequest};

tradebot_plugin_sdk::reasons! {
    enum Reason {
        NoPrice = "no equity or no price",
        NoVolatility = "volatility unknown",
        Sized = "volatility adjusted",
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(default, deny_unknown_fields)]
struct Config {
    target_risk: f64,
    max_fraction: f64,
    vol_floor: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { target_risk: 0.02, max_fraction: 0.10, vol_floor: 0.0001 }
    }
}

thread_local! {
    static CONFIG: Cell<Config> = Cell::new(Config::default());
}

struct VolatilityAdjusted;

impl Guest for VolatilityAdjusted {
    fn init(config: String, _symbols: Vec<String>) -> Result<(), String> {
        use tradebot_plugin_sdk::config::check_range;
        let c: Config = tradebot_plugin_sdk::config::parse(&config)?;
        check_range("target_risk", c.target_risk, f64::MIN_POSITIVE, 1.0)?;
        check_range("max_fraction", c.max_fraction, f64::MIN_POSITIVE, 1.0)?;
        check_range("vol_floor", c.vol_floor, f64::MIN_POSITIVE, 1.0)?;
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
        let vol = r.volatility;
        if !(vol.is_finite() && vol >= 0.0) {
            return SizingDecision::none(Reason::NoVolatility.code());
        }
        let c = CONFIG.get();
        let qty = round_down_to_lot(
            r.equity * (c.target_risk / vol.max(c.vol_floor)).min(c.max_fraction) / r.price,
            r.lot_size,
        );
        SizingDecision::enter(&r, qty, Reason::Sized.code())
    }
}

tradebot_plugin_sdk::sizing::export_sizing_policy!(VolatilityAdjusted);
