"""Reference values for the `stats2` statistical features of tradebot-features
(engine/crates/features/src/stats/{percentile,autocorr,hurst,realized,garch,
sharpe,drawdown,trend}.rs), from independent, widely used implementations:
pandas, numpy, scipy, statsmodels and arch. Floats are written with repr()
so every bit survives; an empty cell means the reference is undefined there.

    python3 -m venv /work/venv-feat-stats2
    /work/venv-feat-stats2/bin/pip install numpy pandas scipy statsmodels arch
    /work/venv-feat-stats2/bin/python tests/reference/features/stats2.py

writes tests/golden/features/{ETH_BTC-5m,LTC_BTC-5m}.stats2.csv. Versions used:
numpy 2.4.6, pandas 3.1.1, scipy 1.17.1, statsmodels 0.15.0, arch 8.0.0.

Column definitions (ret = close / close[t-1] - 1, one-bar simple return):
  prank_50          pandas close.rolling(50).rank(pct=True) (average rank of the
                    current close among the last 50 closes, divided by 50)
  qNN_50            pandas close.rolling(50).quantile(NN/100) (linear interpolation)
  acfK_100          statsmodels acf(ret window of 100, nlags=10, adjusted=False,
                    fft=False)[K]: the standard sample autocorrelation (common mean,
                    lagged cross-products over n-K pairs divided by the sum of
                    squares over all n)
  pacfK_100         statsmodels pacf(same window, nlags=10, method="ldb")[K]
                    (Durbin-Levinson on those ACFs)
  hurst_128_8       rescaled-range Hurst exponent of the last 128 returns, numpy
                    implementation of the estimator documented in hurst.rs
                    (function `hurst_rs` below)
  rv_N              sqrt(sum of the last N squared log returns ln(c_t / c_{t-1}))
                    (pandas rolling sum)
  gk_20             Garman-Klass: sqrt(mean over 20 bars of
                    0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2) (pandas rolling mean)
  garch_var         arch 8.0 ConstantMean + GARCH(1,1), normal, parameters fixed
                    (res = model.fix([mu, omega, alpha, beta])), res.conditional_volatility**2
                    with r_t = 100 ret_t at the bar of r_t; parameters are the
                    ETH_BTC-5m fit of ../shared/golden/garch11.arch.json for
                    both markets. Defined from the bar of the 75th return (the
                    streaming filter needs the backcast window first). Note:
                    arch's backcast takes residuals about the full-sample mean
                    of the returns (its starting values), the Rust filter about
                    the given mu, so the paths agree to 1e-9 only once the start
                    has decayed (beta^t); the Rust test checks from row 300.
  garch_next_var    omega + alpha (r_t - mu)^2 + beta garch_var_t (arch's one-step
                    forecast at each bar; at the last bar equal to
                    res.forecast(horizon=1))
  sharpe_20         ret.rolling(20).mean() / ret.rolling(20).std() (ddof 1, not
                    annualised; empty when the std is 0)
  drawdown          close / close.cummax() - 1
  trend_slope_20,
  trend_r2_20       scipy.stats.linregress(arange(20), last 20 closes): slope and
                    rvalue**2 (R2 empty for a flat window)
"""
import json
import pathlib

import numpy as np
import pandas as pd
from arch import arch_model
from scipy import stats
from statsmodels.tsa.stattools import acf, pacf

ROOT = pathlib.Path(__file__).resolve().parents[3]
GARCH = json.loads(pathlib.Path("/work/shared/golden/garch11.arch.json").read_text())["ETH_BTC-5m.csv"]
LAGS = 10


def hurst_rs(x, min_size):
    """R/S Hurst exponent of the window x (see hurst.rs): sizes s = min_size *
    2^j <= len(x); for each s the last floor(n / s) * s values are cut into
    consecutive chunks of s; per chunk R = max - min of the cumulative sums of
    the mean-adjusted chunk, S = population std; chunks with S == 0 are
    skipped; RS(s) = mean of R / S over the rest. H = OLS slope of ln RS(s) on
    ln s over the sizes that have a valid chunk (NaN if fewer than 2)."""
    n = len(x)
    xs, ys = [], []
    s = min_size
    while s <= n:
        k = n // s
        seg = x[n - k * s:].reshape(k, s)
        rs = []
        for c in seg:
            d = c - c.mean()
            y = np.cumsum(d)
            sd = np.sqrt(np.mean(d * d))
            if sd > 0:
                rs.append((y.max() - y.min()) / sd)
        if rs:
            xs.append(np.log(s))
            ys.append(np.log(np.mean(rs)))
        s *= 2
    if len(xs) < 2:
        return np.nan
    return np.polyfit(xs, ys, 1)[0]


