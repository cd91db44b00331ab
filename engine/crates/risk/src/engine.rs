//! [`RiskEngine`]: the account-level state behind the limits (equity
//! high-water mark, the UTC day, halts, return windows, stops) and its updates
//! from bars, time steps and fills. The per-order check lives in `check.rs`.
//!
//! Everything is sized in [`RiskEngine::new`]; after that no call allocates,
//! reads a clock or depends on hash order, so a replay takes the same risk
//! decisions every time.

use std::collections::BTreeMap;

use tradebot_core::{Candle, Fill, Side, Symbol, SymbolId, Timestamp};
use tradebot_portfolio::{FillEffect, Ledger};

use crate::config::DrawdownAction;
use crate::correlation::ReturnWindows;
use crate::error::{Bounds, ConfigError};
use crate::stops::{Protection, StopInputs, protective_levels};
use crate::trailing::StopBook;
use crate::{HaltReason, RiskConfig, RiskEvent};

const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;

/// The native risk engine. Applied after sizing to every order; a strategy or
/// plugin has no way around it.
#[derive(Debug, Clone)]
pub struct RiskEngine {
    pub(crate) config: RiskConfig,
    /// Sector group per symbol: symbols sharing a configured sector share a
    /// group; a symbol without one has a group of its own.
    pub(crate) sector: Vec<u32>,
    pub(crate) windows: ReturnWindows,
    stops: StopBook,
    high_water: f64,
    /// An equity above this is surely less than `max_drawdown` below the
    /// high-water mark (see [`safe_floor`]): the drawdown is divided out
    /// only at or below it.
    halt_floor: f64,
    /// UTC day number (days since the epoch) of the last time step.
    day: Option<i64>,
    /// `[start, end)` of that day in nanoseconds (empty before the first
    /// step): a step inside it is in the same day, two comparisons.
    day_span: (i64, i64),
    day_start_equity: f64,
    /// The same for the day's loss against `max_daily_loss`.
    loss_floor: f64,
    pub(crate) entries_today: u32,
    /// The day's loss when `max_daily_loss` was reached today.
    pub(crate) daily_loss_hit: Option<f64>,
    daily_loss_reported: bool,
    pub(crate) halt: Option<HaltReason>,
    halt_reported: bool,
    /// Decision time of the last time step: when a halt found by a check happened.
    pub(crate) now: Timestamp,
}

impl RiskEngine {
    /// Validates `config` and preallocates every per-symbol structure.
    /// `symbols` is the run's symbol table: `SymbolId(i)` is `symbols[i]`.
    pub fn new(config: RiskConfig, symbols: &[Symbol], initial_equity: f64) -> Result<Self, ConfigError> {
        config.validate()?;
        let max = usize::from(u16::MAX) + 1;
        if symbols.len() > max {
            return Err(ConfigError::TooManySymbols { count: symbols.len(), max });
        }
        Bounds::open(0.0, f64::INFINITY).check("initial_equity", initial_equity)?;
        let sector = sector_groups(&config, symbols);
        Ok(RiskEngine {
            windows: ReturnWindows::new(symbols.len(), config.correlation_window),
            stops: StopBook::new(symbols.len(), config.stop_loss.trailing()),
            sector,
            high_water: initial_equity,
            halt_floor: safe_floor(initial_equity, config.max_drawdown),
            day: None,
            day_span: (0, 0),
            day_start_equity: initial_equity,
            loss_floor: safe_floor(initial_equity, config.max_daily_loss),
            entries_today: 0,
            daily_loss_hit: None,
            daily_loss_reported: false,
            halt: None,
            halt_reported: false,
            now: Timestamp::MIN,
            config,
        })
    }

    pub fn config(&self) -> &RiskConfig {
        &self.config
    }

    /// Number of instruments in the run.
    #[inline]
    pub fn symbols(&self) -> usize {
        self.sector.len()
    }

    /// Records a bar's close (call for every bar, before [`end_of_step`](Self::end_of_step)).
    pub fn on_bar(&mut self, symbol: SymbolId, bar: &Candle) {
        self.windows.record(symbol.index(), bar.close);
    }

