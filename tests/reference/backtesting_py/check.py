#!/usr/bin/env python3
"""Sanity-check golden outputs of sma_cross.py and re-derive them independently.

Usage: check.py INPUT.csv[.gz] GOLDEN_DIR

1. Structural checks on GOLDEN_DIR/trades.csv (alternating sides, reversal on
   the same bar, sizes/fees formulas) and the reconciliation of equity_final.
2. A from-scratch replay written only from SEMANTICS.md (no backtesting.py
   import) must reproduce every trade and equity_final bit for bit.
Only numpy/pandas are used, for reading the CSV (via sma_cross.load_candles).
"""
import csv
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from sma_cross import CASH, COMMISSION, load_candles  # noqa: E402

FULL = 1 - sys.float_info.epsilon  # backtesting.py's default size "0.9999"


def rolling_mean(x, n):
    """pandas' roll_mean for a fixed window: Kahan running sum (separate
    compensations for add/remove), sum/nobs, same-value and sign rules."""
    out, s, c_add, c_rem, nobs, neg, same, prev = [], 0.0, 0.0, 0.0, 0, 0, 0, x[0]
    for i, v in enumerate(x):
        if i >= n:  # remove x[i-n]
            r = x[i - n]
            nobs -= 1
            y = -r - c_rem
            t = s + y
            c_rem = t - s - y
            s = t
            neg -= math.copysign(1, r) < 0
        nobs += 1
        y = v - c_add
        t = s + y
        c_add = t - s - y
        s = t
        neg += math.copysign(1, v) < 0
        same = same + 1 if v == prev else 1
        prev = v
        if nobs >= n:
            m = s / nobs
            if same >= nobs:
                m = prev
            elif neg == 0 and m < 0:
                m = 0.0
            elif neg == nobs and m > 0:
                m = 0.0
        else:
            m = math.nan
        out.append(m)
    return out


def pyfloordiv(a, b):
    """CPython float // (Objects/floatobject.c float_floor_div), a, b > 0."""
    mod = math.fmod(a, b)
    div = (a - mod) / b
    f = math.floor(div)
    return f + 1.0 if div - f > 0.5 else f


def replay(o, c, n1=10, n2=20):
    """Independent re-implementation of the rules in SEMANTICS.md."""
    s1, s2 = rolling_mean(c, n1), rolling_mean(c, n2)
    start = 1 + max(next(i for i, v in enumerate(s) if not math.isnan(v)) for s in (s1, s2))
    cash, pos, closed, equity = float(CASH), None, [], []  # pos = [size, entry_px, entry_bar]
    pending = None  # (close_first, signed_fraction)
    fee = lambda size, px: abs(size) * px * COMMISSION  # noqa: E731
    for i in range(len(c)):
        if i < start:
            equity.append(None)
            continue
        if pending:  # fill at this bar's open
            px = o[i]
            if pos:  # close order (queued first)
                size, ep, eb = pos
                cash += size * (px - ep) - fee(size, px)
                closed.append((size, ep, px, eb, i, size * (px - ep) - (fee(size, px) + fee(size, ep)),
                               fee(size, px) + fee(size, ep)))
                pos = None
            frac = pending
            adj = px + fee(frac, px) / abs(frac)
            units = int(pyfloordiv(max(0.0, cash) * 1.0 * abs(frac), adj))
            if units:
                size = int(math.copysign(units, frac))
                cash -= fee(size, px)
                pos = [size, px, i]
            pending = None
        equity.append(cash + (pos[0] * c[i] - pos[0] * pos[1] if pos else 0.0))
        if s1[i - 1] < s2[i - 1] and s1[i] > s2[i]:
            pending = FULL
        elif s2[i - 1] < s1[i - 1] and s2[i] > s1[i]:
            pending = -FULL
    return closed, pos, equity, start


