//! Fixed-fractional sizing (the seed's default): risk `risk_fraction` of
//! equity between the entry and the stop, `qty = equity * risk_fraction /
//! |entry - stop|`; without a stop the whole notional is at risk, `qty =
//! equity * risk_fraction / entry`. Rounded down to the lot. The same bits
//! as the engine's native `fixed_fractional`.
//!
//! Config (JSON): `{"risk_fraction": 0.02}`.

use std::cell::Cell;

use serde::Deserialize;
use tradebot_plugin_sdk::formulas::round_down_to_lot;
use tradebot_plugin_sdk::sizing::{About, Guest, SizingDecision, SizingRequest};

tradebot_plugin_sdk::reasons! {
    enum Reason {
        NoPrice = "no equity or no price",
        Sized = "fixed fractional",
    }
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Config {
    risk_fraction: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { risk_fraction: 0.02 }
    }
}

thread_local! {
    static RISK_FRACTION: Cell<f64> = const { Cell::new(0.02) };
}

struct FixedFractional;

impl Guest for FixedFractional {
    fn init(config: String, _symbols: Vec<String>) -> Result<(), String> {
        let config: Config = tradebot_plugin_sdk::config::parse(&config)?;
        tradebot_plugin_sdk::config::check_range("risk_fraction", config.risk_fraction, f64::MIN_POSITIVE, 1.0)?;
        RISK_FRACTION.set(config.risk_fraction);
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
        let d = r.stop_distance;
        let distance = if d.is_finite() && d > 0.0 { d } else { r.price };
        let qty = round_down_to_lot(r.equity * RISK_FRACTION.get() / distance, r.lot_size);
        SizingDecision::enter(&r, qty, Reason::Sized.code())
    }
}

tradebot_plugin_sdk::sizing::export_sizing_policy!(FixedFractional);
