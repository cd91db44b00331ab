//! Trades aggregated per candle interval into order-flow, liquidity and
//! spread features (issue 4, item 3). A bar is the trades whose time falls in
//! `[k·interval, (k+1)·interval)` since the epoch; intervals without trades
//! produce no bar (as candles built from trades skip them).
//!
//! Per bar, from its own trades only:
//!
//! * `count`, `volume = Σ amount`, `quote_volume = Σ price·amount`, OHLC of
//!   the trade prices;
//! * trade-size distribution: `mean_size`, `max_size` and a fixed-bucket
//!   histogram of sizes by decade, `size_hist[k]` = trades with
//!   `unit·10^k <= amount < unit·10^(k+1)` (bucket 0 also takes smaller
//!   trades, the last bucket larger ones). Fixed buckets keep the memory fixed
//!   and merge across bars by addition, which a quantile sketch does not do
//!   exactly;
//! * buy/sell split: each trade's aggressor side is the exchange's taker side
//!   where the feed gives one, else the tick rule ([`TickRule`]; trades before
//!   the first price change are unclassified and count in neither);
//!   `tick_compared` / `tick_agree` count the trades that have both an
//!   exchange side and a tick sign, and how many of them agree;
//! * `imbalance = (buy − sell) / (buy + sell)` (NaN if nothing classified);
//! * `large_count`: trades with `amount > large_mult × mean of the previous
//!   large_window trade sizes` (the trade itself is excluded, so one block
//!   trade does not raise its own bar); NaN for a bar containing a trade that
//!   came before `large_window` earlier trades existed.
//!
//! Running across bars:
//!
//! * `cvd = Σ (buy − sell)` over all bars so far;
//! * Amihud illiquidity: the mean over the last `bar_window` bars of
//!   `|close_t / close_{t−1} − 1| / quote_volume_t` (the first bar has no
//!   return);
//! * Kyle's lambda: the OLS slope (with intercept) over the last `bar_window`
//!   bars of `close_t − close_{t−1}` on the signed volume `buy_t − sell_t`;
//! * Roll's spread: `2·sqrt(−cov(Δp_t, Δp_{t−1}))` with the sample
//!   covariance of consecutive trade-to-trade price changes over the last
//!   `roll_window` pairs of trades, taken at the bar's last trade; `0` when
//!   the covariance is not negative (Roll's model then sees no bid-ask
//!   bounce; the usual convention, e.g. Hasbrouck), NaN until the window is
//!   full.
//!
//! A bar is emitted by the first trade of a later interval (or by
//! [`TradeBars::close_until`] / [`TradeBars::finish`]), so it never contains
//! information from after its interval. A trade stamped before the open bar's
//! start (out of order) is counted in the open bar.

use tradebot_core::{Candle, Timestamp};

use super::{RollingCov, RollingSum, TickRule};

/// Number of trade-size histogram buckets (decades of `size_unit`).
pub const SIZE_BUCKETS: usize = 8;

pub use tradebot_core::Trade;

/// Parameters of [`TradeBars`].
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct TradeBarParams {
    /// Bar length in nanoseconds (e.g. 5 minutes).
    pub interval_nanos: i64,
    /// Lower edge of size bucket 1 is `10 × size_unit`.
    pub size_unit: f64,
    pub large_window: usize,
    pub large_mult: f64,
    /// Bars in the Amihud and Kyle windows.
    pub bar_window: usize,
    /// Trade-price-change pairs in the Roll window.
    pub roll_window: usize,
}

/// One interval's trade features.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct TradeBar {
    pub open_time: Timestamp,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub count: u64,
    pub volume: f64,
    pub quote_volume: f64,
    pub buy_volume: f64,
    pub sell_volume: f64,
    pub mean_size: f64,
    pub max_size: f64,
    pub size_hist: [u64; SIZE_BUCKETS],
    pub large_count: f64,
    pub imbalance: f64,
    pub cvd: f64,
    pub tick_compared: u64,
    pub tick_agree: u64,
    pub amihud: f64,
    pub kyle_lambda: f64,
    pub roll_spread: f64,
}

impl TradeBar {
    /// The candle of the bar's trades (open time, OHLC of the trade prices,
    /// base volume): what candles built from trades are.
    pub fn candle(&self) -> Candle {
        Candle {
            open_time: self.open_time,
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: self.volume,
        }
    }
}

