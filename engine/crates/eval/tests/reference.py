"""Reference values for tradebot-eval's tests (tests/reference.json).

Run with numpy, scipy, scikit-learn, statsmodels and pandas installed:

    python3 -m venv /tmp/venv-eval
    /tmp/venv-eval/bin/pip install numpy scipy scikit-learn statsmodels pandas
    /tmp/venv-eval/bin/python engine/crates/eval/tests/reference.py

Made with numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1, statsmodels 0.15.0,
pandas 3.1.1. Every input is generated here from a fixed seed and written to
the JSON next to the values, so the Rust tests never call Python.

Where each value comes from:
* classification: sklearn.metrics accuracy_score, balanced_accuracy_score,
  log_loss, confusion_matrix, calibration.calibration_curve (on "was the
  argmax right" vs the max probability); the multi-class Brier score and the
  ECE from their definitions (numpy);
* binomial test: scipy.stats.binomtest(k, n, p0, alternative="greater");
* Diebold-Mariano: there is no canonical Python DM. For h = 1 the
  HLN-corrected DM statistic equals the one-sample t-statistic of the loss
  differential, so scipy.stats.ttest_1samp is the reference; for h = 3 the
  statistic is built from the Harvey-Leybourne-Newbold (1997) formulas with
  statsmodels' acovf autocovariances and scipy's Student-t;
* logit: sklearn LogisticRegression(C, solver="newton-cholesky"; the same
  objective as solver="lbfgs", solved more tightly) on lagged returns
  standardised with the training mean and (population) std;
* HAR: statsmodels OLS; EWMA: pandas ewm(alpha=1-lambda, adjust=False).
"""

import json
import pathlib

import numpy as np
import pandas as pd
import scipy
import sklearn
import statsmodels
import statsmodels.api as sm
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    log_loss,
)
from statsmodels.tsa.stattools import acovf

rng = np.random.default_rng(20260501)
out = {
    "versions": {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "statsmodels": statsmodels.__version__,
        "pandas": pd.__version__,
    }
}


def probs_rows(n, concentration):
    p = rng.dirichlet(concentration, size=n)
    # Round for a compact JSON; the last column closes the row to sum 1.
    p[:, :2] = np.round(p[:, :2], 6)
    p[:, 2] = 1.0 - p[:, 0] - p[:, 1]
    assert (p >= 0).all()
    return p


# --- classification -------------------------------------------------------
n = 300
labels = rng.choice(3, size=n, p=[0.35, 0.25, 0.40])
model = probs_rows(n, [2.0, 1.5, 2.5])
# Nudge half the forecasts towards the truth so the metrics are not all chance.
nudge = (rng.random(n) < 0.5)[:, None]
model = np.where(nudge, 0.7 * model + 0.3 * np.eye(3)[labels], model)
model[:, :2] = np.round(model[:, :2], 6)
model[:, 2] = 1.0 - model[:, 0] - model[:, 1]
baseline = probs_rows(n, [3.0, 3.0, 3.0])

pred = model.argmax(axis=1)
conf = model.max(axis=1)
correct = (pred == labels).astype(int)
prob_true, prob_pred = calibration_curve(correct, conf, n_bins=10, strategy="uniform")
bin_ids = np.minimum((conf * 10).astype(int), 9)
counts = np.bincount(bin_ids, minlength=10)
ece = sum(
    counts[b] / n * abs(correct[bin_ids == b].mean() - conf[bin_ids == b].mean()) for b in range(10) if counts[b]
)
onehot = np.eye(3)[labels]
out["classification"] = {
    "labels": labels.tolist(),
    "model": model.tolist(),
    "baseline": baseline.tolist(),
    "accuracy": accuracy_score(labels, pred),
    "balanced_accuracy": balanced_accuracy_score(labels, pred),
    "log_loss": log_loss(labels, model, labels=[0, 1, 2]),
    "brier": float(((model - onehot) ** 2).sum(axis=1).mean()),
    "confusion": confusion_matrix(labels, pred, labels=[0, 1, 2]).tolist(),
    "calibration_accuracy": prob_true.tolist(),
    "calibration_confidence": prob_pred.tolist(),
    "calibration_counts": counts.tolist(),
    "ece": float(ece),
    "baseline_log_loss": log_loss(labels, baseline, labels=[0, 1, 2]),
}

# --- binomial test --------------------------------------------------------
cases = [(0, 10, 0.5), (7, 10, 0.5), (60, 100, 0.5), (156, 300, 0.48), (520, 1000, 0.5), (30, 40, 0.2), (5, 5000, 0.01), (900, 1000, 0.7)]
out["binomial"] = [
    {"k": k, "n": m, "p0": p0, "p_value": stats.binomtest(k, m, p0, alternative="greater").pvalue} for k, m, p0 in cases
]


# --- Diebold-Mariano ------------------------------------------------------
def hln_dm(d, h):
    m = len(d)
    gamma = acovf(d, demean=True, fft=False, nlag=h - 1)
    v = (gamma[0] + 2 * gamma[1:h].sum()) / m
    dm = d.mean() / np.sqrt(v) * np.sqrt((m + 1 - 2 * h + h * (h - 1) / m) / m)
    return dm, stats.t.cdf(dm, m - 1), 2 * stats.t.sf(abs(dm), m - 1)


