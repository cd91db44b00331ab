//! The model schedule: which fold's model may decide a bar.
//!
//! Walk-forward training leaves one model per fold, each trained on data up
//! to its `trained_through` time. In replay a bar closing at `t` may only be
//! decided by a model trained through `t` or earlier, and among those the
//! most recent; before the first model is available the agent abstains.
//! This is what keeps a backtest of learned models out-of-sample.

use tradebot_core::Timestamp;

/// Entries sorted by availability; `A` is the loaded model.
#[derive(Debug)]
pub struct ModelSchedule<A> {
    entries: Vec<(Timestamp, A)>,
}

impl<A> ModelSchedule<A> {
    /// `entries` are `(trained_through, model)` in any order.
    pub fn new(mut entries: Vec<(Timestamp, A)>) -> Self {
        entries.sort_by_key(|(t, _)| *t);
        ModelSchedule { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Index of the model allowed to decide a bar closing at `decision_time`.
    pub fn active_index(&self, decision_time: Timestamp) -> Option<usize> {
        self.entries.partition_point(|(t, _)| *t <= decision_time).checked_sub(1)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut A> {
        self.entries.get_mut(index).map(|(_, a)| a)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Timestamp, &A)> {
        self.entries.iter().map(|(t, a)| (*t, a))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Timestamp, &mut A)> {
        self.entries.iter_mut().map(|(t, a)| (*t, a))
    }

    pub fn available_from(&self, index: usize) -> Option<Timestamp> {
        self.entries.get(index).map(|(t, _)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_is_decided_by_the_latest_model_trained_before_it() {
        let t = Timestamp::from_nanos;
        let s = ModelSchedule::new(vec![(t(300), 'c'), (t(100), 'a'), (t(200), 'b')]);
        assert_eq!(s.active_index(t(99)), None, "no model yet: abstain");
        assert_eq!(s.active_index(t(100)), Some(0));
        assert_eq!(s.active_index(t(250)), Some(1));
        assert_eq!(s.active_index(t(10_000)), Some(2));
    }
}