def main():
    src, gdir = Path(sys.argv[1]), Path(sys.argv[2])
    df = load_candles(src)
    o, c = df['Open'].tolist(), df['Close'].tolist()
    stats = json.loads((gdir / 'stats.json').read_text())
    rows = list(csv.DictReader(open(gdir / 'trades.csv')))
    ok = True

    def check(cond, msg):
        nonlocal ok
        if not cond:
            ok = False
            print('FAIL', msg)

    # 1. structure
    for a, b in zip(rows, rows[1:]):
        check(a['side'] != b['side'], f"sides alternate at {b['entry_time']}")
        check(a['exit_bar'] == b['entry_bar'] and a['exit_time'] == b['entry_time']
              and a['exit_price'] == b['entry_price'], f"reversal on same bar at {b['entry_time']}")
    for r in rows:
        q, ep, xp = int(r['quantity']), float(r['entry_price']), float(r['exit_price'])
        check(ep == o[int(r['entry_bar'])] and xp == o[int(r['exit_bar'])], 'fills at open')
        sz = q if r['side'] == 'long' else -q
        f = q * xp * COMMISSION + q * ep * COMMISSION
        check(float(r['fees']) == f, f"fees formula {r['entry_time']}")
        check(float(r['pnl']) == sz * (xp - ep) - f, f"pnl formula {r['entry_time']}")
    ot = stats['open_trade_at_end']
    if rows and ot:
        check(ot['entry_bar'] == int(rows[-1]['exit_bar']) and ot['side'] != rows[-1]['side'],
              'open trade reverses the last closed one')
    # reconciliation: equity_final = cash + sum(pnl) + unrealised gross - entry fee of open trade
    recon = CASH + math.fsum(float(r['pnl']) for r in rows)
    if ot:
        recon += ot['unrealized_pnl_gross'] - ot['entry_fee']
    diff = recon - stats['equity_final']
    check(abs(diff) < 1e-8, f'reconciliation diff {diff}')

    # 2. independent replay
    closed, pos, equity, start = replay(o, c)
    check(start == stats['first_next_bar'], 'first next() bar')
    check(len(closed) == len(rows), f'trade count {len(closed)} vs {len(rows)}')
    for t, r in zip(closed, rows):
        size, ep, xp, eb, xb, pnl, fees = t
        got = (abs(size), 'long' if size > 0 else 'short', ep, xp, eb, xb, pnl, fees)
        exp = (int(r['quantity']), r['side'], float(r['entry_price']), float(r['exit_price']),
               int(r['entry_bar']), int(r['exit_bar']), float(r['pnl']), float(r['fees']))
        if got != exp:
            check(False, f'replay trade {got} != {exp}')
            break
    check((pos is None) == (ot is None) and (not pos or (abs(pos[0]), pos[2]) == (ot['size'], ot['entry_bar'])),
          'replay open trade')
    check(equity[-1] == stats['equity_final'], f"replay equity {equity[-1]!r} vs {stats['equity_final']!r}")
    gold_eq = [float(r['equity']) for r in csv.DictReader(open(gdir / 'equity.csv'))]
    check(all(e is None or e == g for e, g in zip(equity, gold_eq)), 'replay per-bar equity')

    # how fragile is the SMA: would a naive window mean change any signal?
    naive = lambda n: [math.nan if i + 1 < n else sum(c[i + 1 - n:i + 1]) / n for i in range(len(c))]  # noqa: E731
    k1, k2, n1, n2 = rolling_mean(c, 10), rolling_mean(c, 20), naive(10), naive(20)
    sig = lambda a, b, i: (a[i - 1] < b[i - 1] and a[i] > b[i]) - (b[i - 1] < a[i - 1] and b[i] > a[i])  # noqa: E731
    flips = sum(sig(k1, k2, i) != sig(n1, n2, i) for i in range(start, len(c)))
    ties = sum(k1[i] == k2[i] for i in range(start - 1, len(c)))
    print(f"{src.name}: {'OK' if ok else 'FAILED'}; {len(rows)} trades, replay equity {equity[-1]!r}, "
          f'reconciliation diff {diff:.3g}; naive-SMA signal flips {flips}, exact SMA ties {ties}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
