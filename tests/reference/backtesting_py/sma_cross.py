#!/usr/bin/env python3
"""Golden reference: backtesting.py 0.6 Quick-Start SmaCross on one candle file.

Usage: sma_cross.py INPUT.csv[.gz] OUTDIR

Writes OUTDIR/trades.csv, OUTDIR/stats.json and OUTDIR/equity.csv.
A reference tool only (see SEMANTICS.md next to this file); tradebot never
depends on Python.
"""
import csv
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from backtesting import Backtest, Strategy
from backtesting import __version__ as BT_VERSION
from backtesting._util import _indicator_warmup_nbars
from backtesting.lib import crossover
from backtesting.test import SMA

CASH = 10_000
COMMISSION = .002
TIME_COLUMNS = ('date', 'timestamp', 'time', 'datetime', 'open_time')


class SmaCross(Strategy):  # verbatim Quick-Start strategy
    n1 = 10
    n2 = 20

    def init(self):
        close = self.data.Close
        self.sma1 = self.I(SMA, close, self.n1)
        self.sma2 = self.I(SMA, close, self.n2)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            self.sell()


def load_candles(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path)  # compression inferred from .gz
    raw.columns = [c.strip().lower() for c in raw.columns]
    tcol = next((c for c in TIME_COLUMNS if c in raw.columns), None)
    if tcol is None:
        raise SystemExit(f'{path}: no time column (one of {TIME_COLUMNS})')
    t = raw[tcol]
    if pd.api.types.is_numeric_dtype(t):  # epoch: pick unit by magnitude
        m = float(t.abs().max())
        unit = 's' if m < 1e11 else 'ms' if m < 1e14 else 'us' if m < 1e17 else 'ns'
        index = pd.to_datetime(t, unit=unit, utc=True)
    else:
        index = pd.to_datetime(t, utc=True, format='ISO8601')
    df = pd.DataFrame({c.capitalize(): raw[c].astype(float).values
                       for c in ('open', 'high', 'low', 'close', 'volume')},
                      index=pd.DatetimeIndex(index, name='time'))
    return df


def iso(ts) -> str:
    return pd.Timestamp(ts).tz_convert('UTC').strftime('%Y-%m-%dT%H:%M:%SZ')


def json_safe(v):
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if isinstance(v, pd.Timedelta):
        return None if pd.isna(v) else v.isoformat()
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(v) or math.isinf(v) else float(v)
    return str(v)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    src, outdir = Path(sys.argv[1]), Path(sys.argv[2])
    stem = src.name.removesuffix('.gz').removesuffix('.csv')
    symbol = stem.split('-')[0]
    df = load_candles(src)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        bt = Backtest(df, SmaCross, cash=CASH, commission=COMMISSION)
        stats = bt.run()
    strategy = stats['_strategy']
    trades = stats['_trades']

    outdir.mkdir(parents=True, exist_ok=True)
    with open(outdir / 'trades.csv', 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['symbol', 'side', 'entry_time', 'entry_price', 'exit_time',
                    'exit_price', 'quantity', 'pnl', 'fees', 'entry_bar', 'exit_bar'])
        for t in trades.itertuples():
            w.writerow([symbol, 'long' if t.Size > 0 else 'short',
                        iso(t.EntryTime), repr(float(t.EntryPrice)),
                        iso(t.ExitTime), repr(float(t.ExitPrice)),
                        abs(int(t.Size)), repr(float(t.PnL)), repr(float(t.Commission)),
                        int(t.EntryBar), int(t.ExitBar)])

    with open(outdir / 'equity.csv', 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['bar', 'time', 'equity'])
        for i, (ts, eq) in enumerate(stats['_equity_curve']['Equity'].items()):
            w.writerow([i, iso(ts), repr(float(eq))])

    open_trades = strategy.trades  # still-active trades (finalize_trades=False)
    last_close = float(df['Close'].iloc[-1])
    open_trade = None
    if open_trades:
        assert len(open_trades) == 1
        t = open_trades[0]
        open_trade = {
            'side': 'long' if t.size > 0 else 'short',
            'size': abs(int(t.size)),
            'entry_bar': int(t.entry_bar),
            'entry_time': iso(t.entry_time),
            'entry_price': float(t.entry_price),
            'entry_fee': abs(t.size) * t.entry_price * COMMISSION,
            'mark_price': last_close,
            'unrealized_pnl_gross': t.size * (last_close - t.entry_price),
        }

    out = {
        'tool': f'backtesting.py {BT_VERSION}, pandas {pd.__version__}, numpy {np.__version__}',
        'input': src.name,
        'symbol': symbol,
        'strategy': 'SmaCross(n1=10, n2=20)',
        'params': {'cash': CASH, 'commission': COMMISSION, 'spread': 0.0, 'margin': 1.0,
                   'trade_on_close': False, 'hedging': False,
                   'exclusive_orders': False, 'finalize_trades': False},
        'n_bars': len(df),
        'first_bar_time': iso(df.index[0]),
        'last_bar_time': iso(df.index[-1]),
        'first_next_bar': 1 + int(_indicator_warmup_nbars(strategy)),
        'initial_cash': CASH,
        'equity_final': float(stats['Equity Final [$]']),
        'return_pct': float(stats['Return [%]']),
        'n_trades': int(stats['# Trades']),
        'sum_trade_pnl': float(trades['PnL'].sum()),
        'sum_trade_fees': float(trades['Commission'].sum()),
        'open_trade_at_end': open_trade,
        'warnings': [str(w.message) for w in caught],
        'stats': {k: json_safe(v) for k, v in stats.items()
                  if k not in ('_equity_curve', '_trades')},
    }
    with open(outdir / 'stats.json', 'w') as f:
        json.dump(out, f, indent=2)
        f.write('\n')
    print(f'{src.name}: {out["n_trades"]} trades, equity_final={out["equity_final"]!r}, '
          f'open={open_trade and open_trade["side"]}')


if __name__ == '__main__':
    main()
