//! Trading costs: the commission of a fill and the price a liquidity-taking
//! fill gets after half-spread and slippage.
//!
//! They are methods on the config so sizing and risk code can price an order
//! exactly as the broker will fill it.

use tradebot_core::Side;

use crate::{CommissionConfig, SimBrokerConfig, Slippage};

impl CommissionConfig {
    /// Fee of one fill: `max(minimum, fraction * quantity * price + per_unit * quantity)`.
    #[inline]
    pub fn fee(&self, quantity: f64, price: f64) -> f64 {
        (self.fraction * quantity * price + self.per_unit * quantity).max(self.minimum)
    }
}

impl SimBrokerConfig {
    /// Price of a market or stop fill whose pre-cost price is `reference`:
    /// buys pay `reference + adverse`, sells receive `max(0, reference - adverse)`
    /// with `adverse = reference * half_spread_bps / 1e4 + slippage`, where
    /// slippage is `reference * bps / 1e4` or `fraction * atr`.
    #[inline]
    pub fn taker_price(&self, side: Side, reference: f64, atr: f64) -> f64 {
        let slippage = match self.slippage {
            Slippage::None => 0.0,
            Slippage::Bps { bps } => reference * bps / 10_000.0,
            Slippage::AtrFraction { fraction } => fraction * atr,
        };
        let adverse = reference * self.half_spread_bps / 10_000.0 + slippage;
        match side {
            Side::Buy => reference + adverse,
            // A sell can at worst give the units away; it never pays to sell.
            Side::Sell => (reference - adverse).max(0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp)]
    use super::*;

    #[test]
    fn the_fee_is_the_larger_of_the_minimum_and_the_proportional_charge() {
        let c = CommissionConfig { fraction: 0.001, per_unit: 0.01, minimum: 1.0 };
        assert_eq!(c.fee(10.0, 50.0), 1.0);
        assert!((c.fee(100.0, 50.0) - (5.0 + 1.0)).abs() < 1e-12);
    }

    #[test]
    fn buys_pay_and_sells_give_up_the_half_spread_plus_slippage() {
        let c = SimBrokerConfig { half_spread_bps: 10.0, slippage: Slippage::Bps { bps: 20.0 }, ..Default::default() };
        assert!((c.taker_price(Side::Buy, 100.0, 0.0) - 100.3).abs() < 1e-12);
        assert!((c.taker_price(Side::Sell, 100.0, 0.0) - 99.7).abs() < 1e-12);
        let atr = SimBrokerConfig { half_spread_bps: 0.0, slippage: Slippage::AtrFraction { fraction: 0.5 }, ..c };
        assert_eq!(atr.taker_price(Side::Buy, 100.0, 4.0), 102.0);
        assert_eq!(atr.taker_price(Side::Sell, 100.0, 4.0), 98.0);
        assert_eq!(atr.taker_price(Side::Sell, 1.0, 4.0), 0.0);
    }
}
