//! The price path assumed inside a bar.
//!
//! A bar gives four prices, not their order, yet whether a stop or a target
//! was hit first decides a trade. We assume open → low → high → close when the
//! bar closed at or above its open and open → high → low → close otherwise
//! (the usual convention: an up bar dipped first), walk it at unit speed, and
//! order intrabar events by the distance travelled from the open. This makes
//! every intrabar decision deterministic and reproducible.

use tradebot_core::Candle;

/// Which side of a level counts as reaching it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Price at or above the level (buy stops, sell limits).
    AtOrAbove,
    /// Price at or below the level (sell stops, buy limits).
    AtOrBelow,
}

impl Reach {
    #[inline]
    fn holds(self, price: f64, level: f64) -> bool {
        match self {
            Reach::AtOrAbove => price >= level,
            Reach::AtOrBelow => price <= level,
        }
    }
}

/// A point on the path: which leg, the distance travelled from the open, and
/// the price there (exact, so a level reached is reported as the level itself).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Cursor {
    leg: usize,
    pub(crate) at: f64,
    pub(crate) price: f64,
}

/// The four turning points of the assumed path.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Path {
    points: [f64; 4],
}

impl Path {
    pub(crate) fn new(bar: &Candle) -> Self {
        let points = if bar.close >= bar.open {
            [bar.open, bar.low, bar.high, bar.close]
        } else {
            [bar.open, bar.high, bar.low, bar.close]
        };
        Path { points }
    }

    /// The open, where every walk starts.
    pub(crate) fn start(&self) -> Cursor {
        Cursor { leg: 0, at: 0.0, price: self.points[0] }
    }

    /// The first point at or after `from` where the price reaches `level`
    /// (`from` itself if it already does), or `None` if the rest of the bar
    /// never gets there.
    pub(crate) fn first_reach(&self, from: Cursor, level: f64, reach: Reach) -> Option<Cursor> {
        let mut cur = from;
        for (leg, &end) in self.points.iter().enumerate().skip(from.leg + 1) {
            if reach.holds(cur.price, level) {
                return Some(cur);
            }
            if reach.holds(end, level) {
                // Legs are monotonic, so the level lies between cur and end.
                return Some(Cursor { leg: leg - 1, at: cur.at + (level - cur.price).abs(), price: level });
            }
            cur = Cursor { leg, at: cur.at + (end - cur.price).abs(), price: end };
        }
        reach.holds(cur.price, level).then_some(cur)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp)]
    use super::*;

    fn bar(open: f64, high: f64, low: f64, close: f64) -> Candle {
        Candle { open, high, low, close, ..Candle::default() }
    }

    #[test]
    fn an_up_bar_visits_the_low_before_the_high() {
        let p = Path::new(&bar(100.0, 110.0, 95.0, 105.0));
        let low = p.first_reach(p.start(), 96.0, Reach::AtOrBelow).unwrap();
        let high = p.first_reach(p.start(), 109.0, Reach::AtOrAbove).unwrap();
        assert_eq!((low.at, low.price), (4.0, 96.0));
        // 100 → 95 is 5, 95 → 109 is 14.
        assert_eq!((high.at, high.price), (19.0, 109.0));
    }

    #[test]
    fn a_down_bar_visits_the_high_before_the_low() {
        let p = Path::new(&bar(100.0, 110.0, 95.0, 98.0));
        let high = p.first_reach(p.start(), 109.0, Reach::AtOrAbove).unwrap();
        let low = p.first_reach(p.start(), 96.0, Reach::AtOrBelow).unwrap();
        assert!(high.at < low.at);
        assert_eq!(low.at, 10.0 + 14.0);
    }

    #[test]
    fn a_level_already_reached_is_reached_where_the_walk_starts() {
        let p = Path::new(&bar(100.0, 110.0, 95.0, 105.0));
        assert_eq!(p.first_reach(p.start(), 101.0, Reach::AtOrBelow).unwrap().at, 0.0);
    }

    #[test]
    fn a_level_outside_the_range_is_never_reached() {
        let p = Path::new(&bar(100.0, 110.0, 95.0, 105.0));
        assert_eq!(p.first_reach(p.start(), 111.0, Reach::AtOrAbove), None);
        assert_eq!(p.first_reach(p.start(), 94.0, Reach::AtOrBelow), None);
    }

    #[test]
    fn a_walk_can_resume_from_a_reached_point_and_only_looks_forward() {
        // Up bar 100 → 95 → 110 → 105: after reaching 108 on the way up, 97 is
        // only seen again if the close comes back down to it, which it does not.
        let p = Path::new(&bar(100.0, 110.0, 95.0, 105.0));
        let up = p.first_reach(p.start(), 108.0, Reach::AtOrAbove).unwrap();
        assert_eq!(p.first_reach(up, 97.0, Reach::AtOrBelow), None);
        let back = p.first_reach(up, 106.0, Reach::AtOrBelow).unwrap();
        assert_eq!((back.at, back.price), (5.0 + 15.0 + 4.0, 106.0));
    }
}