def cell(v):
    return repr(float(v)) if np.isfinite(v) else ""


def run(market):
    df = pd.read_csv(ROOT / "tests/data" / f"{market}.csv")
    o, h, l, c = (df[k].astype(float) for k in ("open", "high", "low", "close"))
    n = len(df)
    ret = c / c.shift(1) - 1.0
    cols = {"timestamp": df["timestamp"]}

    cols["prank_50"] = c.rolling(50).rank(pct=True)
    for q in (10, 25, 50, 75, 90):
        cols[f"q{q}_50"] = c.rolling(50).quantile(q / 100)

    w = 100
    acfs = np.full((n, LAGS + 1), np.nan)
    pacfs = np.full((n, LAGS + 1), np.nan)
    r = ret.to_numpy()
    for t in range(w, n):
        win = r[t - w + 1:t + 1]
        if np.all(win == win[0]):
            continue
        acfs[t] = acf(win, nlags=LAGS, adjusted=False, fft=False)
        pacfs[t] = pacf(win, nlags=LAGS, method="ldb")
    for k in range(1, LAGS + 1):
        cols[f"acf{k}_100"] = acfs[:, k]
    for k in range(1, LAGS + 1):
        cols[f"pacf{k}_100"] = pacfs[:, k]

    hw = 128
    hv = np.full(n, np.nan)
    for t in range(hw, n):
        hv[t] = hurst_rs(r[t - hw + 1:t + 1], 8)
    cols["hurst_128_8"] = hv

    lr2 = np.log(c / c.shift(1)) ** 2
    for win in (10, 30, 100):
        cols[f"rv_{win}"] = np.sqrt(lr2.rolling(win).sum())
    gk = 0.5 * np.log(h / l) ** 2 - (2 * np.log(2) - 1) * np.log(c / o) ** 2
    cols["gk_20"] = np.sqrt(gk.rolling(20).mean())

    pr = 100.0 * ret.iloc[1:]
    model = arch_model(pr.to_numpy(), mean="Constant", vol="GARCH", p=1, q=1, dist="normal", rescale=False)
    res = model.fix([GARCH["mu"], GARCH["omega"], GARCH["alpha"], GARCH["beta"]])
    var = np.asarray(res.conditional_volatility) ** 2
    resid = pr.to_numpy() - GARCH["mu"]
    nxt = GARCH["omega"] + GARCH["alpha"] * resid**2 + GARCH["beta"] * var
    fc = float(res.forecast(horizon=1, reindex=False).variance.iloc[-1, 0])
    assert abs(fc - nxt[-1]) <= 1e-12 * fc, (fc, nxt[-1])
    gv = np.full(n, np.nan)
    gn = np.full(n, np.nan)
    gv[1:] = var
    gn[1:] = nxt
    gv[:75] = np.nan
    gn[:75] = np.nan
    cols["garch_var"] = gv
    cols["garch_next_var"] = gn

    sh = ret.rolling(20).mean() / ret.rolling(20).std()
    cols["sharpe_20"] = sh
    cols["drawdown"] = c / c.cummax() - 1.0

    tw = 20
    slope = np.full(n, np.nan)
    r2 = np.full(n, np.nan)
    cv = c.to_numpy()
    xs = np.arange(tw, dtype=float)
    for t in range(tw - 1, n):
        y = cv[t - tw + 1:t + 1]
        if np.all(y == y[0]):
            slope[t] = 0.0
            continue
        lr = stats.linregress(xs, y)
        slope[t] = lr.slope
        r2[t] = lr.rvalue**2
    cols["trend_slope_20"] = slope
    cols["trend_r2_20"] = r2

    out = pd.DataFrame({k: (v if k == "timestamp" else [cell(x) for x in np.asarray(v, dtype=float)])
                        for k, v in cols.items()})
    out.to_csv(ROOT / "tests/golden/features" / f"{market}.stats2.csv", index=False)
    print(market, "garch next_variance", repr(fc))


if __name__ == "__main__":
    # The fitted parameters' own check: arch's forecast after the last bar of
    # ETH_BTC-5m must reproduce the file's next_variance.
    for m in ("ETH_BTC-5m", "LTC_BTC-5m"):
        run(m)
    print("garch11.arch.json next_variance", repr(GARCH["next_variance"]))
