//! The engine's only source of time.
//!
//! Engine logic never reads the system clock: in replay, time is the close
//! time of the bar being processed, so a replay is a pure function of its
//! inputs; live, the [`WallClock`] is read once where an event enters the
//! engine and that instant travels with the event.

use std::cell::Cell;

use tradebot_core::Timestamp;

/// Something that says what time it is.
pub trait Clock {
    fn now(&self) -> Timestamp;
}

/// Replay time: advanced by the data, never by the machine.
#[derive(Debug, Default)]
pub struct ReplayClock {
    now: Cell<Timestamp>,
}

impl ReplayClock {
    pub fn new(start: Timestamp) -> Self {
        ReplayClock { now: Cell::new(start) }
    }

    /// Moves time forward to `t`; time never runs backwards.
    #[inline]
    pub fn advance_to(&self, t: Timestamp) {
        if t > self.now.get() {
            self.now.set(t);
        }
    }
}

impl Clock for ReplayClock {
    #[inline]
    fn now(&self) -> Timestamp {
        self.now.get()
    }
}

/// Live time from the operating system (UTC).
#[derive(Debug, Default, Clone, Copy)]
pub struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> Timestamp {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        Timestamp::from_nanos(nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_time_only_moves_forward() {
        let c = ReplayClock::new(Timestamp::from_nanos(10));
        c.advance_to(Timestamp::from_nanos(5));
        assert_eq!(c.now(), Timestamp::from_nanos(10));
        c.advance_to(Timestamp::from_nanos(20));
        assert_eq!(c.now(), Timestamp::from_nanos(20));
    }

    #[test]
    fn wall_clock_is_after_2020() {
        assert!(WallClock.now() > Timestamp::from_nanos(1_577_836_800_000_000_000));
    }
}
