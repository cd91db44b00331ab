//! [`MetricsAccumulator`]: folds the run's equity samples, closed trades and
//! fills into [`Metrics`] as they happen.
//!
//! Replays feed millions of steps and live runs never end, so nothing here
//! keeps the equity curve: every metric comes from O(1) running state
//! (streaming moments, running peak, counters), updated without allocating.
//! The monthly table is the one exception (one row per month, see
//! [`MonthlyReturn`]). [`MetricsAccumulator::metrics`] reads the state without
//! consuming it, so a live run can publish metrics at any time.

use statrs::distribution::{ContinuousCDF, Normal};
use tradebot_core::Timestamp;
use tradebot_portfolio::TradeRecord;

use crate::drawdown::Drawdown;
use crate::moments::Moments;
use crate::monthly::MonthlyTable;
use crate::trades::TradeStats;
use crate::{Metrics, MetricsConfig, MonthlyReturn};

/// Per-step volatility at or below which the returns count as constant, so
/// Sharpe, Sortino, skewness, kurtosis and PSR are `None`.
///
/// Each return `E/E_prev - 1` carries an absolute rounding error of about one
/// ulp of 1.0 (2.2e-16), so a curve growing at a constant rate shows a
/// spread of that size, and dividing by it would report a Sharpe ratio of
/// 1e15. 1e-14 is about 50 ulps, far below any real market's volatility.
pub const MIN_STEP_VOLATILITY: f64 = 1e-14;

/// Streaming performance metrics of one run.
#[derive(Clone, Debug)]
pub struct MetricsAccumulator {
    config: MetricsConfig,
    rf_step: f64,
    initial_equity: f64,
    last_equity: f64,
    start: Option<Timestamp>,
    end: Option<Timestamp>,
    steps: u64,
    exposed_steps: u64,
    /// Sum of the step equities, for turnover's mean equity. A plain sum:
    /// a running mean's division on every step was a loop-carried chain of
    /// ~20 cycles (1 % of a fused replay), and the sum's rounding, at most
    /// ~n·2⁻⁵³ relative (2e-10 for a million steps), is far below the
    /// precision turnover is read at.
    equity_sum: f64,
    returns: Moments,
    /// `Σ min(0, r - rf_step)²`, for the Sortino ratio's downside deviation.
    downside_sq: f64,
    drawdown: Drawdown,
    trades: TradeStats,
    monthly: MonthlyTable,
    traded_notional: f64,
    fees_paid: f64,
    ignored_inputs: u64,
}

impl MetricsAccumulator {
    /// A run starting with `initial_equity` (a non-finite value is taken as
    /// 0, which leaves every return-based metric `None`). `expected_months`
    /// is the capacity reserved for [`monthly_returns`](Self::monthly_returns).
    ///
    /// `config` should have passed [`MetricsConfig::validate`]; an invalid
    /// one makes the affected metrics `None`, never a panic.
    pub fn new(config: MetricsConfig, initial_equity: f64, expected_months: usize) -> Self {
        let initial_equity = if initial_equity.is_finite() { initial_equity } else { 0.0 };
        MetricsAccumulator {
            config,
            rf_step: config.risk_free_per_step(),
            initial_equity,
            last_equity: initial_equity,
            start: None,
            end: None,
            steps: 0,
            exposed_steps: 0,
            equity_sum: 0.0,
            returns: Moments::default(),
            downside_sq: 0.0,
            drawdown: Drawdown::new(initial_equity),
            trades: TradeStats::default(),
            monthly: MonthlyTable::new(initial_equity, expected_months),
            traded_notional: 0.0,
            fees_paid: 0.0,
            ignored_inputs: 0,
        }
    }

    pub fn config(&self) -> &MetricsConfig {
        &self.config
    }

    /// One sample per time step, in time order: equity after marking to the
    /// step's closes, and whether any position was open during the step.
    ///
    /// A non-finite equity or a time before the previous sample's is counted
    /// in `ignored_inputs` and otherwise ignored. The return of a step whose
    /// previous equity is not positive is undefined and left out of the
    /// return statistics; the step still counts everywhere else.
    #[inline]
    pub fn on_step(&mut self, time: Timestamp, equity: f64, exposed: bool) {
        if !tradebot_core::finite(equity) || self.end.is_some_and(|end| time < end) {
            self.ignored_inputs += 1;
            return;
        }
        self.steps += 1;
        self.exposed_steps += u64::from(exposed);
        self.start.get_or_insert(time);
        self.end = Some(time);
        if self.last_equity > 0.0 {
            let r = equity / self.last_equity - 1.0;
            self.returns.push(r);
            let downside = (r - self.rf_step).min(0.0);
            self.downside_sq += downside * downside;
        }
        self.equity_sum += equity;
        self.drawdown.on_step(self.steps, time, equity);
        self.monthly.on_step(time, equity);
        self.last_equity = equity;
    }

    /// One closed round trip. A record with a non-finite pnl or return is
    /// counted in `ignored_inputs` instead.
    #[inline]
    pub fn on_trade(&mut self, trade: &TradeRecord) {
        if !self.trades.push(trade) {
            self.ignored_inputs += 1;
        }
    }

