//! Replay source: merges the candle series of every instrument (and every
//! timeframe) of a run into one stream ordered by close time, so all of them
//! share one clock.
//!
//! Order is total and deterministic: by close time, then by feed index (the
//! order of the run's data section). A bar becomes visible at its close, never
//! at its open, so a 1h bar and the twelve 5m bars inside it are delivered
//! with the 1h bar after the last 5m bar of the hour.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tradebot_core::{Interval, RawCandle, Scale, SymbolId, Timestamp};

use crate::clock::{Clock, ReplayClock};
use crate::event::{BarEvent, EventKind};

/// One instrument's candles at one interval.
#[derive(Clone, Copy, Debug)]
pub struct Feed<'a> {
    pub symbol: SymbolId,
    pub interval: Interval,
    pub candles: &'a [RawCandle],
    pub price_scale: Scale,
    pub qty_scale: Scale,
}

#[derive(Debug)]
struct Cursor<'a> {
    feed: Feed<'a>,
    pos: usize,
    /// Close time of `candles[pos]` (MAX when exhausted).
    next_close: Timestamp,
    /// The bar length for fixed intervals (all but weeks and months), so the
    /// common case is one addition instead of calendar arithmetic.
    fixed: Option<i64>,
}

impl Cursor<'_> {
    #[inline]
    fn close_time_at(&self, pos: usize) -> Timestamp {
        match self.feed.candles.get(pos) {
            Some(c) => match self.fixed.and_then(|n| c.open_time.checked_add(n)) {
                Some(t) => Timestamp::from_nanos(t),
                None => self.feed.interval.add(c.open_time(), 1).unwrap_or(Timestamp::MAX),
            },
            None => Timestamp::MAX,
        }
    }
}

/// The replay data source of a run.
#[derive(Debug)]
pub struct ReplaySource<'a> {
    cursors: Vec<Cursor<'a>>,
    seq: u64,
    clock: ReplayClock,
    kill_at: Option<Timestamp>,
    ended: bool,
    progress: Option<Arc<AtomicU64>>,
}

