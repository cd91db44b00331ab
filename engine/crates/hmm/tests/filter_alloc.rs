//! `Filter::update` is on the live bar path: it must not allocate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tradebot_hmm::{Filter, GaussianHmm};

#[test]
fn filter_update_does_not_allocate() {
    let model = GaussianHmm {
        start: vec![0.2, 0.5, 0.3],
        transmat: vec![vec![0.9, 0.07, 0.03], vec![0.05, 0.9, 0.05], vec![0.1, 0.2, 0.7]],
        means: vec![1.0, -0.5, 0.0],
        variances: vec![0.5, 0.2, 3.0],
    };
    let mut filter = Filter::new(&model).unwrap();
    let mut acc = 0.0;
    let info = allocation_counter::measure(|| {
        for i in 0..1000 {
            let x = ((i * 7919) % 200) as f64 / 50.0 - 2.0;
            acc += filter.update(if i % 97 == 0 { f64::NAN } else { x })[0];
        }
        filter.reset();
    });
    assert_eq!(info.count_total, 0, "update allocated");
    assert!(acc.is_finite() && acc > 0.0);
    // The counter does see allocations.
    assert_eq!(allocation_counter::measure(|| drop(std::hint::black_box(vec![1u8]))).count_total, 1);
}
