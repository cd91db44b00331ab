//! Bounded single-producer/single-consumer rings between pipeline lanes.
//!
//! The storage is crossbeam's lock-free `ArrayQueue` (allocated once, never
//! grown); the two ends are split into a [`Producer`] and a [`Consumer`] that
//! are not `Clone`, so the type system keeps each ring single-producer and
//! single-consumer. Backpressure is explicit and chosen per call:
//! [`Producer::push_wait`] waits for space (replay: the data source simply
//! slows down to the speed of the slowest stage), [`Producer::push_or_count`]
//! never waits and counts what it could not enqueue (live market data: the
//! network thread must not stall; a drop is counted and raised as an alert,
//! never silent).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_queue::ArrayQueue;
use crossbeam_utils::{Backoff, CachePadded};

#[derive(Debug)]
struct Shared<T> {
    queue: ArrayQueue<T>,
    /// Times the producer found the ring full (waits or drops).
    full: CachePadded<AtomicU64>,
    dropped: CachePadded<AtomicU64>,
}

/// The sending end of a ring.
#[derive(Debug)]
pub struct Producer<T> {
    shared: Arc<Shared<T>>,
}

/// The receiving end of a ring.
#[derive(Debug)]
pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
}

/// Creates a ring holding at most `capacity` items (at least 1).
pub fn ring<T>(capacity: usize) -> (Producer<T>, Consumer<T>) {
    let shared = Arc::new(Shared {
        queue: ArrayQueue::new(capacity.max(1)),
        full: CachePadded::new(AtomicU64::new(0)),
        dropped: CachePadded::new(AtomicU64::new(0)),
    });
    (Producer { shared: Arc::clone(&shared) }, Consumer { shared })
}

/// Counters of one ring's backpressure.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RingStats {
    /// Pushes that found the ring full.
    pub full: u64,
    /// Items dropped by [`Producer::push_or_count`].
    pub dropped: u64,
}

impl<T> Producer<T> {
    /// Pushes, waiting (spin, then yield) while the ring is full.
    #[inline]
    pub fn push_wait(&self, mut item: T) {
        let backoff = Backoff::new();
        let mut counted = false;
        loop {
            match self.shared.queue.push(item) {
                Ok(()) => return,
                Err(back) => {
                    item = back;
                    if !counted {
                        self.shared.full.fetch_add(1, Ordering::Relaxed);
                        counted = true;
                    }
                    if backoff.is_completed() {
                        std::thread::yield_now();
                    } else {
                        backoff.snooze();
                    }
                }
            }
        }
    }

    /// Pushes if there is room; otherwise counts the item as dropped and
    /// gives it back. Never waits.
    #[inline]
    pub fn push_or_count(&self, item: T) -> Result<(), T> {
        self.shared.queue.push(item).inspect_err(|_| {
            self.shared.full.fetch_add(1, Ordering::Relaxed);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        })
    }

    pub fn stats(&self) -> RingStats {
        stats(&self.shared)
    }
}

impl<T> Consumer<T> {
    /// Pops, waiting (spin, then yield) while the ring is empty.
    #[inline]
    pub fn pop_wait(&self) -> T {
        let backoff = Backoff::new();
        loop {
            if let Some(item) = self.shared.queue.pop() {
                return item;
            }
            if backoff.is_completed() {
                std::thread::yield_now();
            } else {
                backoff.snooze();
            }
        }
    }

    #[inline]
    pub fn try_pop(&self) -> Option<T> {
        self.shared.queue.pop()
    }

    pub fn stats(&self) -> RingStats {
        stats(&self.shared)
    }
}

fn stats<T>(s: &Shared<T>) -> RingStats {
    RingStats { full: s.full.load(Ordering::Relaxed), dropped: s.dropped.load(Ordering::Relaxed) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn items_arrive_in_order_across_threads_and_the_producer_waits_when_full() {
        let (tx, rx) = ring::<u64>(4);
        let n = 100_000u64;
        let consumer = std::thread::spawn(move || (0..n).map(|_| rx.pop_wait()).collect::<Vec<_>>());
        for i in 0..n {
            tx.push_wait(i);
        }
        let got = consumer.join().unwrap();
        assert_eq!(got, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn a_full_ring_counts_drops_instead_of_losing_them_silently() {
        let (tx, rx) = ring::<u32>(2);
        assert!(tx.push_or_count(1).is_ok());
        assert!(tx.push_or_count(2).is_ok());
        assert_eq!(tx.push_or_count(3), Err(3));
        assert_eq!(tx.stats(), RingStats { full: 1, dropped: 1 });
        assert_eq!(rx.try_pop(), Some(1));
    }
}