    /// Closes one time step (after all its bars; `equity` is the account's
    /// [`Ledger::equity`] marked at their closes, `now` the decision time,
    /// the bars' close time). In
    /// order: samples the aligned returns; on the first step of a new UTC day
    /// resets the daily loss and trade count and takes this step's equity as
    /// the day's opening equity; raises the high-water mark; halts at
    /// `max_drawdown`; latches `max_daily_loss`; trails the stops of open
    /// positions from the latest closes. Reports each change through `out`.
    #[inline(always)]
    pub fn end_of_step(&mut self, now: Timestamp, equity: f64, out: &mut impl FnMut(RiskEvent)) {
        self.now = now;
        // Correlation needs a pair: one instrument samples nothing.
        if self.symbols() > 1 {
            self.windows.sample();
        }

        // A daily-loss latch a check found is reported before the day can roll.
        self.report_daily_loss(out);
        // Integer division only when the step leaves the current day.
        let t = now.as_nanos();
        if !(self.day_span.0 <= t && t < self.day_span.1) {
            self.enter_day(t, equity);
        }
        if equity > self.high_water {
            self.high_water = equity;
            self.halt_floor = safe_floor(equity, self.config.max_drawdown);
        }

        self.update_halt(equity);
        if let Some(reason) = self.halt
            && !self.halt_reported
        {
            self.halt_reported = true;
            out(RiskEvent::Halted(reason));
            if self.config.max_drawdown_action == DrawdownAction::Flatten {
                out(RiskEvent::FlattenRequested);
            }
        }

        self.update_daily_loss(equity);
        self.report_daily_loss(out);

        if self.stops.trails() {
            self.trail_stops(out);
        }
    }

    #[inline(never)]
    fn trail_stops(&mut self, out: &mut impl FnMut(RiskEvent)) {
        for i in 0..self.symbols() {
            if let Some(close) = self.windows.last_close(i)
                && let Some((from, to)) = self.stops.on_price(i, close)
            {
                out(RiskEvent::StopMoved { symbol: symbol_id(i), from, to });
            }
        }
    }

    /// A step at `t` outside the current day's span: a new day resets the
    /// daily counters (a step of the same day, possible only where the
    /// span could not be represented, changes nothing).
    #[cold]
    fn enter_day(&mut self, t: i64, equity: f64) {
        let day = t.div_euclid(NANOS_PER_DAY);
        if self.day != Some(day) {
            self.day = Some(day);
            self.day_start_equity = equity;
            self.loss_floor = safe_floor(equity, self.config.max_daily_loss);
            self.entries_today = 0;
            self.daily_loss_hit = None;
            self.daily_loss_reported = false;
        }
        // Unrepresentable (within a day of the ends of time): an empty span,
        // so every step comes back here.
        let start = day.checked_mul(NANOS_PER_DAY);
        self.day_span = start.and_then(|s| Some((s, s.checked_add(NANOS_PER_DAY)?))).unwrap_or_default();
    }

    fn report_daily_loss(&mut self, out: &mut impl FnMut(RiskEvent)) {
        if let Some(loss) = self.daily_loss_hit
            && !self.daily_loss_reported
        {
            self.daily_loss_reported = true;
            out(RiskEvent::DailyLossReached { loss, limit: self.config.max_daily_loss });
        }
    }

    /// Books a fill's effect on stop tracking. When the fill opened a new
    /// position (from flat, or the new side of a flip) it returns the
    /// [`Protection`] to attach, computed at the fill price, and starts
    /// trailing its stop; when it left the position flat the stop is
    /// forgotten. Adds and partial exits keep the existing stop.
    pub fn on_fill(&mut self, fill: &Fill, effect: &FillEffect, inputs: &StopInputs) -> Option<Protection> {
        let i = fill.symbol.index();
        if i >= self.symbols() {
            return None;
        }
        if effect.after == 0.0 {
            self.stops.close(i);
            return None;
        }
        let new_position =
            effect.opened > 0.0 && (effect.before == 0.0 || effect.before.signum() != effect.after.signum());
        if !new_position {
            return None;
        }
        let side = if effect.after > 0.0 { Side::Buy } else { Side::Sell };
        let protection = self.protective_levels(side, fill.price, inputs);
        self.stops.open(i, side == Side::Buy, fill.price, protection.stop);
        Some(protection)
    }

