"""Independent reference values for tests/reference.rs.

Run with numpy, scipy and pandas (a venv outside the repository):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scipy pandas
    /tmp/venv/bin/python engine/crates/analytics/tests/reference.py

It rebuilds the three equity series of reference.rs with the same integer
LCG and the same float operations (so the series are bit-identical), computes
every metric with numpy / scipy / pandas, and prints Rust tables that are
pasted into reference.rs.
"""

import math

import numpy as np
import pandas as pd
from scipy import stats

NS = 1_000_000_000


def lcg(seed):
    """Numerical Recipes' 32-bit LCG; u in [0, 1) exactly representable."""
    x = seed
    while True:
        x = (1664525 * x + 1013904223) % 2**32
        yield x / 2**32


def series_daily_crypto():
    g = lcg(42)
    t0 = pd.Timestamp("2024-01-01T00:00:00Z").value
    e, times, eq, exposed = 10_000.0, [], [], []
    for k in range(500):
        u1, u2 = next(g), next(g)
        crash = 0.08 if u2 < 0.04 else 0.0
        r = 0.001 + 0.04 * (u1 - 0.5) - crash
        e = e * (1.0 + r)
        times.append(t0 + k * 86_400 * NS)
        eq.append(e)
        exposed.append(k % 3 != 0)
    trades = [(100.0, 10.0, 50.0), (100.0, 5.0, -20.0), (200.0, 2.0, 0.0),
              (50.0, 40.0, 120.0), (80.0, 10.0, -60.0), (120.0, 3.0, 15.5)]
    fills = [(p * q, p * q * 0.001) for (p, q, _) in trades for _ in range(2)]
    cfg = dict(risk_free_rate=0.03, periods_per_year=365.0, psr_benchmark_sharpe=1.0)
    return dict(initial=10_000.0, times=times, eq=eq, exposed=exposed, trades=trades, fills=fills, cfg=cfg)


def series_tiny():
    t0 = pd.Timestamp("2024-03-29T00:00:00Z").value
    eq = [110.0, 99.0, 99.0, 121.0, 110.0]
    times = [t0 + k * 86_400 * NS for k in range(len(eq))]
    exposed = [True, True, False, True, False]
    trades = [(100.0, 1.0, 5.0), (100.0, 1.0, -2.0), (100.0, 1.0, 0.0)]
    fills = [(100.0, 0.1), (105.0, 0.1)]
    cfg = dict(risk_free_rate=0.0, periods_per_year=365.0, psr_benchmark_sharpe=0.0)
    return dict(initial=100.0, times=times, eq=eq, exposed=exposed, trades=trades, fills=fills, cfg=cfg)