loss_model = -np.log(model[np.arange(n), labels])
loss_base = -np.log(baseline[np.arange(n), labels])
d = loss_model - loss_base
t1 = stats.ttest_1samp(d, 0.0)
t1_less = stats.ttest_1samp(d, 0.0, alternative="less")
# An MA(2) loss differential for h = 3.
e = rng.standard_normal(203)
ma = 0.1 + e[2:] + 0.6 * e[1:-1] + 0.3 * e[:-2]
la = np.round(np.abs(rng.standard_normal(201)) + 1.0, 8)
lb = np.round(la - ma, 8)
dm3, p3_less, p3_two = hln_dm(la - lb, 3)
out["diebold_mariano"] = {
    "h1": {
        # The loss series are the classification section's per-sample log-losses.
        "statistic": t1.statistic,
        "p_two_sided": t1.pvalue,
        "p_model_better": t1_less.pvalue,
        "mean_difference": d.mean(),
    },
    "h3": {
        "loss_model": la.tolist(),
        "loss_baseline": lb.tolist(),
        "statistic": dm3,
        "p_two_sided": p3_two,
        "p_model_better": p3_less,
    },
}

# --- lagged-return logit --------------------------------------------------
T = 500
r = np.zeros(T)
eps = rng.standard_t(5, size=T) * 1e-3
for t in range(1, T):
    r[t] = -0.25 * r[t - 1] + 0.1 * (r[t - 2] if t >= 2 else 0.0) + eps[t]
r = np.round(r, 9)
thr = 3e-4
nxt = r[1:]
y = np.where(nxt > thr, 2, np.where(nxt < -thr, 0, 1))  # y[t]: class of r[t+1]
k, C, train_end, test_end = 5, 0.5, 350, len(y)
X = np.array([[r[t - j] for j in range(k)] for t in range(len(y)) if t >= k - 1])
idx = np.arange(k - 1, len(y))
tr = idx < train_end
mu, sd = X[tr].mean(axis=0), X[tr].std(axis=0)
Z = (X - mu) / sd
# newton-cholesky minimises the same objective as lbfgs but to a gradient of
# ~1e-14; sklearn's lbfgs stops at ~4e-6 here (scipy's ftol), which would
# make the reference, not the Rust fit, the imprecise side.
clf = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-14, max_iter=1000).fit(Z[tr], y[idx[tr]])
assert list(clf.classes_) == [0, 1, 2]
intercept = clf.intercept_ - clf.intercept_.mean()
out["logit"] = {
    "returns": r.tolist(),
    "labels": y.tolist(),
    "lags": k,
    "c": C,
    "train_end": train_end,
    "test_start": train_end,
    "weights": clf.coef_.tolist(),
    "intercepts": intercept.tolist(),
    "test_probs": clf.predict_proba(Z[~tr]).tolist(),
}

# --- volatility: EWMA, HAR, QLIKE ----------------------------------------
T = 600
omega, alpha, beta = 1e-7, 0.08, 0.9
s2, rv = omega / (1 - alpha - beta), []
for t in range(T):
    ret = np.sqrt(s2) * rng.standard_normal()
    rv.append(ret * ret)
    s2 = omega + alpha * ret * ret + beta * s2
rv = np.array([float(f"{v:.6e}") for v in rv])
ewm = pd.Series(rv).ewm(alpha=1 - 0.94, adjust=False).mean().to_numpy()
har_train_end = 450
tt = np.arange(22, har_train_end)
design = np.column_stack(
    [np.ones(len(tt)), rv[tt - 1], [rv[t - 5 : t].mean() for t in tt], [rv[t - 22 : t].mean() for t in tt]]
)
ols = sm.OLS(rv[tt], design).fit()
b = ols.params
test = np.arange(har_train_end, T)
har = np.maximum(
    0.0, b[0] + b[1] * rv[test - 1] + b[2] * np.array([rv[t - 5 : t].mean() for t in test]) + b[3] * np.array([rv[t - 22 : t].mean() for t in test])
)
ewma_test = ewm[test - 1]  # forecast of rv[t] = pandas' smoothed value at t-1


def qlike(real, fc):
    ratio = np.maximum(real, 1e-12) / np.maximum(fc, 1e-12)
    return ratio - np.log(ratio) - 1


dq = qlike(rv[test], har) - qlike(rv[test], ewma_test)
tq = stats.ttest_1samp(dq, 0.0)
out["volatility"] = {
    "realised": rv.tolist(),
    "lambda": 0.94,
    "ewma_pandas_test": ewma_test.tolist(),
    "har_train_end": har_train_end,
    "har_coefficients": b.tolist(),
    "har_test_forecast": har.tolist(),
    "qlike_har": float(qlike(rv[test], har).mean()),
    "qlike_ewma": float(qlike(rv[test], ewma_test).mean()),
    "mse_har": float(((rv[test] - har) ** 2).mean()),
    "dm_har_vs_ewma_statistic": tq.statistic,
    "dm_har_vs_ewma_p_two_sided": tq.pvalue,
}

path = pathlib.Path(__file__).with_name("reference.json")
path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
print(f"wrote {path} ({path.stat().st_size} bytes)")