    /// One fill's notional (`quantity × price`; its sign is ignored) and fee,
    /// for turnover and fees paid. Non-finite values are counted in
    /// `ignored_inputs` instead.
    #[inline]
    pub fn on_fill_notional(&mut self, notional: f64, fee: f64) {
        if !notional.is_finite() || !fee.is_finite() {
            self.ignored_inputs += 1;
            return;
        }
        self.traded_notional += notional.abs();
        self.fees_paid += fee;
    }

    /// Month-by-month returns so far (the last month possibly partial).
    pub fn monthly_returns(&self) -> Vec<MonthlyReturn> {
        self.monthly.rows()
    }

    /// The metrics of the run so far; formulas in the [`Metrics`] docs.
    pub fn metrics(&self) -> Metrics {
        let ppy = self.config.periods_per_year;
        let annualise = ppy.sqrt();
        let initial = self.initial_equity;
        let last = self.last_equity;
        let ratio = last / initial;
        let has_steps = self.steps > 0;
        let mean_equity = self.equity_sum / self.steps as f64;
        let n = self.returns.count();

        let total_return = finite((initial > 0.0).then_some(ratio - 1.0));
        let annual_return = finite(
            (initial > 0.0 && has_steps)
                .then(|| if last <= 0.0 { -1.0 } else { ratio.powf(ppy / self.steps as f64) - 1.0 }),
        );
        let std = self.returns.sample_std();
        let spread = std.filter(|s| *s > MIN_STEP_VOLATILITY);
        let excess = self.returns.mean() - self.rf_step;
        let sharpe_step = spread.map(|s| excess / s);
        let downside = (self.downside_sq / n as f64).sqrt();
        let sortino_step = (n >= 2 && downside > MIN_STEP_VOLATILITY).then(|| excess / downside);
        let skewness = spread.and(self.returns.skewness());
        let kurtosis = spread.and(self.returns.kurtosis());
        let max_drawdown = self.drawdown.max_drawdown();

        let t = &self.trades;
        let trades = t.count as f64;
        let has_trades = t.count > 0;

        Metrics {
            start: self.start,
            end: self.end,
            bars: self.steps,
            periods_per_year: ppy,
            risk_free_rate: self.config.risk_free_rate,
            initial_equity: initial,
            final_equity: last,
            total_return,
            annual_return,
            annual_volatility: finite(std.map(|s| s * annualise)),
            sharpe_ratio: finite(sharpe_step.map(|s| s * annualise)),
            sortino_ratio: finite(sortino_step.map(|s| s * annualise)),
            max_drawdown,
            max_drawdown_duration_bars: self.drawdown.longest_bars(),
            max_drawdown_duration_seconds: self.drawdown.longest_seconds(),
            calmar_ratio: finite(annual_return.filter(|_| max_drawdown > 0.0).map(|a| a / max_drawdown)),
            win_rate: finite(has_trades.then(|| t.wins as f64 / trades)),
            profit_factor: finite((t.losses > 0).then(|| t.gross_wins / -t.gross_losses)),
            total_trades: t.count,
            avg_trade_return: finite(has_trades.then(|| t.sum_return / trades)),
            best_trade_return: has_trades.then_some(t.best_return),
            worst_trade_return: has_trades.then_some(t.worst_return),
            avg_trade_pnl: finite(has_trades.then(|| t.sum_pnl / trades)),
            exposure_time: has_steps.then(|| self.exposed_steps as f64 / self.steps as f64),
            turnover: finite((has_steps && mean_equity > 0.0).then(|| self.traded_notional / mean_equity)),
            fees_paid: self.fees_paid,
            skewness: finite(skewness),
            kurtosis: finite(kurtosis),
            probabilistic_sharpe_ratio: finite(self.psr(sharpe_step, skewness, kurtosis)),
            psr_benchmark_sharpe: self.config.psr_benchmark_sharpe,
            sharpe_t_stat: finite(sharpe_step.map(|s| s * (n as f64).sqrt())),
            ignored_inputs: self.ignored_inputs,
        }
    }

    /// Bailey & López de Prado (2012), eq. 11, on per-step figures.
    fn psr(&self, sharpe_step: Option<f64>, skewness: Option<f64>, kurtosis: Option<f64>) -> Option<f64> {
        let (sr, g3, g4) = (sharpe_step?, skewness?, kurtosis?);
        let benchmark = self.config.psr_benchmark_sharpe / self.config.periods_per_year.sqrt();
        // Non-negative in exact arithmetic: γ₄ ≥ 1 + γ₃² makes it at least
        // (1 - γ₃·SR/2)². Zero (a two-point distribution with γ₃·SR = 2)
        // leaves the statistic undefined.
        let variance = 1.0 - g3 * sr + (g4 - 1.0) / 4.0 * sr * sr;
        (variance > 0.0).then(|| {
            let z = (sr - benchmark) * ((self.returns.count() - 1) as f64).sqrt() / variance.sqrt();
            Normal::standard().cdf(z)
        })
    }
}

/// Drops NaN and infinities, which JSON cannot carry and which only arise
/// from degenerate inputs (overflowing CAGR, an invalid config).
#[inline]
fn finite(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}
