//! Buy-and-hold and SMA crossover: the baselines every report shows next to
//! the strategy under test.

use tradebot_features::FeatureSpec;

use crate::{Direction, Signal, Strategy, StrategyContext};

/// Goes long on the first bar and stays long.
#[derive(Debug, Default)]
pub struct BuyAndHold {
    entered: bool,
}

impl BuyAndHold {
    pub fn new() -> Self {
        BuyAndHold::default()
    }
}

impl Strategy for BuyAndHold {
    fn name(&self) -> &str {
        "buy_and_hold"
    }

    fn features(&self) -> &[FeatureSpec] {
        &[]
    }

    fn on_bar(&mut self, _ctx: &StrategyContext<'_>) -> Signal {
        if self.entered {
            Signal::HOLD
        } else {
            self.entered = true;
            Signal::go(Direction::Long)
        }
    }
}

/// Moving-average crossover.
///
/// A cross up is `fast[t-1] < slow[t-1] && fast[t] > slow[t]` (strict on both
/// bars, false while either average is undefined), a cross down the mirror
/// image; this is backtesting.py's `crossover`. On a cross up the target is
/// long; on a cross down it is short (`long_short`) or flat (long-only).
/// Between crosses it holds, so a position closed by a stop is not reopened
/// until the next cross.
#[derive(Debug)]
pub struct SmaCross {
    name: String,
    specs: [FeatureSpec; 2],
    long_short: bool,
    prev: Option<(f64, f64)>,
}

impl SmaCross {
    pub fn new(fast: usize, slow: usize, long_short: bool) -> Self {
        let mode = if long_short { "long_short" } else { "long_only" };
        SmaCross {
            name: format!("sma_cross({fast},{slow},{mode})"),
            specs: [FeatureSpec::Sma { period: fast }, FeatureSpec::Sma { period: slow }],
            long_short,
            prev: None,
        }
    }
}

impl Strategy for SmaCross {
    fn name(&self) -> &str {
        &self.name
    }

    fn features(&self) -> &[FeatureSpec] {
        &self.specs
    }

    fn on_bar(&mut self, ctx: &StrategyContext<'_>) -> Signal {
        let (fast, slow) = match ctx.features {
            [f, s, ..] => (*f, *s),
            _ => return Signal::HOLD,
        };
        let signal = match self.prev {
            Some((pf, ps)) if pf < ps && fast > slow => Signal::go(Direction::Long),
            Some((pf, ps)) if pf > ps && fast < slow => {
                Signal::go(if self.long_short { Direction::Short } else { Direction::Flat })
            }
            _ => Signal::HOLD,
        };
        self.prev = Some((fast, slow));
        signal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradebot_core::{Candle, SymbolId, Timestamp};

    fn step(s: &mut SmaCross, fast: f64, slow: f64) -> Option<Direction> {
        let bar = Candle::default();
        let features = [fast, slow];
        s.on_bar(&StrategyContext {
            symbol: SymbolId(0),
            time: Timestamp::from_nanos(0),
            bar: &bar,
            features: &features,
            agents: &crate::AgentOutputs::EMPTY,
        })
        .target
    }

    #[test]
    fn crossing_requires_strict_inequality_on_both_bars() {
        let mut s = SmaCross::new(10, 20, true);
        assert_eq!(step(&mut s, f64::NAN, f64::NAN), None);
        assert_eq!(step(&mut s, 1.0, 2.0), None, "NaN on the previous bar is never a cross");
        assert_eq!(step(&mut s, 2.0, 2.0), None, "touching is not crossing");
        assert_eq!(step(&mut s, 3.0, 2.0), None, "from a tie is not a cross either");
        assert_eq!(step(&mut s, 1.0, 2.0), Some(Direction::Short));
        assert_eq!(step(&mut s, 1.5, 2.0), None);
        assert_eq!(step(&mut s, 2.5, 2.0), Some(Direction::Long));
    }

    #[test]
    fn long_only_goes_flat_on_a_cross_down() {
        let mut s = SmaCross::new(2, 3, false);
        step(&mut s, 3.0, 2.0);
        assert_eq!(step(&mut s, 1.0, 2.0), Some(Direction::Flat));
    }

    #[test]
    fn buy_and_hold_signals_once() {
        let mut b = BuyAndHold::new();
        let bar = Candle::default();
        let ctx = StrategyContext {
            symbol: SymbolId(0),
            time: Timestamp::from_nanos(0),
            bar: &bar,
            features: &[],
            agents: &crate::AgentOutputs::EMPTY,
        };
        assert_eq!(b.on_bar(&ctx).target, Some(Direction::Long));
        assert_eq!(b.on_bar(&ctx).target, None);
    }
}
