//! [`Metrics`]: the performance figures of a run, as written to
//! `metrics.json` (schema and formulas also in `METRICS.md`).
//!
//! All rates are fractions (`0.12` = 12 %). A value that is undefined for the
//! run — no trades, fewer than two returns, zero volatility, a ratio whose
//! denominator is zero, a result that overflows `f64` — is `None` and
//! serialises as `null`; no field is ever NaN or infinite.
//!
//! # Definitions
//!
//! With `E₀` the initial equity, `E₁ … E_N` the equity after each of the `N`
//! steps, `rᵢ = Eᵢ / Eᵢ₋₁ - 1` the per-step simple returns (`n` of them: one
//! per step whose previous equity is positive, so `n = N` unless the account
//! was wiped out), `ppy` the periods per year and `rf` the annual risk-free
//! rate:
//!
//! | metric | formula |
//! |---|---|
//! | `total_return` | `E_N / E₀ - 1` |
//! | `annual_return` | CAGR `(E_N / E₀)^(ppy / N) - 1`; `-1` when `E_N <= 0` |
//! | `annual_volatility` | `s · √ppy`, `s` the sample (n − 1) standard deviation of `r` |
//! | `rf_step` | `(1 + rf)^(1 / ppy) - 1` |
//! | `sharpe_ratio` | `(mean(r) - rf_step) / s · √ppy` |
//! | `sortino_ratio` | `(mean(r) - rf_step) / DD · √ppy`, `DD = √(Σ min(0, rᵢ - rf_step)² / n)` over all steps |
//! | `max_drawdown` | `max (peak - Eᵢ) / peak` over steps, peak the running maximum of `E₀ … Eᵢ` |
//! | `max_drawdown_duration_*` | longest span from a peak to the first step back at or above it, or to the last step if never |
//! | `calmar_ratio` | `annual_return / max_drawdown` |
//! | `win_rate` | trades with `pnl > 0` / trades |
//! | `profit_factor` | `Σ pnl⁺ / |Σ pnl⁻|` |
//! | trade returns | `pnl / (entry_price · quantity)` ([`TradeRecord::return_fraction`](tradebot_portfolio::TradeRecord::return_fraction)) |
//! | `exposure_time` | steps with an open position / `N` |
//! | `turnover` | `Σ |fill notional| / mean(E₁ … E_N)` |
//! | `skewness` | `(M3/n) / (M2/n)^1.5`, `M_k = Σ (rᵢ - mean)^k` |
//! | `kurtosis` | `(M4/n) / (M2/n)²` (not excess: normal = 3) |
//! | `probabilistic_sharpe_ratio` | `Φ((SR - SR*) √(n-1) / √(1 - γ₃ SR + (γ₄ - 1)/4 · SR²))`, per-step `SR = (mean - rf_step)/s`, `SR* = psr_benchmark_sharpe / √ppy` |
//! | `sharpe_t_stat` | `SR · √n`, the t statistic of the mean excess return |
//!
//! Sharpe, Sortino, skewness, kurtosis, PSR and the t statistic need `n >= 2`
//! and a spread above [`MIN_STEP_VOLATILITY`](crate::MIN_STEP_VOLATILITY).

use serde::{Deserialize, Serialize};
use tradebot_core::Timestamp;

/// The metrics of a run so far. Field order is the JSON key order.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Time of the first step (`null` before any).
    pub start: Option<Timestamp>,
    /// Time of the last step.
    pub end: Option<Timestamp>,
    /// Number of steps (equity samples) accepted.
    pub bars: u64,
    pub periods_per_year: f64,
    /// Annual, as configured.
    pub risk_free_rate: f64,
    pub initial_equity: f64,
    /// Equity at the last step (the initial equity before any).
    pub final_equity: f64,
    pub total_return: Option<f64>,
    /// Compound annual growth rate.
    pub annual_return: Option<f64>,
    pub annual_volatility: Option<f64>,
    pub sharpe_ratio: Option<f64>,
    pub sortino_ratio: Option<f64>,
    /// Positive fraction of the peak; 0 when equity never fell.
    pub max_drawdown: f64,
    pub max_drawdown_duration_bars: u64,
    pub max_drawdown_duration_seconds: f64,
    pub calmar_ratio: Option<f64>,
    pub win_rate: Option<f64>,
    pub profit_factor: Option<f64>,
    pub total_trades: u64,
    pub avg_trade_return: Option<f64>,
    pub best_trade_return: Option<f64>,
    pub worst_trade_return: Option<f64>,
    pub avg_trade_pnl: Option<f64>,
    /// Fraction of steps with an open position.
    pub exposure_time: Option<f64>,
    /// Traded notional over average equity (2.0 = the account's size bought
    /// and sold once).
    pub turnover: Option<f64>,
    pub fees_paid: f64,
    /// Of the per-step returns.
    pub skewness: Option<f64>,
    /// Of the per-step returns, not excess (normal = 3).
    pub kurtosis: Option<f64>,
    /// Probability that the true Sharpe ratio exceeds `psr_benchmark_sharpe`.
    pub probabilistic_sharpe_ratio: Option<f64>,
    /// Annualised, as configured.
    pub psr_benchmark_sharpe: f64,
    pub sharpe_t_stat: Option<f64>,
    /// Inputs refused as not finite or out of time order (equity samples,
    /// trades, fills); 0 in a healthy run.
    pub ignored_inputs: u64,
}
