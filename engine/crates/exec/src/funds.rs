//! How much of a fill the account can pay for (leverage 1, cash account,
//! shorts collateralised one-to-one: see `tradebot_portfolio`).
//!
//! The rule: after the fill, at the fill price and after its fee,
//! `equity - gross_exposure >= 0` must hold for the part that opens or adds
//! exposure. The part that closes an existing position is always allowed, so
//! an account already underwater can still get out.

use tradebot_core::{Side, SymbolId};
use tradebot_portfolio::Ledger;

use crate::SimBrokerConfig;

/// The largest quantity `<= want` of a `side` fill at `price` in `symbol`
/// that the account can afford: all of the closing part plus as much opening
/// part as the headroom pays for, rounded down to whole lots.
///
/// With `p` the price, `c` the closable units, `o` the opening units and the
/// symbol re-marked at `p` (as booking the fill does), the headroom after the
/// fill is `H - o p - max(minimum, k (c + o))` where `H = equity - gross + c p`
/// and `k = fraction p + per_unit`; solving for `o` gives the bound below.
pub(crate) fn affordable(
    ledger: &Ledger,
    config: &SimBrokerConfig,
    symbol: SymbolId,
    side: Side,
    price: f64,
    want: f64,
) -> f64 {
    let pos = ledger.position(symbol);
    let closable = if pos.quantity * side.sign() < 0.0 { pos.quantity.abs() } else { 0.0 };
    if want <= closable {
        return want;
    }
    let equity = ledger.equity() + pos.quantity * (price - pos.mark);
    let gross = ledger.gross_exposure() - pos.value().abs() + (pos.quantity * price).abs();
    let headroom = equity - gross + closable * price;
    let c = &config.commission;
    let k = c.fraction * price + c.per_unit;
    let by_minimum = (headroom - c.minimum) / price;
    let by_proportional = (headroom - k * closable) / (price + k);
    let open_max = by_minimum.min(by_proportional);
    if open_max.is_nan() || open_max <= 0.0 {
        return closable;
    }
    if open_max >= want - closable {
        // Everything is affordable; return `want` itself rather than a sum
        // that floating point may put one ulp below it.
        return want;
    }
    let open = config.round_to_lot(open_max);
    closable + open.max(0.0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;
    use tradebot_core::{ClientOrderId, Fill, OrderPurpose, Timestamp};

    use crate::CommissionConfig;

    fn config(fraction: f64, minimum: f64, lot: f64) -> SimBrokerConfig {
        SimBrokerConfig {
            commission: CommissionConfig { fraction, per_unit: 0.0, minimum },
            lot_size: lot,
            ..SimBrokerConfig::default()
        }
    }

    fn book(ledger: &mut Ledger, side: Side, quantity: f64, price: f64) {
        ledger.apply(&Fill {
            order: ClientOrderId(0),
            symbol: SymbolId(0),
            side,
            quantity,
            price,
            fee: 0.0,
            time: Timestamp::from_nanos(0),
            purpose: OrderPurpose::Entry,
        });
    }

    #[test]
    fn a_cash_account_buys_what_its_cash_pays_for_including_the_fee() {
        let l = Ledger::new(1000.0, 1);
        let q = affordable(&l, &config(0.01, 0.0, 0.0), SymbolId(0), Side::Buy, 10.0, 500.0);
        // q * 10 * 1.01 = 1000.
        assert!((q - 1000.0 / 10.1).abs() < 1e-9);
        assert_eq!(affordable(&l, &config(0.01, 0.0, 1.0), SymbolId(0), Side::Buy, 10.0, 500.0), 99.0);
    }

    #[test]
    fn a_minimum_fee_larger_than_the_headroom_allows_nothing() {
        let l = Ledger::new(5.0, 1);
        assert_eq!(affordable(&l, &config(0.0, 10.0, 0.0), SymbolId(0), Side::Buy, 1.0, 1.0), 0.0);
    }

    #[test]
    fn closing_is_always_affordable_and_frees_headroom_for_the_flip() {
        let mut l = Ledger::new(1000.0, 1);
        book(&mut l, Side::Buy, 100.0, 10.0);
        // Price halves: equity 500, exposure 500, no headroom.
        l.mark(SymbolId(0), 5.0);
        let cfg = config(0.0, 0.0, 0.0);
        assert_eq!(affordable(&l, &cfg, SymbolId(0), Side::Sell, 5.0, 60.0), 60.0);
        // Selling 100 frees 500 of exposure, which collateralises 100 short units at 5.
        assert_eq!(affordable(&l, &cfg, SymbolId(0), Side::Sell, 5.0, 300.0), 200.0);
        assert_eq!(affordable(&l, &cfg, SymbolId(0), Side::Buy, 5.0, 300.0), 0.0);
    }
}
