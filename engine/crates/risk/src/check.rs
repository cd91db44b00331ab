//! [`RiskEngine::check`]: every proposed order passes here between sizing and
//! the broker.
//!
//! Exits (orders toward flat) are always allowed up to the position, even
//! while halted, because refusing to reduce risk is never safer. Entries
//! (orders that increase `|position|`; the engine splits a flip into an exit
//! and an entry) go through the rules in this fixed order, and stop at the
//! first refusal:
//!
//! 1. `kill_switch` / `max_drawdown` halt: refused for the rest of the run.
//! 2. `no_equity`: refused when equity is not positive.
//! 3. `max_drawdown` reached now: halts, refused.
//! 4. `max_daily_loss` reached today: refused until the next UTC day.
//! 5. `max_daily_trades` entries approved today: refused.
//! 6. `drawdown_reduction`: quantity × the drawdown size multiplier.
//! 7. `max_risk_per_trade`: `qty * |price - stop|` (no stop: `qty * price`) ≤ limit × equity.
//! 8. `max_position`: `|position after| * price` ≤ limit × equity.
//! 9. `max_total_exposure`: other positions' `|value|` + `|position after| * price` ≤ limit × equity.
//! 10. `max_correlated_exposure`: the same over the instruments correlated with this one.
//! 11. `max_sector_exposure`: the same over the instruments of its sector.
//! 12. `lot_size`: rounded down to the lot; less than one lot is refused.
//!
//! A reversal is an exit of the whole position followed by an entry with
//! `flat_first` set: the entry is checked as if the position were already
//! closed (its own exposure no longer counts).
//!
//! Each rule that cuts the quantity reports a [`RiskNote`]. An approved entry
//! counts towards `max_daily_trades` (whether or not the broker fills it).
//! Equity is the ledger's; the instrument itself is valued at the proposal's
//! reference price and the others at their marks.

use tradebot_core::{Side, SymbolId};
use tradebot_portfolio::Ledger;

use crate::sizing::round_down_to_lot;
use crate::{HaltReason, RiskEngine, RiskNote, RiskRule};

/// An order the engine wants to send, as sized.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proposal {
    pub symbol: SymbolId,
    pub side: Side,
    /// Positive quantity in units of the instrument.
    pub quantity: f64,
    /// Reference price: the decision bar's close.
    pub price: f64,
    /// The protective stop the position would get (for `max_risk_per_trade`).
    pub stop: Option<f64>,
    /// The venue's lot size; 0 = any quantity.
    pub lot_size: f64,
    /// The engine closes the whole current position before this order (a
    /// reversal: exit, then entry on the other side), so the order is
    /// checked as an entry from flat.
    pub flat_first: bool,
}

/// `|value|` of the other positions, summed three ways.
#[derive(Debug, Clone, Copy, Default)]
struct OtherExposure {
    gross: f64,
    correlated: f64,
    sector: f64,
}

impl RiskEngine {
    /// The quantity the risk rules allow for `proposal` (0 = refused), on the
    /// lot grid. Every refusal or reduction is reported to `notes`.
    pub fn check(&mut self, proposal: &Proposal, ledger: &Ledger, notes: &mut impl FnMut(RiskNote)) -> f64 {
        let p = *proposal;
        let mut note = |rule, limit, value, requested, allowed| {
            notes(RiskNote { symbol: p.symbol, rule, limit, value, requested, allowed });
        };
        let i = p.symbol.index();
        let position = ledger.positions().get(i).map_or(f64::NAN, |pos| pos.quantity);
        let valid = i < self.symbols()
            && position.is_finite()
            && p.price.is_finite()
            && p.price > 0.0
            && p.quantity.is_finite()
            && p.quantity >= 0.0
            && p.lot_size.is_finite()
            && p.lot_size >= 0.0
            && p.stop.is_none_or(|s| s.is_finite() && s > 0.0);
        if !valid {
            note(RiskRule::InvalidProposal, 0.0, 0.0, p.quantity, 0.0);
            return 0.0;
        }
        if p.quantity == 0.0 {
            return 0.0;
        }
        if p.flat_first {
            return self.check_entry(&p, ledger, 0.0, &mut note);
        }
        if position != 0.0 && position.signum() != p.side.sign() {
            return exit(&p, position.abs(), &mut note);
        }
        self.check_entry(&p, ledger, position.abs(), &mut note)
    }

