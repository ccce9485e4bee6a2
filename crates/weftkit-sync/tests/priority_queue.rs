//! Behaviour of `PriorityQueue` (smallest first), after CPython's test_queue.

#[path = "queue_common/mod.rs"]
mod common;

/// What every flavour does (queue_common/mod.rs).
mod shared {
    use weftkit_sync::PriorityQueue;
    crate::common::queue_behaviour!(PriorityQueue);
}

/// Random single-threaded runs agree with a `BinaryHeap` of `Reverse`d items.
mod model {
    use weftkit_sync::PriorityQueue;
    crate::common::model_check!(
        PriorityQueue,
        std::collections::BinaryHeap<std::cmp::Reverse<u8>>
    );
}

use std::cmp::Reverse;

use weftkit_sync::{GetError, PriorityQueue};
use weftkit_testkit::watchdog;

#[test]
fn the_smallest_item_comes_out_first() {
    let q = PriorityQueue::bounded(5).unwrap();
    for i in [3, 1, 4, 1, 5] {
        q.put(i).unwrap();
    }
    let got: Vec<_> = std::iter::from_fn(|| q.try_get().ok()).collect();
    assert_eq!(got, [1, 1, 3, 4, 5]);
    assert_eq!(q.try_get(), Err(GetError::Empty));
}

#[test]
fn reverse_gives_the_largest_first() {
    let q = PriorityQueue::unbounded();
    for i in [3, 1, 4] {
        q.put(Reverse(i)).unwrap();
    }
    assert_eq!(q.get(), Ok(Reverse(4)));
    assert_eq!(q.get(), Ok(Reverse(3)));
    assert_eq!(q.get(), Ok(Reverse(1)));
}

/// The documented recipe: `(priority, sequence, item)` keeps equal priorities in the
/// order they were put.
#[test]
fn a_sequence_number_keeps_equal_priorities_first_in_first_out() {
    let q = PriorityQueue::unbounded();
    let items = [(2, "c"), (1, "a"), (2, "d"), (1, "b"), (2, "e")];
    for (seq, (priority, item)) in items.into_iter().enumerate() {
        q.put((priority, seq, item)).unwrap();
    }
    let got: Vec<_> = std::iter::from_fn(|| q.try_get().ok())
        .map(|(_, _, item)| item)
        .collect();
    assert_eq!(got, ["a", "b", "c", "d", "e"]);
}

/// CPython's simple_queue_test for PriorityQueue: 111, 333, 222 put, a blocked put of
/// 444 lands after the first get (of 111), then 222, 333, 444.
#[test]
fn simple_queue_test_fill_block_drain_in_order() {
    watchdog(|| {
        let q = PriorityQueue::bounded(3).unwrap();
        for i in [111, 333, 222] {
            q.put(i).unwrap();
        }
        std::thread::scope(|s| {
            s.spawn(|| q.put(444).unwrap());
            common::wait_for_debug(&q, "waiting_putters: 1");
            assert_eq!(q.get(), Ok(111));
        });
        let rest: Vec<_> = std::iter::from_fn(|| q.try_get().ok()).collect();
        assert_eq!(rest, [222, 333, 444]);
    });
}

/// Items put by many threads still come out sorted once they are all in.
#[test]
fn concurrent_puts_come_out_sorted() {
    let q = PriorityQueue::unbounded();
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let q = &q;
            s.spawn(move || {
                for i in 0..500u32 {
                    q.put(i * 4 + t).unwrap();
                }
            });
        }
    });
    let got: Vec<_> = std::iter::from_fn(|| q.try_get().ok()).collect();
    assert_eq!(got, (0..2_000).collect::<Vec<_>>());
}
