//! The account stage: sizing → risk → execution → portfolio, for one event.
//!
//! These four run in one lane, always, because each needs the account state
//! the previous one just changed: the risk check of a decision must see the
//! fills that happened at this bar's open, and the portfolio must see the
//! fills the broker just made. Splitting them across threads would let risk
//! approve against a stale position, the race real pre-trade risk systems are
//! built to avoid. They are still timed as separate stages.
//!
//! Per bar, in this order:
//! 1. **execution**: the broker matches working orders against the bar
//!    (orders decided at earlier closes fill at this bar's open or within its
//!    range); fills are booked in the engine's ledger, trade book, metrics
//!    and risk engine; new positions get their protective orders;
//! 2. **portfolio**: the ledger is marked at the close;
//! 3. **sizing** and **risk**, if the strategy wants a different position:
//!    exit orders for the current position, then an entry sized by the sizing
//!    rule and cut by the risk engine; every decision is logged;
//! 4. at the end of a time step: the risk engine's step (drawdown, daily
//!    limits, trailing stops → amended stop orders, halts → flatten) and one
//!    equity sample.

use tradebot_analytics::{Metrics, MetricsAccumulator, MetricsConfig, MonthlyReturn};
use tradebot_core::{
    ClientOrderId, Fill, OcoGroup, OrderEvent, OrderKind, OrderPurpose, OrderReason, OrderRequest, OrderStatus, Side,
    Symbol, SymbolId, Timestamp,
};
use tradebot_core::{PluginFault, PluginSlot, PluginStamp};
use tradebot_exec::SimBroker;
use tradebot_portfolio::{Ledger, TradeBook};
use tradebot_risk::{
    Proposal, Protection, RiskEngine, RiskEvent, RiskNote, SizingAnswer, SizingConfig, SizingContext, SizingInput,
    SizingPolicy, StopInputs, TradeStats,
};
use tradebot_strategy::Direction;

use crate::KernelError;
use crate::config::KernelConfig;
use crate::event::{BarEvent, EventKind};
use crate::record::{Alert, Decision, EquitySample, MAX_NOTES, Record, Verdict};
use crate::telemetry::{Stage, Telemetry};
use crate::upstream::FeatureLayout;
use tradebot_features::MAX_FEATURES;

/// Where the account stage's records go: the recorder in the same lane, or
/// a ring to the recorder's lane.
pub trait RecordSink {
    fn record(&mut self, record: &Record);

    /// Whether anyone reads the per-step equity samples; when nobody does
    /// (benchmarks), the stage does not build them.
    fn wants_equity(&self) -> bool {
        true
    }
}

/// Most orders the engine tracks at once (working orders of every symbol).
const ORDER_CAPACITY: usize = 1024;
/// Most broker events one call can produce before the stage drains them.
const EVENT_CAPACITY: usize = 256;

#[derive(Copy, Clone, Debug, Default)]
struct Protective {
    stop: Option<ClientOrderId>,
    take_profit: Option<ClientOrderId>,
    /// Levels of the current position (kept while entry fills add to it).
    levels: Option<Protection>,
    /// The position changed since the protective orders were placed.
    stale: bool,
}

/// What the account stage keeps per symbol.
#[derive(Copy, Clone, Debug)]
struct SymbolState {
    protective: Protective,
    /// Last ATR / swing levels, for protective orders placed at fills.
    stop_inputs: StopInputs,
    last_close: f64,
    /// Stop and take-profit a sizing policy asked for, applied when the
    /// entry fills.
    pending_levels: Option<(Option<f64>, Option<f64>)>,
}

impl Default for SymbolState {
    fn default() -> Self {
        SymbolState {
            protective: Protective::default(),
            stop_inputs: StopInputs::default(),
            last_close: f64::NAN,
            pending_levels: None,
        }
    }
}

/// The run's sizing: a native method (no dynamic dispatch on the hot path)
/// or a policy the plugin host built.
#[derive(Debug)]
pub enum Sizer {
    Native(SizingConfig),
    Policy(Box<dyn SizingPolicy>),
}