    fn check_entry(
        &mut self,
        p: &Proposal,
        ledger: &Ledger,
        held: f64,
        note: &mut impl FnMut(RiskRule, f64, f64, f64, f64),
    ) -> f64 {
        let requested = p.quantity;
        if self.refuse_if_halted(requested, note) {
            return 0.0;
        }
        let equity = ledger.equity();
        if !(equity.is_finite() && equity > 0.0) {
            note(RiskRule::NoEquity, 0.0, equity, requested, 0.0);
            return 0.0;
        }
        self.update_halt(equity);
        if self.refuse_if_halted(requested, note) {
            return 0.0;
        }
        self.update_daily_loss(equity);
        if let Some(loss) = self.daily_loss_hit {
            note(RiskRule::MaxDailyLoss, self.config.max_daily_loss, loss, requested, 0.0);
            return 0.0;
        }
        if self.entries_today >= self.config.max_daily_trades {
            let (limit, value) = (f64::from(self.config.max_daily_trades), f64::from(self.entries_today));
            note(RiskRule::MaxDailyTrades, limit, value, requested, 0.0);
            return 0.0;
        }

        let mut q = requested;
        let drawdown = self.drawdown(equity);
        let multiplier = self.multiplier(drawdown);
        if multiplier < 1.0 {
            let allowed = q * multiplier;
            note(RiskRule::DrawdownReduction, self.config.drawdown_reduction_threshold, drawdown, q, allowed);
            q = allowed;
        }

        let distance = p.stop.map_or(p.price, |s| (p.price - s).abs());
        if distance > 0.0 {
            let budget = self.config.max_risk_per_trade * equity / distance;
            if q > budget {
                note(RiskRule::MaxRiskPerTrade, self.config.max_risk_per_trade, q * distance / equity, q, budget);
                q = budget;
            }
        }

        let others = self.other_exposure(p.symbol, ledger);
        let mut cap = |rule, limit: f64, others: f64, q: f64| {
            let room = (limit * equity - others) / p.price - held;
            let allowed = q.min(room.max(0.0));
            if allowed < q {
                note(rule, limit, (others + (held + q) * p.price) / equity, q, allowed);
            }
            allowed
        };
        let c = &self.config;
        for (rule, limit, others) in [
            (RiskRule::MaxPosition, c.max_position, 0.0),
            (RiskRule::MaxTotalExposure, c.max_total_exposure, others.gross),
            (RiskRule::MaxCorrelatedExposure, c.max_correlated_exposure, others.correlated),
            (RiskRule::MaxSectorExposure, c.max_sector_exposure, others.sector),
        ] {
            if q <= 0.0 {
                return 0.0;
            }
            q = cap(rule, limit, others, q);
        }
        if q <= 0.0 {
            return 0.0;
        }

        let rounded = round_down_to_lot(q, p.lot_size);
        if rounded < q {
            note(RiskRule::LotSize, p.lot_size, q, q, rounded);
        }
        if rounded > 0.0 {
            self.entries_today = self.entries_today.saturating_add(1);
        }
        rounded
    }

    /// Refuses with the halt's note when a halt is in force.
    fn refuse_if_halted(&self, requested: f64, note: &mut impl FnMut(RiskRule, f64, f64, f64, f64)) -> bool {
        match self.halt {
            None => false,
            Some(HaltReason::KillSwitch { .. }) => {
                note(RiskRule::KillSwitch, 0.0, 0.0, requested, 0.0);
                true
            }
            Some(HaltReason::MaxDrawdown { drawdown, limit, .. }) => {
                note(RiskRule::MaxDrawdown, limit, drawdown, requested, 0.0);
                true
            }
        }
    }

    /// One pass over the other positions, at their marks.
    fn other_exposure(&self, symbol: SymbolId, ledger: &Ledger) -> OtherExposure {
        let mut sum = OtherExposure::default();
        for (j, position) in ledger.positions().iter().enumerate() {
            let value = position.value().abs();
            if j == symbol.index() || value == 0.0 {
                continue;
            }
            let other = crate::engine::symbol_id(j);
            sum.gross += value;
            if self.correlated(symbol, other) {
                sum.correlated += value;
            }
            if self.same_sector(symbol, other) {
                sum.sector += value;
            }
        }
        sum
    }
}

/// An order toward flat: allowed up to the position. A partial exit is put on
/// the lot grid; closing the whole position is never rounded, so no dust is left.
fn exit(p: &Proposal, held: f64, note: &mut impl FnMut(RiskRule, f64, f64, f64, f64)) -> f64 {
    if p.quantity >= held {
        if p.quantity > held {
            note(RiskRule::ExitBeyondPosition, held, p.quantity, p.quantity, held);
        }
        return held;
    }
    let rounded = round_down_to_lot(p.quantity, p.lot_size).min(held);
    if rounded < p.quantity {
        note(RiskRule::LotSize, p.lot_size, p.quantity, p.quantity, rounded);
    }
    rounded
}
