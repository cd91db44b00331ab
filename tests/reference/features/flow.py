"""Reference values for the `flow` features of tradebot-features
(engine/crates/features/src/flow/), computed independently with pandas,
numpy and statsmodels on the bundled real data in tests/data.

Run:  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy pandas scipy statsmodels
      /tmp/venv/bin/python tests/reference/features/flow.py
Writes tests/golden/features/<market>.flow.csv (floats as repr(), empty cells
where the value is undefined). The definitions are the ones documented in the
Rust modules; nothing here is shared with the Rust code.
"""

import math
import os

import numpy as np
import pandas as pd
from statsmodels.regression.rolling import RollingOLS

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DATA = os.path.join(ROOT, "tests", "data")
OUT = os.path.join(ROOT, "tests", "golden", "features")

# Candle feature parameters (Rust test uses the same).
KC_EMA, KC_ATR, KC_MULT = 20, 10, 2.0
VWAP_N = 20
VP_WINDOW, VP_BINS, VP_AREA = 48, 24, 0.7

# Trade feature parameters per market: (file, bar interval, size unit,
# large window, large mult, bar window, roll window).
TRADES = [
    ("XRP_ETH", "XRP_ETH-trades.csv", "5min", 1.0, 100, 5.0, 20, 100),
    ("ORDERFLOW_ETH_USDT", "ORDERFLOW_ETH_USDT-trades.csv", "10s", 0.001, 50, 5.0, 5, 50),
    ("KRAKEN_BCH_EUR", "KRAKEN_BCH_EUR-trades.csv", "1h", 0.01, 50, 5.0, 5, 50),
]
SIZE_BUCKETS = 8


def fmt(x):
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    return "" if math.isnan(x) else repr(x)


def write(path, columns):
    names = list(columns)
    n = len(columns[names[0]])
    with open(path, "w") as f:
        f.write(",".join(names) + "\n")
        for i in range(n):
            f.write(",".join(fmt(columns[c][i]) for c in names) + "\n")


def seeded_ewm(x, period, alpha):
    """EMA seeded with the mean of the first `period` values (TA-Lib style):
    pandas ewm(adjust=False) started from that mean at index period-1."""
    x = pd.Series(x, dtype=float)
    first = x.first_valid_index()
    s = x.copy()
    s[:] = np.nan
    seed_at = first + period - 1
    s.iloc[seed_at] = x.iloc[first : seed_at + 1].mean()
    s.iloc[seed_at + 1 :] = x.iloc[seed_at + 1 :]
    return s.ewm(alpha=alpha, adjust=False).mean()


def profile(tp, vol, high, low):
    n = len(tp)
    poc, vah, val = (np.full(n, np.nan) for _ in range(3))
    for t in range(VP_WINDOW - 1, n):
        sl = slice(t - VP_WINDOW + 1, t + 1)
        lo, hi = float(low[sl].min()), float(high[sl].max())
        bins = [0.0] * VP_BINS
        total = 0.0
        for p, v in zip(tp[sl], vol[sl]):
            i = min(int(math.floor((p - lo) / (hi - lo) * VP_BINS)), VP_BINS - 1) if hi > lo else 0
            bins[i] += v
            total += v
        if not total > 0:
            continue
        if hi <= lo:
            poc[t] = vah[t] = val[t] = lo
            continue
        p = int(np.argmax(bins))  # first maximum
        target = VP_AREA * total
        a, b, acc = p, p, bins[p]
        while acc < target:
            up = bins[b + 1] if b + 1 < VP_BINS else None
            down = bins[a - 1] if a > 0 else None
            if up is None and down is None:
                break
            if up is not None and (down is None or up >= down):
                b += 1
                acc += up
            else:
                a -= 1
                acc += down
        w = (hi - lo) / VP_BINS
        poc[t], vah[t], val[t] = lo + (p + 0.5) * w, lo + (b + 1) * w, lo + a * w
    return poc, vah, val


def candles(market):
    df = pd.read_csv(os.path.join(DATA, f"{market}-5m.csv"))
    o, h, l, c, v = (df[k].astype(float) for k in ("open", "high", "low", "close", "volume"))
    prev = c.shift(1)
    tr = pd.concat([h - l, (h - prev).abs(), (l - prev).abs()], axis=1).max(axis=1, skipna=False)
    atr = seeded_ewm(tr, KC_ATR, 1.0 / KC_ATR)
    mid = seeded_ewm(c, KC_EMA, 2.0 / (KC_EMA + 1))
    ok = mid.notna() & atr.notna()
    mid = mid.where(ok)
    tp = (h + l + c) / 3.0
    pv = tp * v
    vwap = pv.rolling(VWAP_N).sum() / v.rolling(VWAP_N).sum()
    day = pd.to_datetime(df["timestamp"], utc=True).dt.floor("D")
    svwap = pv.groupby(day).cumsum() / v.groupby(day).cumsum()
    svwap = svwap.where(v.groupby(day).cumsum() > 0)
    sign = np.sign(c.diff()).replace(0.0, np.nan).ffill().fillna(0.0)
    cvd = (sign * v).iloc[1:].cumsum().reindex(c.index)
    poc, vah, val = profile(tp.to_numpy(), v.to_numpy(), h.to_numpy(), l.to_numpy())
    write(
        os.path.join(OUT, f"{market}-5m.flow.csv"),
        {
            "timestamp": df["timestamp"].tolist(),
            "kc_upper": (mid + KC_MULT * atr).tolist(),
            "kc_middle": mid.tolist(),
            "kc_lower": (mid - KC_MULT * atr).tolist(),
            "vwap_20": vwap.tolist(),
            "vwap_session": svwap.tolist(),
            "vp_poc": poc.tolist(),
            "vp_vah": vah.tolist(),
            "vp_val": val.tolist(),
            "cvd_tick": cvd.tolist(),
        },
    )