impl Sizer {
    #[inline]
    fn size(&mut self, input: &SizingInput<'_>, context: &SizingContext) -> SizingAnswer {
        match self {
            Sizer::Native(config) => SizingAnswer {
                quantity: tradebot_risk::size(config, input),
                stop: None,
                take_profit: None,
                fault: None,
            },
            Sizer::Policy(policy) => policy.size(input, context),
        }
    }

    fn stamp(&self) -> Option<PluginStamp> {
        match self {
            Sizer::Native(_) => None,
            Sizer::Policy(p) => p.stamp(),
        }
    }
}

/// The engine's protective levels with a sizing policy's `(stop,
/// take_profit)` applied: the tighter stop (never looser than the engine's
/// own), the policy's take-profit if it named one.
fn with_policy_levels(native: Protection, (stop, take_profit): (Option<f64>, Option<f64>), long: bool) -> Protection {
    let stop = match (native.stop, stop) {
        (Some(n), Some(s)) => Some(if long { n.max(s) } else { n.min(s) }),
        (n, s) => n.or(s),
    };
    Protection { stop, take_profit: take_profit.or(native.take_profit) }
}

/// Feature `index` of an event. The layout's slots are checked against
/// `MAX_FEATURES` when it is built; the modulo (a mask: the capacity is a
/// power of two) spares every bar a bounds check and its panic path.
#[inline(always)]
fn slot(f: &[f64; MAX_FEATURES], index: usize) -> f64 {
    const { assert!(MAX_FEATURES.is_power_of_two()) };
    f[index % MAX_FEATURES]
}

/// Plugin faults seen by the account stage, by slot and kind.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct PluginFaults {
    pub strategy: [u64; PluginFault::ALL.len()],
    pub sizing: [u64; PluginFault::ALL.len()],
}

impl PluginFaults {
    pub fn total(&self) -> u64 {
        self.strategy.iter().chain(&self.sizing).sum()
    }
}

/// State of the account lane.
#[derive(Debug)]
pub struct AccountStage {
    config: KernelConfig,
    sizer: Sizer,
    sizing_stamp: Option<PluginStamp>,
    faults: PluginFaults,
    layout: FeatureLayout,
    broker: SimBroker,
    ledger: Ledger,
    book: TradeBook,
    risk: RiskEngine,
    stats: TradeStats,
    metrics: MetricsAccumulator,
    /// Engine-side copies of the requests of working orders.
    orders: Vec<OrderRequest>,
    events: Vec<OrderEvent>,
    /// Per-symbol state, in one place: a bar reads and writes several
    /// fields of its symbol's, after one bounds check instead of one each.
    symbols: Vec<SymbolState>,
    last_time: Timestamp,
    next_id: u64,
    next_oco: u64,
    lot_size: f64,
    /// Highest equity of the samples recorded so far.
    peak_equity: f64,
    halted_flatten_done: bool,
    /// Trailing-stop moves of the current step (at most one per symbol).
    moved: Vec<(SymbolId, f64, f64)>,
}

impl AccountStage {
    pub fn new(
        config: &KernelConfig,
        sizer: Sizer,
        symbols: &[Symbol],
        layout: FeatureLayout,
        periods_per_year: f64,
        expected_months: usize,
    ) -> Result<Self, KernelError> {
        let n = symbols.len();
        let risk = RiskEngine::new(config.risk.clone(), symbols, config.initial_equity)
            .map_err(|e| KernelError::Invalid(e.to_string()))?;
        let metrics_config = MetricsConfig {
            risk_free_rate: config.metrics.risk_free_rate,
            periods_per_year,
            psr_benchmark_sharpe: config.metrics.psr_benchmark_sharpe,
        };
        metrics_config.validate().map_err(|e| KernelError::Invalid(e.to_string()))?;
        Ok(AccountStage {
            sizing_stamp: sizer.stamp(),
            sizer,
            faults: PluginFaults::default(),
            broker: SimBroker::new(config.broker, n, config.initial_equity)
                .map_err(|e| KernelError::Invalid(e.to_string()))?,
            ledger: Ledger::new(config.initial_equity, n),
            book: TradeBook::new(n),
            risk,
            stats: TradeStats::new(),
            metrics: MetricsAccumulator::new(metrics_config, config.initial_equity, expected_months),
            orders: Vec::with_capacity(ORDER_CAPACITY),
            events: Vec::with_capacity(EVENT_CAPACITY),
            symbols: vec![SymbolState::default(); n],
            last_time: Timestamp::MIN,
            next_id: 1,
            next_oco: 1,
            lot_size: config.broker.lot_size,
            peak_equity: config.initial_equity,
            halted_flatten_done: false,
            moved: Vec::with_capacity(n),
            layout,
            config: config.clone(),
        })
    }

