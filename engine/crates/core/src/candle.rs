//! Candles: [`RawCandle`] is the exact on-disk row, [`Candle`] its `f64` view.

use crate::{Scale, Side, Timestamp};

/// One bar as stored: open time in UTC nanoseconds and OHLCV as fixed-point
/// mantissas (prices at the store's price scale, volume at its quantity scale).
///
/// `#[repr(C)]` and `Pod` so a memory-mapped store is read as `&[RawCandle]`
/// without copying. 48 bytes, 8-byte aligned, no padding.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Hash, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct RawCandle {
    pub open_time: i64,
    pub open: i64,
    pub high: i64,
    pub low: i64,
    pub close: i64,
    pub volume: i64,
}

/// One trade print, as a feed or a recorded trades file reports it: the
/// input of the trade-flow features (candles say how much traded, trades
/// say who traded and in what sizes).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Trade {
    pub time: Timestamp,
    pub price: f64,
    /// Base-currency amount, > 0.
    pub amount: f64,
    /// The taker (aggressor) side, if the feed reports it.
    pub side: Option<Side>,
}

/// A bar in floating point, for analytics.
#[derive(Clone, Copy, PartialEq, Debug, Default)]
pub struct Candle {
    pub open_time: Timestamp,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
}

impl RawCandle {
    pub const SIZE: usize = std::mem::size_of::<RawCandle>();

    #[inline]
    pub fn open_time(&self) -> Timestamp {
        Timestamp::from_nanos(self.open_time)
    }

    #[inline]
    pub fn to_candle(&self, price: Scale, qty: Scale) -> Candle {
        Candle {
            open_time: self.open_time(),
            open: price.to_f64(self.open),
            high: price.to_f64(self.high),
            low: price.to_f64(self.low),
            close: price.to_f64(self.close),
            volume: qty.to_f64(self.volume),
        }
    }

    /// The first OHLCV sanity rule this bar breaks, if any:
    /// prices > 0, volume >= 0, low <= open, close <= high.
    pub fn sanity_violation(&self) -> Option<SanityViolation> {
        use SanityViolation as V;
        if self.open <= 0 {
            Some(V::NonPositive("open"))
        } else if self.high <= 0 {
            Some(V::NonPositive("high"))
        } else if self.low <= 0 {
            Some(V::NonPositive("low"))
        } else if self.close <= 0 {
            Some(V::NonPositive("close"))
        } else if self.volume < 0 {
            Some(V::NegativeVolume)
        } else if self.high < self.low {
            Some(V::HighBelowLow)
        } else if self.open > self.high {
            Some(V::AboveHigh("open"))
        } else if self.open < self.low {
            Some(V::BelowLow("open"))
        } else if self.close > self.high {
            Some(V::AboveHigh("close"))
        } else if self.close < self.low {
            Some(V::BelowLow("close"))
        } else {
            None
        }
    }
}

/// Which OHLCV rule a bar breaks; the `&str` names the offending column.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum SanityViolation {
    NonPositive(&'static str),
    NegativeVolume,
    HighBelowLow,
    AboveHigh(&'static str),
    BelowLow(&'static str),
}

impl SanityViolation {
    /// The column the message is about.
    pub fn column(self) -> &'static str {
        match self {
            SanityViolation::NonPositive(c) | SanityViolation::AboveHigh(c) | SanityViolation::BelowLow(c) => c,
            SanityViolation::NegativeVolume => "volume",
            SanityViolation::HighBelowLow => "high",
        }
    }
}

const _: () = assert!(RawCandle::SIZE == 48);
