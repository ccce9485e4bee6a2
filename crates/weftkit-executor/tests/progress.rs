//! The `progress` feature: a bar over a map's or `as_completed`'s results that counts
//! every item taken, whatever the batching, and knows the length when the input does.
#![cfg(feature = "progress")]

use indicatif::ProgressBar;
use weftkit::executor::{Progress, ThreadPool, as_completed};
use weftkit_testkit::watchdog;

#[test]
fn the_bar_counts_every_result_of_a_map() {
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        let bar = ProgressBar::hidden();
        let sum: u64 = Progress::with_bar(pool.map(|n| n * 2, 0..100_000u64), bar.clone())
            .map(Result::unwrap)
            .sum();
        assert_eq!(sum, (0..100_000u64).map(|n| n * 2).sum::<u64>());
        assert_eq!(
            bar.position(),
            100_000,
            "batched updates add up to every item"
        );
        assert!(bar.is_finished());
    });
}

#[test]
fn a_map_knows_its_length_so_the_bar_has_an_eta() {
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        let ordered = pool.map(|n: u32| n, 0..500).progress();
        assert_eq!(ordered.bar().length(), Some(500));
        assert_eq!(ordered.count(), 500);
        let unordered = pool.map_unordered(|n: u32| n, 0..300).progress();
        assert_eq!(unordered.bar().length(), Some(300));
        assert_eq!(unordered.count(), 300);
        let endless = pool.map(|n: u64| n, 0u64..).progress();
        assert_eq!(endless.bar().length(), None, "an endless input counts up");
        assert_eq!(endless.take(10).count(), 10);
    });
}

#[test]
fn as_completed_shows_how_many_futures_are_done() {
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        let futures: Vec<_> = (0..64).map(|i| pool.submit(move || i).unwrap()).collect();
        let done = as_completed(futures).progress();
        assert_eq!(done.bar().length(), Some(64));
        let mut total = 0;
        for future in done {
            total += future.result().unwrap();
        }
        assert_eq!(total, (0..64).sum::<i32>());
    });
}

/// A map abandoned early leaves its bar at the items taken.
#[test]
fn an_abandoned_map_leaves_the_bar_where_it_got_to() {
    watchdog(|| {
        let pool = ThreadPool::builder().max_workers(2).build().unwrap();
        let bar = ProgressBar::hidden();
        let mut progress = Progress::with_bar(pool.map(|n: u32| n, 0..1_000), bar.clone());
        for _ in 0..37 {
            progress.next().unwrap().unwrap();
        }
        drop(progress);
        assert_eq!(bar.position(), 37);
    });
}

/// A run that turns slow after a fast start still moves the bar: pending items are
/// handed over once the slow threshold has passed, whatever the batch has grown to.
#[test]
fn the_bar_moves_when_items_turn_slow() {
    watchdog(|| {
        let bar = ProgressBar::hidden();
        let fast_then_slow = (0..20_000u32).chain((0..3).inspect(|_| {
            std::thread::sleep(std::time::Duration::from_millis(150));
        }));
        let mut progress = Progress::with_bar(fast_then_slow, bar.clone());
        for _ in 0..20_002 {
            progress.next().unwrap();
        }
        // The first slow item came more than the threshold after the last hand-over,
        // so everything taken before it is on the bar.
        assert!(
            bar.position() >= 20_001,
            "the bar froze at {}",
            bar.position()
        );
    });
}
