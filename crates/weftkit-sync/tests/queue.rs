//! Behaviour of `Queue` (first in, first out), after CPython's test_queue.

#[path = "queue_common/mod.rs"]
mod common;

/// What every flavour does (queue_common/mod.rs).
mod shared {
    use weftkit_sync::Queue;
    crate::common::queue_behaviour!(Queue);
}

/// Random single-threaded runs agree with a `VecDeque`.
mod model {
    use weftkit_sync::Queue;
    crate::common::model_check!(Queue, std::collections::VecDeque<u8>);
}

use weftkit_sync::{GetError, PutError, Queue, StopToken};
use weftkit_testkit::watchdog;

use std::time::Duration;

#[test]
fn items_come_out_in_the_order_they_were_put() {
    let q = Queue::bounded(5).unwrap();
    for i in [3, 1, 4, 1, 5] {
        q.put(i).unwrap();
    }
    let got: Vec<_> = std::iter::from_fn(|| q.try_get().ok()).collect();
    assert_eq!(got, [3, 1, 4, 1, 5]);
    assert_eq!(q.try_get(), Err(GetError::Empty));
}

/// CPython's simple_queue_test on a queue of capacity 3: fill, overfill through a
/// blocked put, drain in order.
#[test]
fn simple_queue_test_fill_block_drain_in_order() {
    watchdog(|| {
        let q = Queue::bounded(3).unwrap();
        for i in [111, 333, 222] {
            q.put(i).unwrap();
        }
        assert!(q.is_full());
        std::thread::scope(|s| {
            s.spawn(|| q.put(444).unwrap()); // blocks until the first get
            common::wait_for_debug(&q, "waiting_putters: 1");
            assert_eq!(q.get(), Ok(111));
        });
        let rest: Vec<_> = std::iter::from_fn(|| q.try_get().ok()).collect();
        assert_eq!(rest, [333, 222, 444]);
    });
}

/// Each producer's items stay in its order, whatever the interleaving.
#[test]
fn each_producers_items_arrive_in_its_order() {
    watchdog(|| {
        let q = Queue::bounded(4).unwrap();
        let got = std::thread::scope(|s| {
            for producer in 0..3u32 {
                let q = &q;
                s.spawn(move || {
                    for i in 0..2_000u32 {
                        q.put((producer, i)).unwrap();
                    }
                });
            }
            (0..6_000).map(|_| q.get().unwrap()).collect::<Vec<_>>()
        });
        let mut next = [0u32; 3];
        for (producer, i) in got {
            assert_eq!(
                i, next[producer as usize],
                "producer {producer} out of order"
            );
            next[producer as usize] += 1;
        }
        assert_eq!(next, [2_000; 3]);
    });
}

/// Python's `get(timeout=0)` on an empty queue raises `Empty` at once
/// (`remaining <= 0`); here that is `TimedOut`, with no back-off first. Also while
/// another getter is parked on the same queue.
#[test]
fn get_with_zero_timeout_on_empty_queue_gives_up_at_once() {
    watchdog(|| {
        let q = Queue::<u32>::bounded(2).unwrap();
        assert_eq!(q.get_timeout(Duration::ZERO), Err(GetError::TimedOut));
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(q.get(), Ok(7)));
            common::wait_for_debug(&q, "waiting_getters: 1");
            assert_eq!(q.get_timeout(Duration::ZERO), Err(GetError::TimedOut));
            q.put(7).unwrap();
        });
    });
}

/// Python's `put(item, timeout=0)` on a full queue raises `Full` at once; here that is
/// `TimedOut(item)`. Also while another putter is parked on the same queue.
#[test]
fn put_with_zero_timeout_on_full_queue_gives_up_at_once() {
    watchdog(|| {
        let q = Queue::bounded(1).unwrap();
        q.put(1).unwrap();
        assert_eq!(q.put_timeout(2, Duration::ZERO), Err(PutError::TimedOut(2)));
        std::thread::scope(|s| {
            s.spawn(|| q.put(3).unwrap());
            common::wait_for_debug(&q, "waiting_putters: 1");
            assert_eq!(q.put_timeout(4, Duration::ZERO), Err(PutError::TimedOut(4)));
            assert_eq!(q.get(), Ok(1));
        });
        assert_eq!(q.try_get(), Ok(3));
    });
}

/// A stoppable get or put whose token has already fired returns `Stopped` without
/// waiting when it cannot proceed, also while other threads are parked on the queue.
#[test]
fn stoppable_calls_with_a_fired_token_stop_at_once() {
    watchdog(|| {
        let token = StopToken::new();
        token.stop();
        let q = Queue::bounded(1).unwrap();
        assert_eq!(q.get_stoppable(&token), Err(GetError::Stopped));
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(q.get(), Ok(5)));
            common::wait_for_debug(&q, "waiting_getters: 1");
            assert_eq!(q.get_stoppable(&token), Err(GetError::Stopped));
            q.put(5).unwrap();
        });
        q.put(1).unwrap();
        assert_eq!(q.put_stoppable(2, &token), Err(PutError::Stopped(2)));
        std::thread::scope(|s| {
            s.spawn(|| q.put(3).unwrap());
            common::wait_for_debug(&q, "waiting_putters: 1");
            assert_eq!(q.put_stoppable(4, &token), Err(PutError::Stopped(4)));
            assert_eq!(q.get(), Ok(1));
        });
        assert_eq!(q.try_get(), Ok(3));
    });
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

    /// Any interleaving of producers and consumers on a small ring: every item comes
    /// out exactly once, each consumer sees each producer's items in the order they
    /// were put (FIFO), and join returns once every item is marked done.
    #[test]
    fn concurrent_runs_keep_fifo_and_counts(
        capacity in 1usize..5,
        producers in 1u32..4,
        consumers in 1usize..4,
        per_producer in 0u32..200,
    ) {
        // Blocking puts and gets: a lost wake-up fails the case instead of hanging.
        watchdog(move || -> Result<(), proptest::test_runner::TestCaseError> {
            let q = Queue::bounded(capacity).unwrap();
            let total = (producers * per_producer) as usize;
            let taken = std::sync::atomic::AtomicUsize::new(0);
            let seen: Vec<Vec<(u32, u32)>> = std::thread::scope(|s| {
                for producer in 0..producers {
                    let q = &q;
                    s.spawn(move || {
                        for i in 0..per_producer {
                            q.put((producer, i)).unwrap();
                        }
                    });
                }
                let handles: Vec<_> = (0..consumers)
                    .map(|_| {
                        s.spawn(|| {
                            let mut got = Vec::new();
                            while taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                                got.push(q.get().unwrap());
                                q.task_done().unwrap();
                            }
                            got
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            proptest::prop_assert_eq!(q.join_timeout(std::time::Duration::ZERO), Ok(()));
            proptest::prop_assert!(q.task_done().is_err());
            let mut count = vec![0u32; producers as usize];
            for got in &seen {
                let mut last: Vec<Option<u32>> = vec![None; producers as usize];
                for &(producer, i) in got {
                    let p = producer as usize;
                    proptest::prop_assert!(last[p].is_none_or(|l| l < i), "producer {} out of order", producer);
                    last[p] = Some(i);
                    count[p] += 1;
                }
            }
            proptest::prop_assert!(count.iter().all(|&c| c == per_producer));
            proptest::prop_assert_eq!(q.len(), 0);
            Ok(())
        })?;
    }
}