    /// Plugin faults so far.
    pub fn plugin_faults(&self) -> PluginFaults {
        self.faults
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn metrics(&self) -> Metrics {
        self.metrics.metrics()
    }

    pub fn monthly_returns(&self) -> Vec<MonthlyReturn> {
        self.metrics.monthly_returns()
    }

    pub fn risk(&self) -> &RiskEngine {
        &self.risk
    }

    /// Processes one event; `t0` is when the event entered this lane (0 when
    /// the event is not timed).
    #[inline(always)]
    pub fn process(&mut self, ev: &BarEvent, tel: &mut Telemetry, t0: u64, sink: &mut impl RecordSink) {
        match ev.kind {
            EventKind::Bar => self.on_bar(ev, tel, t0, sink),
            EventKind::Kill => self.kill(ev.time, sink),
            EventKind::End => self.finish(sink),
        }
    }

    #[inline(always)]
    fn on_bar(&mut self, ev: &BarEvent, tel: &mut Telemetry, t0: u64, sink: &mut impl RecordSink) {
        let sym = ev.symbol;
        let i = sym.index();
        let f = &ev.features;
        self.last_time = ev.time;

        // 1. Execution. Orders fill at this bar's open or inside its range,
        // so everything about the fill (ATR slippage, the levels of the
        // protective orders a new position gets) uses what was known at the
        // previous close: the features of this bar are not known yet.
        let atr = self.symbols[i].stop_inputs.atr;
        let buf = &mut self.events;
        if self.broker.on_bar(sym, &ev.bar, atr, &mut |e| buf.push(*e)).is_err() {
            // Bars come from validated stores; a bar the broker refuses is
            // still never skipped silently.
            sink.record(&Record::Alert { time: ev.time, alert: Alert::InvalidBar });
        }
        self.drain_events(sink);
        self.refresh_protection(sym, ev.time, sink);
        let state = &mut self.symbols[i];
        state.stop_inputs = StopInputs {
            atr: slot(f, self.layout.atr),
            swing_low: slot(f, self.layout.swing_low),
            swing_high: slot(f, self.layout.swing_high),
        };
        state.last_close = ev.bar.close;
        let mut t = if t0 != 0 { tel.lap(Stage::Execution, t0) } else { 0 };

        // 2. Portfolio: mark to the close.
        self.ledger.mark(sym, ev.bar.close);
        self.risk.on_bar(sym, &ev.bar);
        if t != 0 {
            t = tel.lap(Stage::Portfolio, t);
        }

        // 3. Sizing and risk.
        if let Some(fault) = ev.signal.fault {
            self.faults.strategy[fault.index()] += 1;
            sink.record(&Record::Alert { time: ev.time, alert: Alert::Plugin { slot: PluginSlot::Strategy, fault } });
        }
        if let Some(target) = ev.signal.target {
            self.decide(ev, target, tel, &mut t, sink);
        }

        // 4. End of the time step.
        if ev.last_in_step {
            let t4 = if t != 0 { tel.now() } else { 0 };
            self.end_of_step(ev.time, sink);
            if t4 != 0 {
                tel.lap(Stage::Portfolio, t4);
            }
        }
    }

    fn next_order_id(&mut self) -> ClientOrderId {
        let id = ClientOrderId(self.next_id);
        self.next_id += 1;
        id
    }

    /// A market order with a fresh id; everything but an entry may only
    /// reduce the position.
    fn market_order(
        &mut self,
        symbol: SymbolId,
        side: Side,
        quantity: f64,
        purpose: OrderPurpose,
        created: Timestamp,
    ) -> OrderRequest {
        OrderRequest {
            id: self.next_order_id(),
            symbol,
            side,
            quantity,
            kind: OrderKind::Market,
            reduce_only: purpose != OrderPurpose::Entry,
            oco: OcoGroup::NONE,
            purpose,
            created,
        }
    }

    fn submit(&mut self, req: OrderRequest, sink: &mut impl RecordSink) {
        if self.orders.len() >= ORDER_CAPACITY {
            // An order the engine could not track would have its fills lost
            // from the engine's books: refuse it here, loudly.
            sink.record(&Record::Alert { time: req.created, alert: Alert::OrderRejected });
            return;
        }
        self.orders.push(req);
        let buf = &mut self.events;
        self.broker.submit(req, &mut |e| buf.push(*e));
        self.drain_events(sink);
    }

    fn cancel(&mut self, id: ClientOrderId, now: Timestamp, sink: &mut impl RecordSink) {
        let buf = &mut self.events;
        self.broker.cancel(id, now, &mut |e| buf.push(*e));
        self.drain_events(sink);
    }

    /// Cancels every working order `which` selects.
    fn cancel_working(&mut self, now: Timestamp, which: impl Fn(&OrderRequest) -> bool, sink: &mut impl RecordSink) {
        let mut k = 0;
        while k < self.orders.len() {
            let o = self.orders[k];
            if which(&o) {
                let before = self.orders.len();
                self.cancel(o.id, now, sink);
                if self.orders.len() == before {
                    // The broker no longer knew it: forget it here too.
                    self.forget_order(o.id);
                }
            } else {
                k += 1;
            }
        }
    }

    fn request_of(&self, id: ClientOrderId) -> Option<OrderRequest> {
        self.orders.iter().find(|o| o.id == id).copied()
    }

    /// Books every event the broker produced: fills into the ledger, trade
    /// book, metrics and risk; records for the recorder.
    #[inline]
    fn drain_events(&mut self, sink: &mut impl RecordSink) {
        // Most bars produce no event: no call for them.
        if !self.events.is_empty() {
            self.book_events(sink);
        }
    }

    #[inline(never)]
    fn book_events(&mut self, sink: &mut impl RecordSink) {
        let mut k = 0;
        while k < self.events.len() {
            let e = self.events[k];
            k += 1;
            let Some(request) = self.request_of(e.order) else { continue };
            sink.record(&Record::Order { request, event: e });
            if let Some(fill) = e.fill {
                self.book_fill(&fill, sink);
            }
            if e.status == OrderStatus::Rejected {
                sink.record(&Record::Alert { time: e.time, alert: Alert::OrderRejected });
            }
            if e.status.is_terminal() {
                self.forget_order(e.order);
            }
        }
        self.events.clear();
    }

    fn forget_order(&mut self, id: ClientOrderId) {
        if let Some(pos) = self.orders.iter().position(|o| o.id == id) {
            self.orders.swap_remove(pos);
        }
        for p in self.symbols.iter_mut().map(|s| &mut s.protective) {
            if p.stop == Some(id) {
                p.stop = None;
            }
            if p.take_profit == Some(id) {
                p.take_profit = None;
            }
        }
    }

    fn book_fill(&mut self, fill: &Fill, sink: &mut impl RecordSink) {
        let i = fill.symbol.index();
        let effect = self.ledger.apply(fill);
        self.metrics.on_fill_notional(fill.quantity * fill.price, fill.fee);
        if let Some(trade) = self.book.on_fill(fill, &effect) {
            self.metrics.on_trade(&trade);
            self.stats.record(trade.pnl);
            sink.record(&Record::Trade(trade));
        }
        let inputs = self.symbols[i].stop_inputs;
        let protection = self.risk.on_fill(fill, &effect, &inputs);
        let state = &mut self.symbols[i];
        let p = &mut state.protective;
        if effect.after == 0.0 {
            p.levels = None;
            p.stale = true;
        } else if let Some(mut levels) = protection {
            if let Some(asked) = state.pending_levels.take() {
                levels = with_policy_levels(levels, asked, effect.after > 0.0);
            }
            p.levels = Some(levels);
            p.stale = true;
        } else if effect.opened > 0.0 || effect.closed > 0.0 {
            // Added to or partly closed: the protective orders must cover the new size.
            p.stale = true;
        }
    }

    /// Makes the protective orders of `sym` match its position: cancels them
    /// when flat, (re)places a stop and a take-profit (one-cancels-other,
    /// reduce-only) for the whole position otherwise. Runs only when the
    /// position changed and no entry order of the symbol is still working.
    #[inline(always)]
    fn refresh_protection(&mut self, sym: SymbolId, now: Timestamp, sink: &mut impl RecordSink) {
        if self.symbols[sym.index()].protective.stale {
            self.replace_protection(sym, now, sink);
        }
    }

    #[inline(never)]
    fn replace_protection(&mut self, sym: SymbolId, now: Timestamp, sink: &mut impl RecordSink) {
        let i = sym.index();
        let entry_working = self.orders.iter().any(|o| o.symbol == sym && o.purpose == OrderPurpose::Entry);
        if entry_working {
            return;
        }
        self.symbols[i].protective.stale = false;
        for id in [self.symbols[i].protective.stop, self.symbols[i].protective.take_profit].into_iter().flatten() {
            self.cancel(id, now, sink);
        }
        let qty = self.ledger.position(sym).quantity;
        let Some(levels) = self.symbols[i].protective.levels else { return };
        if qty == 0.0 {
            return;
        }
        let side = if qty > 0.0 { Side::Sell } else { Side::Buy };
        let oco = OcoGroup(self.next_oco);
        self.next_oco += 1;
        // The trailing stop may have moved since entry: use the risk engine's current level.
        let stop = self.risk.stop(sym).or(levels.stop);
        if let Some(stop) = stop {
            let id = self.next_order_id();
            self.symbols[i].protective.stop = Some(id);
            let req = self.protective_request(id, sym, side, qty.abs(), OrderKind::Stop { stop }, oco, now);
            self.submit(req, sink);
        }
        if let Some(limit) = levels.take_profit {
            let id = self.next_order_id();
            self.symbols[i].protective.take_profit = Some(id);
            let req = self.protective_request(id, sym, side, qty.abs(), OrderKind::Limit { limit }, oco, now);
            self.submit(req, sink);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn protective_request(
        &self,
        id: ClientOrderId,
        symbol: SymbolId,
        side: Side,
        quantity: f64,
        kind: OrderKind,
        oco: OcoGroup,
        created: Timestamp,
    ) -> OrderRequest {
        let purpose =
            if matches!(kind, OrderKind::Stop { .. }) { OrderPurpose::StopLoss } else { OrderPurpose::TakeProfit };
        OrderRequest { id, symbol, side, quantity, kind, reduce_only: true, oco, purpose, created }
    }

    #[inline(never)]
    fn decide(
        &mut self,
        ev: &BarEvent,
        target: Direction,
        tel: &mut Telemetry,
        t: &mut u64,
        sink: &mut impl RecordSink,
    ) {
        let sym = ev.symbol;
        let i = sym.index();
        let now = ev.time;
        let close = ev.bar.close;
        let f = &ev.features;
        let position = self.ledger.position(sym).quantity;

        // A new decision replaces any signal order of this symbol still working.
        self.cancel_working(
            now,
            |o| o.symbol == sym && matches!(o.purpose, OrderPurpose::Entry | OrderPurpose::Exit),
            sink,
        );

        let mut decision = Decision {
            time: now,
            symbol: sym,
            close,
            inputs: [f64::NAN; 4],
            n_inputs: self.layout.strategy.min(4) as u8,
            atr: f[self.layout.atr],
            volatility: f[self.layout.volatility],
            target,
            confidence: ev.signal.confidence,
            equity: self.ledger.equity(),
            exposure: self.ledger.gross_exposure(),
            position_before: position,
            exit_quantity: 0.0,
            sized_quantity: 0.0,
            approved_quantity: 0.0,
            stop: f64::NAN,
            take_profit: f64::NAN,
            verdict: Verdict::NoChange,
            notes: [None; MAX_NOTES],
            strategy_plugin: ev.plugin,
            sizing_plugin: None,
            sizing_fault: None,
        };
        decision.inputs[..decision.n_inputs as usize].copy_from_slice(&f[..decision.n_inputs as usize]);

        let entry_side = match target {
            Direction::Long => Some(Side::Buy),
            Direction::Short => Some(Side::Sell),
            Direction::Flat => None,
        };
        let already = match target {
            Direction::Long => position > 0.0,
            Direction::Short => position < 0.0,
            Direction::Flat => position == 0.0,
        };
        if already {
            if *t != 0 {
                *t = tel.lap(Stage::Sizing, *t);
            }
            sink.record(&Record::Decision(decision));
            return;
        }

        // Exit first: the current position is the opposite of the target (or
        // the target is flat). Exits are never blocked by risk limits.
        let commission = self.config.broker.commission.fraction;
        let mut equity_after_exit = decision.equity;
        if position != 0.0 {
            let side = if position > 0.0 { Side::Sell } else { Side::Buy };
            let req = self.market_order(sym, side, position.abs(), OrderPurpose::Exit, now);
            decision.exit_quantity = position.abs();
            equity_after_exit -= position.abs() * close * commission;
            self.submit(req, sink);
            decision.verdict = Verdict::ExitOnly;
        }

        let Some(side) = entry_side else {
            if *t != 0 {
                *t = tel.lap(Stage::Sizing, *t);
            }
            sink.record(&Record::Decision(decision));
            return;
        };

        // Sizing.
        let mut protection = self.risk.protective_levels(side, close, &self.symbols[i].stop_inputs);
        let answer = self.sizer.size(
            &SizingInput {
                equity: equity_after_exit,
                price: close,
                stop: protection.stop,
                volatility: f[self.layout.volatility],
                stats: &self.stats,
                lot_size: self.lot_size,
                commission_fraction: commission,
            },
            &SizingContext {
                symbol: sym,
                side,
                confidence: ev.signal.confidence,
                atr: f[self.layout.atr],
                position,
                exposure: decision.exposure,
            },
        );
        let quantity = answer.quantity;
        decision.sizing_plugin = self.sizing_stamp;
        if let Some(fault) = answer.fault {
            decision.sizing_fault = Some(fault);
            self.faults.sizing[fault.index()] += 1;
            sink.record(&Record::Alert { time: now, alert: Alert::Plugin { slot: PluginSlot::Sizing, fault } });
        }
        let asked =
            (answer.stop.is_some() || answer.take_profit.is_some()).then_some((answer.stop, answer.take_profit));
        if let Some(asked) = asked {
            protection = with_policy_levels(protection, asked, side == Side::Buy);
        }
        decision.sized_quantity = quantity;
        decision.stop = protection.stop.unwrap_or(f64::NAN);
        decision.take_profit = protection.take_profit.unwrap_or(f64::NAN);
        if *t != 0 {
            *t = tel.lap(Stage::Sizing, *t);
        }

        // Risk.
        let proposal = Proposal {
            symbol: sym,
            side,
            quantity,
            price: close,
            stop: protection.stop,
            lot_size: self.lot_size,
            flat_first: position != 0.0,
        };
        let mut n_notes = 0;
        let notes = &mut decision.notes;
        let allowed = self.risk.check(&proposal, &self.ledger, &mut |note: RiskNote| {
            if n_notes < MAX_NOTES {
                notes[n_notes] = Some(note);
                n_notes += 1;
            }
        });
        decision.approved_quantity = allowed;
        decision.verdict = if allowed <= 0.0 {
            Verdict::Refused
        } else if n_notes > 0 || allowed < quantity {
            Verdict::Reduced
        } else {
            Verdict::Approved
        };
        if allowed > 0.0 {
            self.symbols[i].pending_levels = asked;
            let req = self.market_order(sym, side, allowed, OrderPurpose::Entry, now);
            self.submit(req, sink);
        }
        if *t != 0 {
            *t = tel.lap(Stage::Risk, *t);
        }
        sink.record(&Record::Decision(decision));
    }

    #[inline(always)]
    fn end_of_step(&mut self, now: Timestamp, sink: &mut impl RecordSink) {
        let mut flatten = false;
        let mut halted = false;
        let moved = &mut self.moved;
        moved.clear();
        let equity = self.ledger.equity();
        self.risk.end_of_step(now, equity, &mut |e: RiskEvent| match e {
            // At most one move per symbol per step: within the reserved capacity.
            RiskEvent::StopMoved { symbol, from, to } => moved.push((symbol, from, to)),
            other => {
                flatten |= matches!(other, RiskEvent::FlattenRequested);
                halted |= matches!(other, RiskEvent::Halted(_));
                sink.record(&Record::Alert { time: now, alert: Alert::Risk(other) });
            }
        });
        if !self.moved.is_empty() {
            self.amend_stops(now, sink);
        }
        if halted {
            // Entries approved before the halt but not yet filled must not
            // open positions after it.
            self.cancel_working(now, |o| o.purpose == OrderPurpose::Entry, sink);
        }
        if flatten && !self.halted_flatten_done {
            self.flatten(now, sink);
        }

        // Stop amendments and a halt's cancellations fill nothing, but a
        // flatten's market orders wait for the next bar: the equity of the
        // step is unchanged by anything above.
        let open_positions = self.ledger.open_positions();
        self.metrics.on_step(now, equity, open_positions > 0);
        if sink.wants_equity() {
            self.record_equity(now, equity, open_positions, sink);
        }
    }

    #[inline(never)]
    fn amend_stops(&mut self, now: Timestamp, sink: &mut impl RecordSink) {
        for k in 0..self.moved.len() {
            let (symbol, from, to) = self.moved[k];
            if let Some(id) = self.symbols[symbol.index()].protective.stop {
                // A stop that already filled or was cancelled has nothing to amend.
                if self.broker.amend_stop(id, to).is_ok() {
                    let long = self.ledger.position(symbol).quantity > 0.0;
                    sink.record(&Record::StopMoved { time: now, symbol, from, to, long });
                }
            }
        }
    }

    /// One equity sample. The peak it measures the drawdown from is kept
    /// here: a sink that wants samples wants every step's, and nothing else
    /// reads it.
    #[inline(never)]
    fn record_equity(&mut self, now: Timestamp, equity: f64, open_positions: usize, sink: &mut impl RecordSink) {
        if equity > self.peak_equity {
            self.peak_equity = equity;
        }
        sink.record(&Record::Equity(EquitySample {
            time: now,
            equity,
            cash: self.ledger.cash(),
            gross_exposure: self.ledger.gross_exposure(),
            drawdown: if self.peak_equity > 0.0 { 1.0 - equity / self.peak_equity } else { 0.0 },
            open_positions: u16::try_from(open_positions).unwrap_or(u16::MAX),
        }));
    }

    /// Cancels every working order and sends market orders closing every
    /// position (kill switch, or a halt configured to flatten).
    #[inline(never)]
    fn flatten(&mut self, now: Timestamp, sink: &mut impl RecordSink) {
        self.halted_flatten_done = true;
        let buf = &mut self.events;
        self.broker.cancel_all(None, now, OrderReason::Requested, &mut |e| buf.push(*e));
        self.drain_events(sink);
        for i in 0..self.ledger.positions().len() {
            let qty = self.ledger.positions()[i].quantity;
            if qty == 0.0 {
                continue;
            }
            let sym = SymbolId(i as u16);
            self.symbols[i].protective = Protective::default();
            let side = if qty > 0.0 { Side::Sell } else { Side::Buy };
            let req = self.market_order(sym, side, qty.abs(), OrderPurpose::Flatten, now);
            self.submit(req, sink);
        }
    }

    #[cold]
    #[inline(never)]
    fn kill(&mut self, now: Timestamp, sink: &mut impl RecordSink) {
        sink.record(&Record::Alert { time: now, alert: Alert::KillSwitch });
        let mut events: [Option<RiskEvent>; 4] = [None; 4];
        let mut n = 0;
        self.risk.kill(now, &mut |e| {
            if n < events.len() {
                events[n] = Some(e);
                n += 1;
            }
        });
        for e in events.into_iter().flatten() {
            sink.record(&Record::Alert { time: now, alert: Alert::Risk(e) });
        }
        self.flatten(now, sink);
    }

    #[cold]
    #[inline(never)]
    fn finish(&mut self, sink: &mut impl RecordSink) {
        let now = self.last_time;
        let buf = &mut self.events;
        self.broker.cancel_all(None, now, OrderReason::EndOfData, &mut |e| buf.push(*e));
        self.drain_events(sink);
        sink.record(&Record::End);
    }

    /// Trades still open at the end, valued at the last close.
    pub fn open_trades(&self) -> Vec<tradebot_portfolio::TradeRecord> {
        (0..self.symbols.len())
            .filter_map(|i| self.book.open_trade(SymbolId(i as u16), self.symbols[i].last_close, self.last_time))
            .collect()
    }
}