def series_equities_hourly():
    g = lcg(7)
    t0 = pd.Timestamp("2024-01-02T14:30:00Z").value
    e, times, eq, exposed = 50_000.0, [], [], []
    for k in range(300):
        u1, u2 = next(g), next(g)
        drift = 0.003 if k < 120 else -0.002
        r = drift + 0.01 * (u1 - 0.5)
        e = e * (1.0 + r)
        times.append(t0 + (k // 7) * 86_400 * NS + (k % 7) * 3_600 * NS)
        eq.append(e)
        exposed.append(u2 < 0.6)
    cfg = dict(risk_free_rate=0.05, periods_per_year=252 * 6.5, psr_benchmark_sharpe=0.5)
    return dict(initial=50_000.0, times=times, eq=eq, exposed=exposed, trades=[], fills=[], cfg=cfg)


def drawdown_durations(full, times):
    """Longest peak-to-recovery span; index 0 (initial equity) dated at the first step."""
    dates = [times[0]] + list(times)
    under = full < np.maximum.accumulate(full)
    best_bars, best_ns, i, last = 0, 0, 1, len(full) - 1
    while i <= last:
        if under[i]:
            a = i
            while i <= last and under[i]:
                i += 1
            peak = a - 1
            end = i if i <= last else last
            best_bars = max(best_bars, end - peak)
            best_ns = max(best_ns, dates[end] - dates[peak])
        else:
            i += 1
    return best_bars, best_ns / NS


def metrics(s):
    cfg = s["cfg"]
    ppy, rf = cfg["periods_per_year"], cfg["risk_free_rate"]
    full = np.array([s["initial"]] + s["eq"])
    r = pd.Series(full).pct_change().dropna().to_numpy()
    n, N = len(r), len(s["eq"])
    rf_step = (1 + rf) ** (1 / ppy) - 1
    std = np.std(r, ddof=1)
    mean = np.mean(r)
    downside = np.sqrt(np.mean(np.minimum(0.0, r - rf_step) ** 2))
    skew = stats.skew(r, bias=True)
    kurt = stats.kurtosis(r, fisher=False, bias=True)
    sr = (mean - rf_step) / std
    sr_star = cfg["psr_benchmark_sharpe"] / math.sqrt(ppy)
    psr = stats.norm.cdf((sr - sr_star) * math.sqrt(n - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2))
    dd = 1 - full / np.maximum.accumulate(full)
    mdd = dd.max()
    bars, secs = drawdown_durations(full, s["times"])
    cagr = (full[-1] / full[0]) ** (ppy / N) - 1
    pnl = np.array([t[2] for t in s["trades"]])
    rets = np.array([t[2] / (t[0] * t[1]) for t in s["trades"]])
    has = len(pnl) > 0
    losses = pnl[pnl < 0]
    notional = sum(abs(f[0]) for f in s["fills"])
    return [
        ("bars", N),
        ("initial_equity", full[0]),
        ("final_equity", full[-1]),
        ("total_return", full[-1] / full[0] - 1),
        ("annual_return", cagr),
        ("annual_volatility", std * math.sqrt(ppy)),
        ("sharpe_ratio", sr * math.sqrt(ppy)),
        ("sortino_ratio", (mean - rf_step) / downside * math.sqrt(ppy)),
        ("max_drawdown", mdd),
        ("max_drawdown_duration_bars", bars),
        ("max_drawdown_duration_seconds", secs),
        ("calmar_ratio", cagr / mdd if mdd > 0 else None),
        ("win_rate", float(np.mean(pnl > 0)) if has else None),
        ("profit_factor", pnl[pnl > 0].sum() / -losses.sum() if len(losses) else None),
        ("total_trades", len(pnl)),
        ("avg_trade_return", rets.mean() if has else None),
        ("best_trade_return", rets.max() if has else None),
        ("worst_trade_return", rets.min() if has else None),
        ("avg_trade_pnl", pnl.mean() if has else None),
        ("exposure_time", float(np.mean(s["exposed"]))),
        ("turnover", notional / np.mean(full[1:])),
        ("fees_paid", sum(f[1] for f in s["fills"])),
        ("skewness", skew),
        ("kurtosis", kurt),
        ("probabilistic_sharpe_ratio", psr),
        ("sharpe_t_stat", sr * math.sqrt(n)),
    ]


def monthly(s):
    idx = pd.to_datetime(s["times"], utc=True)
    month_end = pd.Series(s["eq"], index=idx).resample("ME").last().dropna()
    prev = month_end.shift(1).fillna(s["initial"])
    return [(d.year, d.month, float(v)) for d, v in (month_end / prev - 1).items()]


def rust_value(v):
    if v is None:
        return "None"
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return f"Some({int(v)}.0)"
    return f"Some({float(v)!r})"


for name, build in [("DAILY_CRYPTO", series_daily_crypto), ("TINY", series_tiny),
                    ("EQUITIES_HOURLY", series_equities_hourly)]:
    s = build()
    print(f"const {name}: &[(&str, Option<f64>)] = &[")
    for k, v in metrics(s):
        print(f"    (\"{k}\", {rust_value(v)}),")
    print("];")
    print(f"const {name}_MONTHLY: &[(i32, u8, f64)] = &[")
    for y, m, v in monthly(s):
        print(f"    ({y}, {m}, {v!r}),")
    print("];")