    /// Stop and take-profit for a position entered at `entry_price`: what
    /// [`on_fill`](Self::on_fill) attaches, and the stop to size an entry with.
    pub fn protective_levels(&self, side: Side, entry_price: f64, inputs: &StopInputs) -> Protection {
        protective_levels(&self.config.stop_loss, &self.config.take_profit, side, entry_price, inputs)
    }

    /// The current protective stop of `symbol`'s position, if it has one.
    pub fn stop(&self, symbol: SymbolId) -> Option<f64> {
        self.stops.stop(symbol.index())
    }

    /// The kill switch: halts for the rest of the run and asks the engine to
    /// flatten every position, at once, whatever halted the run before.
    pub fn kill(&mut self, now: Timestamp, out: &mut impl FnMut(RiskEvent)) {
        let reason = HaltReason::KillSwitch { at: now };
        self.halt = Some(reason);
        self.halt_reported = true;
        out(RiskEvent::Halted(reason));
        out(RiskEvent::FlattenRequested);
    }

    /// Why entries are refused for the rest of the run, if they are.
    pub fn halted(&self) -> Option<HaltReason> {
        self.halt
    }

    /// Drawdown of `equity` from the high-water mark (itself if higher):
    /// 0 at a new high, 1 at zero equity, NaN for a NaN equity.
    pub fn drawdown(&self, equity: f64) -> f64 {
        if equity.is_nan() {
            return f64::NAN;
        }
        // At or above the high-water mark there is no drawdown; skipping the
        // division there keeps it off the common path of every step.
        if equity >= self.high_water {
            return 0.0;
        }
        let peak = self.high_water;
        if peak > 0.0 { ((peak - equity) / peak).max(0.0) } else { 0.0 }
    }

    /// Entry size multiplier at the ledger's drawdown: 1 below
    /// `drawdown_reduction_threshold`, falling linearly to 0 at `max_drawdown`.
    pub fn size_multiplier(&self, ledger: &Ledger) -> f64 {
        self.multiplier(self.drawdown(ledger.equity()))
    }

    pub(crate) fn multiplier(&self, drawdown: f64) -> f64 {
        let (start, end) = (self.config.drawdown_reduction_threshold, self.config.max_drawdown);
        if drawdown < start {
            1.0
        } else if drawdown >= end || drawdown.is_nan() {
            0.0
        } else {
            ((end - drawdown) / (end - start)).clamp(0.0, 1.0)
        }
    }

    /// Loss since the day's opening equity, as a fraction of it (negative on a gain).
    pub fn daily_loss(&self, equity: f64) -> f64 {
        if self.day_start_equity > 0.0 { (self.day_start_equity - equity) / self.day_start_equity } else { 0.0 }
    }

    /// Entries approved since the start of the current UTC day.
    pub fn entries_today(&self) -> u32 {
        self.entries_today
    }

    /// Pearson correlation of two instruments' aligned returns over the
    /// window, `None` when not enough joint samples exist or either is flat.
    pub fn correlation(&self, a: SymbolId, b: SymbolId) -> Option<f64> {
        self.windows.correlation(a.index(), b.index(), self.config.correlation_min_samples)
    }

    /// Whether two instruments count as one bet for `max_correlated_exposure`.
    pub fn correlated(&self, a: SymbolId, b: SymbolId) -> bool {
        a == b || self.correlation(a, b).is_some_and(|c| c >= self.config.correlation_threshold)
    }

    /// Whether two instruments share a sector for `max_sector_exposure`.
    pub fn same_sector(&self, a: SymbolId, b: SymbolId) -> bool {
        self.sector.get(a.index()).is_some_and(|g| self.sector.get(b.index()) == Some(g))
    }