def trades(name, file, interval, unit, large_w, large_mult, bar_w, roll_w):
    df = pd.read_csv(os.path.join(DATA, file))
    df["time"] = pd.to_datetime(df["timestamp"], utc=True)
    p, a = df["price"].astype(float), df["amount"].astype(float)
    # Tick rule on trade prices; zero ticks keep the previous sign.
    tick = np.sign(p.diff()).replace(0.0, np.nan).ffill().fillna(0.0)
    if "side" in df:
        side = df["side"].map({"buy": 1.0, "sell": -1.0})
        compared = tick != 0
        agree = compared & (tick == side)
    else:
        side = tick
        compared = agree = pd.Series(False, index=df.index)
    edges = [unit * 10.0**k for k in range(SIZE_BUCKETS)]
    bucket = sum((a >= e).astype(int) for e in edges[1:])
    prev_mean = a.shift(1).rolling(large_w).mean()
    large = (a > large_mult * prev_mean).astype(float).where(prev_mean.notna())
    dp = p.diff()
    roll_cov = dp.shift(1).rolling(roll_w).cov(dp)
    bar = df["time"].dt.floor(interval)
    g = pd.DataFrame(
        {
            "bar": bar, "p": p, "a": a, "qa": p * a,
            "buy": a.where(side > 0, 0.0), "sell": a.where(side < 0, 0.0),
            "cmp": compared.astype(int), "agr": agree.astype(int),
            "large": large, "roll": roll_cov,
        }
    ).groupby("bar", sort=True)
    out = pd.DataFrame(
        {
            "open": g["p"].first(), "high": g["p"].max(), "low": g["p"].min(), "close": g["p"].last(),
            "count": g["a"].size(), "volume": g["a"].sum(), "quote_volume": g["qa"].sum(),
            "buy_volume": g["buy"].sum(), "sell_volume": g["sell"].sum(),
            "max_size": g["a"].max(),
            # NaN if any trade in the bar had no full size history.
            "large_count": g["large"].sum(min_count=1).where(g["large"].count() == g["a"].size()),
            "tick_compared": g["cmp"].sum(), "tick_agree": g["agr"].sum(),
            "roll_cov": g["roll"].last(),
        }
    )
    out["mean_size"] = out["volume"] / out["count"]
    hist = pd.crosstab(bar, bucket).reindex(columns=range(SIZE_BUCKETS), fill_value=0)
    delta = out["buy_volume"] - out["sell_volume"]
    classified = out["buy_volume"] + out["sell_volume"]
    out["imbalance"] = (delta / classified).where(classified > 0)
    out["cvd"] = delta.cumsum()
    ret = out["close"] / out["close"].shift(1) - 1.0
    out["amihud"] = (ret.abs() / out["quote_volume"]).rolling(bar_w).mean()
    dclose = out["close"].diff()
    X = np.column_stack([np.ones(len(out) - 1), delta.to_numpy()[1:]])
    fit = RollingOLS(dclose.to_numpy()[1:], X, window=bar_w).fit()
    out["kyle_lambda"] = np.concatenate([[np.nan], fit.params[:, 1]])
    rc = out["roll_cov"]
    out["roll_spread"] = np.where(rc.isna(), np.nan, np.where(rc < 0, 2.0 * np.sqrt(-rc.clip(upper=0)), 0.0))
    cols = {"open_time": [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in out.index]}
    for k in ["open", "high", "low", "close", "count", "volume", "quote_volume", "buy_volume", "sell_volume",
              "mean_size", "max_size"]:
        cols[k] = out[k].tolist()
    for k in range(SIZE_BUCKETS):
        cols[f"size_hist_{k}"] = hist[k].reindex(out.index).astype(int).tolist()
    for k in ["large_count", "imbalance", "cvd", "tick_compared", "tick_agree", "amihud", "kyle_lambda",
              "roll_spread"]:
        cols[k] = out[k].tolist()
    write(os.path.join(OUT, f"{name}-trades-{interval.replace('min', 'm')}.flow.csv"), cols)
    if "side" in df:
        c, ag = int(compared.sum()), int(agree.sum())
        print(f"{name}: tick rule agrees with the exchange side on {ag}/{c} = {ag / c:.4f} of classified trades")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for m in ["ETH_BTC", "LTC_BTC"]:
        candles(m)
    for t in TRADES:
        trades(*t)