/// Aggregates a trade stream into [`TradeBar`]s.
#[derive(Clone, Debug)]
pub struct TradeBars {
    params: TradeBarParams,
    edges: [f64; SIZE_BUCKETS],
    tick: TickRule,
    sizes: RollingSum,
    bar: Option<TradeBar>,
    large_warm: bool,
    cvd: f64,
    prev_close: f64,
    amihud: RollingSum,
    kyle: RollingCov,
    prev_price: f64,
    prev_dp: f64,
    roll: RollingCov,
}

impl TradeBars {
    /// Windows are clamped to at least 2, the interval to at least 1 ns.
    pub fn new(params: TradeBarParams) -> Self {
        let params = TradeBarParams {
            interval_nanos: params.interval_nanos.max(1),
            large_window: params.large_window.max(2),
            bar_window: params.bar_window.max(2),
            roll_window: params.roll_window.max(2),
            ..params
        };
        let mut edges = [0.0; SIZE_BUCKETS];
        for (k, e) in edges.iter_mut().enumerate() {
            *e = params.size_unit * 10f64.powi(k as i32);
        }
        TradeBars {
            params,
            edges,
            tick: TickRule::new(),
            sizes: RollingSum::new(params.large_window),
            bar: None,
            large_warm: true,
            cvd: 0.0,
            prev_close: f64::NAN,
            amihud: RollingSum::new(params.bar_window),
            kyle: RollingCov::new(params.bar_window),
            prev_price: f64::NAN,
            prev_dp: f64::NAN,
            roll: RollingCov::new(params.roll_window),
        }
    }

    /// Adds a trade; returns the previous bar if this trade starts a later one.
    pub fn update(&mut self, trade: &Trade) -> Option<TradeBar> {
        let start = trade.time.as_nanos().div_euclid(self.params.interval_nanos) * self.params.interval_nanos;
        let done = match self.bar {
            Some(b) if start > b.open_time.as_nanos() => self.close_bar(),
            _ => None,
        };
        self.add(trade, start);
        done
    }

    /// Emits the open bar if its interval ended at or before `now` (a clock
    /// tick with no trade).
    pub fn close_until(&mut self, now: Timestamp) -> Option<TradeBar> {
        match self.bar {
            Some(b) if b.open_time.as_nanos().saturating_add(self.params.interval_nanos) <= now.as_nanos() => {
                self.close_bar()
            }
            _ => None,
        }
    }

    /// Emits the open bar, complete or not (end of a recorded stream).
    pub fn finish(&mut self) -> Option<TradeBar> {
        self.close_bar()
    }

    fn add(&mut self, t: &Trade, start: i64) {
        let sign = self.tick.classify(t.price);
        let bar = self.bar.get_or_insert(TradeBar {
            open_time: Timestamp::from_nanos(start),
            open: t.price,
            high: t.price,
            low: t.price,
            close: t.price,
            count: 0,
            volume: 0.0,
            quote_volume: 0.0,
            buy_volume: 0.0,
            sell_volume: 0.0,
            mean_size: f64::NAN,
            max_size: t.amount,
            size_hist: [0; SIZE_BUCKETS],
            large_count: 0.0,
            imbalance: f64::NAN,
            cvd: f64::NAN,
            tick_compared: 0,
            tick_agree: 0,
            amihud: f64::NAN,
            kyle_lambda: f64::NAN,
            roll_spread: f64::NAN,
        });
        bar.high = bar.high.max(t.price);
        bar.low = bar.low.min(t.price);
        bar.close = t.price;
        bar.count += 1;
        bar.volume += t.amount;
        bar.quote_volume += t.price * t.amount;
        bar.max_size = bar.max_size.max(t.amount);
        let bucket = self.edges[1..].iter().take_while(|&&e| e <= t.amount).count();
        bar.size_hist[bucket] += 1;

        let side = match t.side {
            Some(s) => {
                if sign != 0.0 {
                    bar.tick_compared += 1;
                    if sign == s.sign() {
                        bar.tick_agree += 1;
                    }
                }
                s.sign()
            }
            None => sign,
        };
        if side > 0.0 {
            bar.buy_volume += t.amount;
        } else if side < 0.0 {
            bar.sell_volume += t.amount;
        }

        if self.sizes.full() {
            if t.amount > self.params.large_mult * (self.sizes.sum() / self.params.large_window as f64) {
                bar.large_count += 1.0;
            }
        } else {
            self.large_warm = false;
        }
        self.sizes.push(t.amount);

        let dp = t.price - self.prev_price;
        if !self.prev_dp.is_nan() {
            self.roll.push(self.prev_dp, dp);
        }
        self.prev_dp = dp;
        self.prev_price = t.price;
    }