    /// Halts at `max_drawdown` (once; a kill switch already in force stays).
    /// A NaN equity (a broken mark) halts nothing: checks refuse entries on it
    /// anyway, and a halt is forever.
    pub(crate) fn update_halt(&mut self, equity: f64) {
        if self.halt.is_some() || equity > self.halt_floor {
            return;
        }
        let drawdown = self.drawdown(equity);
        if drawdown >= self.config.max_drawdown {
            self.halt = Some(HaltReason::MaxDrawdown { drawdown, limit: self.config.max_drawdown, at: self.now });
        }
    }

    /// Latches `max_daily_loss` for the rest of the UTC day.
    pub(crate) fn update_daily_loss(&mut self, equity: f64) {
        // A day in profit cannot reach a positive loss limit.
        if self.daily_loss_hit.is_some() || equity >= self.day_start_equity || equity > self.loss_floor {
            return;
        }
        let loss = self.daily_loss(equity);
        if loss >= self.config.max_daily_loss {
            self.daily_loss_hit = Some(loss);
        }
    }
}

/// An equity above which a fall from `reference` is surely less than
/// `limit` as [`RiskEngine::drawdown`] and [`RiskEngine::daily_loss`]
/// compute it, so most steps skip their division (every step checks both,
/// and the divisions sat at the end of the step's longest dependency chain).
///
/// With `e > r·(1 − limit + 1e-9)` the exact fall `1 − e/r` is below
/// `limit − 1e-9`; the computed `(r − e) / r` carries a relative error of at
/// most ~2⁻⁵², and the floor's own product ~2⁻⁵³, both far inside the 1e-9
/// margin. So above the floor the computed fall is below `limit`, and at or
/// below it the fall is computed and compared exactly as before: the same
/// halts and latches, at the same steps. A reference at or below zero
/// (never halts: the fall is defined as 0 there) gives a floor at or below
/// it, which changes nothing either way; a NaN equity is never above it.
fn safe_floor(reference: f64, limit: f64) -> f64 {
    reference * (1.0 - limit + 1e-9)
}

/// Sector groups: one per configured sector name present in the run, then one
/// per symbol without a sector. Sector map keys not in the run are ignored.
fn sector_groups(config: &RiskConfig, symbols: &[Symbol]) -> Vec<u32> {
    let mut named: BTreeMap<&str, u32> = BTreeMap::new();
    let mut next = 0u32;
    let mut fresh = || {
        next += 1;
        next - 1
    };
    symbols
        .iter()
        .map(|s| match config.sectors.get(s.as_str()) {
            Some(sector) => *named.entry(sector.as_str()).or_insert_with(&mut fresh),
            None => fresh(),
        })
        .collect()
}

/// `SymbolId` of an index below the symbol count (checked in `new` to fit a `u16`).
#[inline]
pub(crate) fn symbol_id(index: usize) -> SymbolId {
    SymbolId(u16::try_from(index).unwrap_or(u16::MAX))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::safe_floor;

    /// The fall as the engine computes it ([`super::RiskEngine::drawdown`],
    /// [`super::RiskEngine::daily_loss`]) for a positive reference.
    fn fall(reference: f64, equity: f64) -> f64 {
        (reference - equity) / reference
    }

    proptest! {
        /// Skipping the division above the floor never hides a halt or a
        /// daily-loss latch: above it the computed fall is below the limit.
        #[test]
        fn above_the_floor_the_computed_fall_is_below_the_limit(
            reference in 1e-6f64..1e12,
            limit in 1e-6f64..=1.0,
            position in 0.0f64..1.0,
            nudge in -64i64..64,
        ) {
            // Equities spread over the whole range and packed around the floor.
            let floor = safe_floor(reference, limit);
            let near = f64::from_bits((floor.to_bits() as i64 + nudge) as u64);
            for equity in [reference * position, near, reference] {
                if equity > floor {
                    prop_assert!(fall(reference, equity) < limit, "{equity} > floor {floor}, limit {limit}");
                }
            }
        }
    }

    #[test]
    fn the_floor_is_just_under_the_limit() {
        let floor = safe_floor(100_000.0, 0.15);
        assert!((floor - 85_000.0).abs() < 1e-3);
        assert!(fall(100_000.0, floor) < 0.15);
    }
}
