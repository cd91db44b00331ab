"""Reference SMAs from pandas `rolling(n).mean()` (what backtesting.py's
Quick-Start uses), written with repr() so every bit survives.

    /work/venv-bt/bin/python tests/reference/pandas_sma.py tests/data/ETH_BTC-5m.csv tests/golden/pandas/ETH_BTC-5m.sma.csv
"""
import sys

import pandas as pd

src, dst = sys.argv[1], sys.argv[2]
df = pd.read_csv(src)
close = df["close"].astype(float)
out = pd.DataFrame({"timestamp": df["timestamp"]})
for n in (10, 20, 50):
    out[f"sma_{n}"] = [repr(v) if v == v else "" for v in close.rolling(n).mean()]
out.to_csv(dst, index=False)
