"""arch 8.0's GARCH(1,1) fits with ``rescale=True``, back in the original units.

``garch11.arch.json`` fits the percent returns as they are. On
``ORDERFLOW_BTC_USDT-5m`` (return variance ~0.02) arch warns "y is poorly
scaled" and its SLSQP stops at log-likelihood 9055.77, well short of the
maximum (~9172.4). With ``rescale=True`` arch multiplies the returns by 10,
fits, and reaches the maximum; this script maps that fit back
(mu / s, omega / s^2, log-likelihood + n ln s, next variance / s^2) and writes
``garch11.arch-rescaled.json`` with the same fields (plus ``scale``). For the
other two markets arch keeps scale 1 and the result equals
``garch11.arch.json``. (arch's SLSQP honours alpha + beta <= 1 only to its
tolerance: the rescaled ORDERFLOW fit has alpha + beta = 1 + 4e-6.)

Run from the repository root: python tests/golden/arch/garch11_rescaled.py
(needs arch==8.0.0, pandas).
"""

import json
import warnings

import numpy as np
import pandas as pd
from arch import arch_model

MARKETS = ["ETH_BTC-5m.csv", "UNITTEST_BTC-30m.csv", "ORDERFLOW_BTC_USDT-5m.csv"]

out = {}
for market in MARKETS:
    close = pd.read_csv(f"tests/data/{market}")["close"]
    r = (100 * close.pct_change().dropna()).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = arch_model(r, mean="Constant", vol="GARCH", p=1, q=1, dist="normal", rescale=True).fit(disp="off")
    s = float(res.scale)
    mu, omega, alpha, beta = (float(v) for v in res.params.to_numpy())
    out[market] = {
        "n_returns": int(r.shape[0]),
        "scale": s,
        "mu": mu / s,
        "omega": omega / s**2,
        "alpha": alpha,
        "beta": beta,
        "loglikelihood": float(res.loglikelihood + r.shape[0] * np.log(s)),
        "next_variance": float(res.forecast(horizon=1).variance.to_numpy()[-1, 0] / s**2),
    }

with open("tests/golden/arch/garch11.arch-rescaled.json", "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
