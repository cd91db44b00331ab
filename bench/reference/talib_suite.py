"""TA-Lib's share of the issue-4 suite over 1,000,000 bars (min of runs), for
a same-minute comparison with `features/talib_suite_*`. Rolling skew and
kurtosis have no TA-Lib function and are left out (TA-Lib does less)."""
import time, sys
import numpy as np, talib
n = 1_000_000
rng = np.random.default_rng(0x5EED)
close = 100 * np.cumprod(1 + 0.004 * (rng.random(n) - 0.5))
open_ = np.concatenate([[100.0], close[:-1]])
high = np.maximum(open_, close) * (1 + 0.001 * rng.random(n))
low = np.minimum(open_, close) * (1 - 0.001 * rng.random(n))
vol = 1 + 1000 * rng.random(n)
ret = np.concatenate([[np.nan], close[1:] / close[:-1] - 1])
def suite():
    for p in (10, 20, 50, 200): talib.SMA(close, p)
    talib.EMA(close, 12); talib.EMA(close, 26)
    talib.MACD(close, 12, 26, 9)
    talib.ADX(high, low, close, 14); talib.PLUS_DI(high, low, close, 14); talib.MINUS_DI(high, low, close, 14)
    talib.RSI(close, 14)
    talib.STOCH(high, low, close, 14, 3, 0, 3, 0)
    talib.ROC(close, 10)
    talib.WILLR(high, low, close, 14)
    talib.BBANDS(close, 20, 2, 2)
    talib.ATR(high, low, close, 14)
    talib.OBV(close, vol)
    talib.STDDEV(ret, 20)
best = min((lambda t: (suite(), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 7))
print(f"TA-Lib suite (without rolling skew/kurtosis): {best*1e3:.1f} ms, {n/best/1e6:.2f} M bars/s (min of runs)")