impl<'a> ReplaySource<'a> {
    pub fn new(feeds: &[Feed<'a>], kill_at: Option<Timestamp>) -> Self {
        let cursors = feeds
            .iter()
            .map(|&feed| {
                let fixed = match feed.interval {
                    Interval::W1 | Interval::Mo1 => None,
                    other => other.fixed_nanos(),
                };
                let mut c = Cursor { feed, pos: 0, next_close: Timestamp::MAX, fixed };
                c.next_close = c.close_time_at(0);
                c
            })
            .collect();
        ReplaySource { cursors, seq: 0, clock: ReplayClock::new(Timestamp::MIN), kill_at, ended: false, progress: None }
    }

    /// Publishes the number of events delivered to `counter` every 4096
    /// events (a relaxed atomic store: no lock, no allocation).
    pub fn set_progress(&mut self, counter: Option<Arc<AtomicU64>>) {
        self.progress = counter;
    }

    /// Total number of bars the source will deliver.
    pub fn len(&self) -> usize {
        self.cursors.iter().map(|c| c.feed.candles.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The replay clock, driven by the bars delivered so far.
    pub fn clock(&self) -> &ReplayClock {
        &self.clock
    }

    #[inline]
    fn earliest(&self) -> Option<usize> {
        // One feed, the usual replay: no search.
        if let [only] = self.cursors.as_slice() {
            return (only.next_close != Timestamp::MAX).then_some(0);
        }
        let mut best: Option<usize> = None;
        for (i, c) in self.cursors.iter().enumerate() {
            if c.next_close != Timestamp::MAX && best.is_none_or(|b| c.next_close < self.cursors[b].next_close) {
                best = Some(i);
            }
        }
        best
    }

    /// The next event: a bar, a scheduled kill, and finally one `End`.
    #[inline]
    pub fn next_event(&mut self) -> Option<BarEvent> {
        let mut ev = BarEvent::end(0, Timestamp::MIN);
        self.fill_next(&mut ev).then_some(ev)
    }

    /// Writes the next event into `ev` in place (the fused loop reuses one
    /// event, so nothing is copied); `false` after the `End` event.
    ///
    /// Only the source's fields are written: `features`, `agents` and
    /// `signal` keep whatever the later stages last put there, and those
    /// stages overwrite them for every bar (a kill or end event is written
    /// whole, with a hold signal).
    #[inline(always)]
    pub fn fill_next(&mut self, ev: &mut BarEvent) -> bool {
        if self.ended {
            return false;
        }
        ev.sent_at = 0;
        let Some(i) = self.earliest() else {
            self.ended = true;
            if let Some(p) = &self.progress {
                p.store(self.seq, Ordering::Relaxed);
            }
            *ev = BarEvent::end(self.seq, self.clock.now());
            return true;
        };
        let time = self.cursors[i].next_close;
        let seq = self.seq;
        self.seq += 1;
        if let Some(k) = self.kill_at.filter(|&k| k <= time) {
            self.kill_at = None;
            self.clock.advance_to(k);
            *ev = BarEvent::new(EventKind::Kill, seq, SymbolId(0), Default::default(), k, false);
            return true;
        }
        let c = &mut self.cursors[i];
        let raw = c.feed.candles[c.pos];
        ev.kind = EventKind::Bar;
        ev.seq = seq;
        ev.symbol = c.feed.symbol;
        ev.bar = raw.to_candle(c.feed.price_scale, c.feed.qty_scale);
        ev.time = time;
        c.pos += 1;
        c.next_close = c.close_time_at(c.pos);
        ev.last_in_step = self.cursors.len() == 1 || self.cursors.iter().all(|c| c.next_close != time);
        self.clock.advance_to(time);
        if let Some(p) = self.progress.as_ref().filter(|_| seq.is_multiple_of(4096)) {
            p.store(seq, Ordering::Relaxed);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn candles(interval: Interval, start: i64, n: usize) -> Vec<RawCandle> {
        let step = interval.fixed_nanos().unwrap();
        (0..n)
            .map(|i| RawCandle { open_time: start + i as i64 * step, open: 1, high: 1, low: 1, close: 1, volume: 1 })
            .collect()
    }

    #[test]
    fn feeds_merge_by_close_time_then_feed_order_and_steps_are_marked() {
        let s = Scale::new(0).unwrap();
        let five = candles(Interval::M5, 0, 24);
        let hour = candles(Interval::H1, 0, 2);
        let other = candles(Interval::M5, 0, 24);
        let feeds = [
            Feed { symbol: SymbolId(0), interval: Interval::H1, candles: &hour, price_scale: s, qty_scale: s },
            Feed { symbol: SymbolId(1), interval: Interval::M5, candles: &five, price_scale: s, qty_scale: s },
            Feed { symbol: SymbolId(2), interval: Interval::M5, candles: &other, price_scale: s, qty_scale: s },
        ];
        let mut src = ReplaySource::new(&feeds, None);
        let mut events = Vec::new();
        while let Some(e) = src.next_event() {
            events.push(e);
        }
        assert_eq!(events.len(), 24 + 24 + 2 + 1);
        assert_eq!(events.last().unwrap().kind, EventKind::End);
        let bars = &events[..events.len() - 1];
        assert!(bars.windows(2).all(|w| (w[0].time, w[0].symbol) < (w[1].time, w[1].symbol)));
        // At 01:00 three bars close: the hour bar first (feed 0), then the two 5m bars.
        let at_hour: Vec<_> = bars.iter().filter(|e| e.time.as_nanos() == 3_600_000_000_000).collect();
        assert_eq!(at_hour.iter().map(|e| e.symbol.0).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(at_hour.iter().map(|e| e.last_in_step).collect::<Vec<_>>(), [false, false, true]);
        assert_eq!(src.clock().now().as_nanos(), 2 * 3_600_000_000_000);
    }

    #[test]
    fn a_scheduled_kill_arrives_before_the_first_bar_closing_at_or_after_it() {
        let s = Scale::new(0).unwrap();
        let bars = candles(Interval::M5, 0, 4);
        let feeds =
            [Feed { symbol: SymbolId(0), interval: Interval::M5, candles: &bars, price_scale: s, qty_scale: s }];
        let kill = Timestamp::from_nanos(10 * 60_000_000_000);
        let mut src = ReplaySource::new(&feeds, Some(kill));
        let kinds: Vec<_> = std::iter::from_fn(|| src.next_event()).map(|e| (e.kind, e.time.as_nanos())).collect();
        assert_eq!(kinds[1], (EventKind::Kill, 600_000_000_000));
        assert_eq!(kinds[2], (EventKind::Bar, 600_000_000_000));
    }
}