    fn close_bar(&mut self) -> Option<TradeBar> {
        let mut bar = self.bar.take()?;
        bar.mean_size = bar.volume / bar.count as f64;
        if !self.large_warm {
            bar.large_count = f64::NAN;
        }
        self.large_warm = true;
        let classified = bar.buy_volume + bar.sell_volume;
        let delta = bar.buy_volume - bar.sell_volume;
        if classified > 0.0 {
            bar.imbalance = delta / classified;
        }
        self.cvd += delta;
        bar.cvd = self.cvd;
        if !self.prev_close.is_nan() {
            self.amihud.push((bar.close / self.prev_close - 1.0).abs() / bar.quote_volume);
            self.kyle.push(delta, bar.close - self.prev_close);
            if self.amihud.full() {
                bar.amihud = self.amihud.sum() / self.params.bar_window as f64;
            }
            bar.kyle_lambda = self.kyle.slope();
        }
        self.prev_close = bar.close;
        let cov = self.roll.cov();
        bar.roll_spread = if cov.is_nan() {
            f64::NAN
        } else if cov < 0.0 {
            2.0 * (-cov).sqrt()
        } else {
            0.0
        };
        Some(bar)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_cmp, clippy::unwrap_used)]
    use super::*;
    use tradebot_core::Side;

    fn t(ms: i64, price: f64, amount: f64, side: Option<Side>) -> Trade {
        Trade { time: Timestamp::from_millis(ms).unwrap(), price, amount, side }
    }

    fn params() -> TradeBarParams {
        TradeBarParams {
            interval_nanos: 1_000_000_000,
            size_unit: 1.0,
            large_window: 2,
            large_mult: 2.0,
            bar_window: 2,
            roll_window: 2,
        }
    }

    #[test]
    fn a_bar_closes_on_the_first_trade_of_a_later_interval_or_on_the_clock() {
        let mut a = TradeBars::new(params());
        assert!(a.update(&t(100, 10.0, 1.0, None)).is_none());
        assert!(a.update(&t(900, 11.0, 25.0, None)).is_none());
        assert!(a.close_until(Timestamp::from_millis(999).unwrap()).is_none());
        let b = a.close_until(Timestamp::from_millis(1_000).unwrap()).unwrap();
        assert_eq!((b.count, b.volume, b.open, b.close, b.max_size), (2, 26.0, 10.0, 11.0, 25.0));
        assert_eq!(b.size_hist[..3], [1, 1, 0]);
        // First trade unclassified by the tick rule, second an uptick.
        assert_eq!((b.buy_volume, b.sell_volume, b.imbalance, b.cvd), (25.0, 0.0, 1.0, 25.0));
        assert!(b.large_count.is_nan());
        assert!(a.finish().is_none());
        // Third trade: the two earlier sizes average 13, so 30 > 2 × 13 is large.
        a.update(&t(5_000, 10.0, 30.0, Some(Side::Sell)));
        let b = a.finish().unwrap();
        assert_eq!((b.large_count, b.sell_volume, b.tick_compared, b.tick_agree), (1.0, 30.0, 1, 1));
        assert_eq!(b.cvd, -5.0);
        // Δp = 1, -1 is a single pair so far; a Roll window of 2 needs two.
        assert!(b.roll_spread.is_nan());
    }

    #[test]
    fn roll_sees_a_bid_ask_bounce() {
        let mut a = TradeBars::new(params());
        for (i, p) in [10.0, 11.0, 10.0, 11.0].into_iter().enumerate() {
            a.update(&t(i as i64, p, 1.0, None));
        }
        // Δp = 1, -1, 1: pairs (1, -1), (-1, 1), sample cov = -2, spread 2√2.
        assert_eq!(a.finish().unwrap().roll_spread, 2.0 * 2f64.sqrt());
    }
}
