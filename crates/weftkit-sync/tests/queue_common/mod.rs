//! Behaviour every queue flavour shares, after CPython's test_queue (BaseQueueTestMixin,
//! the 3.13 shutdown tests), written once and stamped out for each type by
//! `queue_behaviour!`; and the single-threaded model check, `model_check!`.
//!
//! Shared tests never depend on the order items leave in: they use one item at a time,
//! or compare sorted contents. The order tests live in each type's own file.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt::Debug;
use std::time::Duration;

/// How long a test gives a thread to misbehave before checking it did not (never an
/// assertion about time: the check holds however slow the machine is).
pub(crate) const GRACE: Duration = Duration::from_millis(20);

/// Spins (yielding) until the queue's `Debug` snapshot contains `needle`, e.g.
/// `"waiting_getters: 1"`: the way a test knows a thread is parked inside a call.
pub(crate) fn wait_for_debug(queue: &impl Debug, needle: &str) {
    while !format!("{queue:?}").contains(needle) {
        std::thread::yield_now();
    }
}

/// One step of the model check.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Op {
    TryPut(u8),
    TryGet,
    Len,
    IsEmpty,
    IsFull,
    TaskDone,
}

/// The operations the model check draws from.
pub(crate) fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        3 => any::<u8>().prop_map(Op::TryPut),
        3 => Just(Op::TryGet),
        1 => Just(Op::Len),
        1 => Just(Op::IsEmpty),
        1 => Just(Op::IsFull),
        1 => Just(Op::TaskDone),
    ]
}

/// The obviously-right sequential store a queue flavour is checked against.
pub(crate) trait Model: Default {
    fn push(&mut self, item: u8);
    fn pop(&mut self) -> Option<u8>;
    fn len(&self) -> usize;
}

impl Model for VecDeque<u8> {
    fn push(&mut self, item: u8) {
        self.push_back(item);
    }
    fn pop(&mut self) -> Option<u8> {
        self.pop_front()
    }
    fn len(&self) -> usize {
        VecDeque::len(self)
    }
}

impl Model for Vec<u8> {
    fn push(&mut self, item: u8) {
        Vec::push(self, item);
    }
    fn pop(&mut self) -> Option<u8> {
        Vec::pop(self)
    }
    fn len(&self) -> usize {
        Vec::len(self)
    }
}

impl Model for BinaryHeap<Reverse<u8>> {
    fn push(&mut self, item: u8) {
        BinaryHeap::push(self, Reverse(item));
    }
    fn pop(&mut self) -> Option<u8> {
        BinaryHeap::pop(self).map(|Reverse(item)| item)
    }
    fn len(&self) -> usize {
        BinaryHeap::len(self)
    }
}

/// A proptest: random `try_put`/`try_get`/`len`/`is_empty`/`is_full`/`task_done`
/// sequences on `$Q<u8>`, bounded and unbounded, agree with `$Model` step by step.
macro_rules! model_check {
    ($Q:ident, $Model:ty) => {
        proptest::proptest! {
            #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

            #[test]
            fn agrees_with_a_sequential_model(
                capacity in proptest::option::of(1usize..6),
                ops in proptest::collection::vec(crate::common::op(), 0..80),
            ) {
                use crate::common::{Model, Op};
                use weftkit_sync::{GetError, PutError, TaskDoneError};

                let queue = match capacity {
                    Some(n) => $Q::bounded(n).unwrap(),
                    None => $Q::unbounded(),
                };
                let mut model = <$Model>::default();
                let mut unfinished = 0usize;
                for op in ops {
                    match op {
                        Op::TryPut(item) => {
                            if capacity.is_some_and(|n| Model::len(&model) >= n) {
                                proptest::prop_assert_eq!(queue.try_put(item), Err(PutError::Full(item)));
                            } else {
                                proptest::prop_assert_eq!(queue.try_put(item), Ok(()));
                                Model::push(&mut model, item);
                                unfinished += 1;
                            }
                        }
                        Op::TryGet => {
                            proptest::prop_assert_eq!(queue.try_get(), Model::pop(&mut model).ok_or(GetError::Empty));
                        }
                        Op::Len => proptest::prop_assert_eq!(queue.len(), Model::len(&model)),
                        Op::IsEmpty => proptest::prop_assert_eq!(queue.is_empty(), Model::len(&model) == 0),
                        Op::IsFull => proptest::prop_assert_eq!(
                            queue.is_full(),
                            capacity.is_some_and(|n| Model::len(&model) >= n)
                        ),
                        Op::TaskDone => {
                            if unfinished == 0 {
                                proptest::prop_assert_eq!(queue.task_done(), Err(TaskDoneError));
                            } else {
                                proptest::prop_assert_eq!(queue.task_done(), Ok(()));
                                unfinished -= 1;
                            }
                        }
                    }
                }
                proptest::prop_assert_eq!(queue.join_timeout(std::time::Duration::ZERO).is_ok(), unfinished == 0);
                proptest::prop_assert_eq!(queue.capacity(), capacity);
            }
        }
    };
}
pub(crate) use model_check;

/// Every test all three flavours must pass, for the queue type `$Q`.
macro_rules! queue_behaviour {
    ($Q:ident) => {
        use std::collections::HashSet;
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::time::Duration;

        use crate::common::{GRACE, wait_for_debug};
        use weftkit_sync::{
            ConfigError, GetError, PutError, QueueJoinError, StopToken, TaskDoneError,
        };
        use weftkit_testkit::{GENEROUS, watchdog};

        const _: () = {
            const fn send_sync<T: Send + Sync>() {}
            send_sync::<$Q<String>>();
            send_sync::<PutError<String>>();
        };

        // --- construction and the snapshot accessors (CPython: test_basic, maxsize)

        #[test]
        fn bounded_zero_is_a_config_error_not_an_infinite_queue() {
            assert_eq!($Q::<u8>::bounded(0).err(), Some(ConfigError::ZeroCapacity));
        }

        #[test]
        fn capacity_len_is_empty_is_full() {
            let q = $Q::bounded(2).unwrap();
            assert_eq!(q.capacity(), Some(2));
            assert!(q.is_empty() && !q.is_full());
            q.put(1).unwrap();
            assert_eq!(q.len(), 1);
            assert!(!q.is_empty() && !q.is_full());
            q.put(2).unwrap();
            assert!(q.is_full());
            q.get().unwrap();
            assert!(!q.is_full());

            let unbounded = $Q::unbounded();
            for i in 0..1000 {
                unbounded.put(i).unwrap();
            }
            assert_eq!(unbounded.capacity(), None);
            assert_eq!(unbounded.len(), 1000);
            assert!(!unbounded.is_full(), "an unbounded queue is never full");
        }

        #[test]
        fn debug_shows_counts_without_requiring_t_debug() {
            #[derive(PartialEq, Eq, PartialOrd, Ord)]
            struct Opaque;
            let q = $Q::bounded(3).unwrap();
            q.put(Opaque).unwrap();
            let shown = format!("{q:?}");
            assert!(shown.starts_with(stringify!($Q)), "{shown}");
            assert!(shown.contains("len: 1"), "{shown}");
            assert!(shown.contains("capacity: Some(3)"), "{shown}");
            assert!(shown.contains("shut_down: false"), "{shown}");
        }

        // --- the non-blocking forms (CPython: test_nowait)

        #[test]
        fn try_put_on_a_full_queue_returns_full_with_the_item() {
            let q = $Q::bounded(1).unwrap();
            q.try_put(String::from("first")).unwrap();
            let err = q.try_put(String::from("second")).unwrap_err();
            assert!(matches!(err, PutError::Full(_)));
            assert_eq!(err.into_inner(), "second");
            assert_eq!(q.len(), 1);
        }

        #[test]
        fn try_get_on_an_empty_queue_returns_empty() {
            let q = $Q::<u8>::unbounded();
            assert_eq!(q.try_get(), Err(GetError::Empty));
            q.put(3).unwrap();
            assert_eq!(q.try_get(), Ok(3));
            assert_eq!(q.try_get(), Err(GetError::Empty));
        }

        // --- the timed forms (CPython: "timeouts raise Full/Empty", zero timeout)

        #[test]
        fn put_timeout_on_a_full_queue_returns_timed_out_with_the_item() {
            let q = $Q::bounded(1).unwrap();
            q.put(vec![1]).unwrap();
            let err = q
                .put_timeout(vec![2], Duration::from_millis(10))
                .unwrap_err();
            assert_eq!(err, PutError::TimedOut(vec![2]));
            assert_eq!(q.len(), 1);
        }

        #[test]
        fn get_timeout_on_an_empty_queue_returns_timed_out() {
            let q = $Q::<u8>::bounded(1).unwrap();
            assert_eq!(
                q.get_timeout(Duration::from_millis(10)),
                Err(GetError::TimedOut)
            );
        }

        #[test]
        fn zero_timeout_succeeds_when_possible_and_times_out_otherwise() {
            let q = $Q::bounded(1).unwrap();
            assert_eq!(q.get_timeout(Duration::ZERO), Err(GetError::TimedOut));
            assert_eq!(q.put_timeout(1, Duration::ZERO), Ok(()));
            assert_eq!(q.put_timeout(2, Duration::ZERO), Err(PutError::TimedOut(2)));
            assert_eq!(q.get_timeout(Duration::ZERO), Ok(1));
        }

        #[test]
        fn huge_timeout_means_wait_forever_not_overflow() {
            let q = $Q::bounded(1).unwrap();
            assert_eq!(q.put_timeout(5, Duration::MAX), Ok(()));
            assert_eq!(q.get_timeout(Duration::MAX), Ok(5));
            q.task_done().unwrap();
            assert_eq!(q.join_timeout(Duration::MAX), Ok(()));
        }

        #[test]
        fn put_timeout_succeeds_when_a_slot_frees_in_time() {
            watchdog(|| {
                let q = $Q::bounded(1).unwrap();
                q.put(1).unwrap();
                std::thread::scope(|s| {
                    let putter = s.spawn(|| q.put_timeout(2, GENEROUS));
                    wait_for_debug(&q, "waiting_putters: 1");
                    assert_eq!(q.get(), Ok(1));
                    assert_eq!(putter.join().unwrap(), Ok(()));
                });
                assert_eq!(q.try_get(), Ok(2));
            });
        }

        #[test]
        fn get_timeout_succeeds_when_an_item_arrives_in_time() {
            watchdog(|| {
                let q = $Q::unbounded();
                std::thread::scope(|s| {
                    let getter = s.spawn(|| q.get_timeout(GENEROUS));
                    wait_for_debug(&q, "waiting_getters: 1");
                    q.put(9).unwrap();
                    assert_eq!(getter.join().unwrap(), Ok(9));
                });
            });
        }

        // --- blocking (CPython: test_basic's blocking put/get through a trigger thread)

        #[test]
        fn capacity_one_put_blocks_until_a_get() {
            watchdog(|| {
                let q = $Q::bounded(1).unwrap();
                let second_put_done = AtomicBool::new(false);
                q.put(1).unwrap();
                std::thread::scope(|s| {
                    s.spawn(|| {
                        q.put(2).unwrap();
                        second_put_done.store(true, Ordering::SeqCst);
                    });
                    wait_for_debug(&q, "waiting_putters: 1");
                    std::thread::sleep(GRACE);
                    assert!(
                        !second_put_done.load(Ordering::SeqCst),
                        "put into a full queue returned"
                    );
                    assert_eq!(q.get(), Ok(1));
                });
                assert!(second_put_done.load(Ordering::SeqCst));
                assert_eq!(q.get(), Ok(2));
            });
        }

        #[test]
        fn get_blocks_until_a_put() {
            watchdog(|| {
                let q = $Q::unbounded();
                std::thread::scope(|s| {
                    let getter = s.spawn(|| q.get());
                    wait_for_debug(&q, "waiting_getters: 1");
                    q.put(String::from("hello")).unwrap();
                    assert_eq!(getter.join().unwrap().as_deref(), Ok("hello"));
                });
            });
        }

        #[test]
        fn each_put_wakes_one_of_several_parked_getters() {
            watchdog(|| {
                let q = $Q::unbounded();
                std::thread::scope(|s| {
                    let getters: Vec<_> = (0..3).map(|_| s.spawn(|| q.get())).collect();
                    wait_for_debug(&q, "waiting_getters: 3");
                    for i in 0..3 {
                        q.put(i).unwrap();
                    }
                    let mut got: Vec<_> = getters
                        .into_iter()
                        .map(|g| g.join().unwrap().unwrap())
                        .collect();
                    got.sort_unstable();
                    assert_eq!(got, [0, 1, 2]);
                });
            });
        }

        /// 4 producers and 4 consumers pass 100 000 items through a small queue; every
        /// item arrives exactly once. The consumers stop at the shutdown that follows
        /// the producers.
        #[test]
        fn many_producers_and_consumers_receive_every_item_exactly_once() {
            watchdog(|| {
                const PRODUCERS: u64 = 4;
                const PER_PRODUCER: u64 = 25_000;
                for q in [$Q::bounded(8).unwrap(), $Q::unbounded()] {
                    let received = std::thread::scope(|s| {
                        let consumers: Vec<_> = (0..4)
                            .map(|_| {
                                s.spawn(|| {
                                    let mut got = Vec::new();
                                    loop {
                                        match q.get() {
                                            Ok(item) => got.push(item),
                                            Err(GetError::ShutDown) => return got,
                                            Err(e) => panic!("unexpected {e}"),
                                        }
                                    }
                                })
                            })
                            .collect();
                        std::thread::scope(|p| {
                            for producer in 0..PRODUCERS {
                                let q = &q;
                                p.spawn(move || {
                                    for i in 0..PER_PRODUCER {
                                        q.put(producer * PER_PRODUCER + i).unwrap();
                                    }
                                });
                            }
                        });
                        q.shutdown(false);
                        consumers
                            .into_iter()
                            .flat_map(|c| c.join().unwrap())
                            .collect::<Vec<u64>>()
                    });
                    let total = PRODUCERS * PER_PRODUCER;
                    assert_eq!(
                        received.len() as u64,
                        total,
                        "an item was lost or duplicated"
                    );
                    let seen: HashSet<u64> = received.into_iter().collect();
                    assert_eq!(seen.len() as u64, total, "an item arrived twice");
                    assert!(seen.iter().all(|&i| i < total));
                    assert!(q.is_empty());
                }
            });
        }

        /// Getters with tiny timeouts race the producers: an item is either received
        /// or still queued afterwards, never stranded by a getter that gave up.
        #[test]
        fn timed_out_getters_never_lose_an_item() {
            watchdog(|| {
                const ITEMS: usize = 20_000;
                let q = $Q::bounded(4).unwrap();
                let received = AtomicUsize::new(0);
                let producers_done = AtomicBool::new(false);
                std::thread::scope(|s| {
                    for _ in 0..3 {
                        s.spawn(|| {
                            while !producers_done.load(Ordering::SeqCst) || !q.is_empty() {
                                match q.get_timeout(Duration::from_micros(50)) {
                                    Ok(_) => {
                                        received.fetch_add(1, Ordering::SeqCst);
                                    }
                                    Err(GetError::TimedOut) => {}
                                    Err(e) => panic!("unexpected {e}"),
                                }
                            }
                        });
                    }
                    std::thread::scope(|p| {
                        for _ in 0..2 {
                            p.spawn(|| {
                                for i in 0..ITEMS / 2 {
                                    q.put(i).unwrap();
                                }
                            });
                        }
                    });
                    producers_done.store(true, Ordering::SeqCst);
                });
                assert_eq!(received.load(Ordering::SeqCst) + q.len(), ITEMS);
            });
        }

        /// Putters with tiny timeouts race a consumer on a queue of one slot: every put
        /// that reported success is received, every refused item came back.
        #[test]
        fn timed_out_putters_never_lose_a_slot_or_an_item() {
            watchdog(|| {
                const ATTEMPTS: usize = 5_000;
                let q = $Q::bounded(1).unwrap();
                let accepted = AtomicUsize::new(0);
                let putters_done = AtomicBool::new(false);
                let received = std::thread::scope(|s| {
                    let consumer = s.spawn(|| {
                        let mut received = 0usize;
                        loop {
                            match q.get_timeout(Duration::from_micros(100)) {
                                Ok(_) => received += 1,
                                Err(GetError::TimedOut) if putters_done.load(Ordering::SeqCst) => {
                                    // Nothing left in flight: drain what the last puts left.
                                    while q.try_get().is_ok() {
                                        received += 1;
                                    }
                                    return received;
                                }
                                Err(GetError::TimedOut) => {}
                                Err(e) => panic!("unexpected {e}"),
                            }
                        }
                    });
                    std::thread::scope(|p| {
                        for _ in 0..3 {
                            p.spawn(|| {
                                for i in 0..ATTEMPTS {
                                    match q.put_timeout(i, Duration::from_micros(20)) {
                                        Ok(()) => {
                                            accepted.fetch_add(1, Ordering::SeqCst);
                                        }
                                        Err(PutError::TimedOut(back)) => assert_eq!(back, i),
                                        Err(e) => panic!("unexpected {e}"),
                                    }
                                }
                            });
                        }
                    });
                    putters_done.store(true, Ordering::SeqCst);
                    consumer.join().unwrap()
                });
                assert_eq!(received, accepted.load(Ordering::SeqCst));
                assert!(q.is_empty());
            });
        }

        // --- task_done and join (CPython: test_queue_task_done, test_queue_join)

        #[test]
        fn join_with_nothing_pending_returns_at_once() {
            let q = $Q::<u8>::unbounded();
            assert_eq!(q.join(), Ok(()));
            assert_eq!(q.join_timeout(Duration::ZERO), Ok(()));
            assert_eq!(q.join_stoppable(&StopToken::new()), Ok(()));
        }

        #[test]
        fn task_done_called_too_often_is_an_error_and_leaves_the_count_alone() {
            watchdog(|| {
                let q = $Q::unbounded();
                assert_eq!(q.task_done(), Err(TaskDoneError));
                q.put(1).unwrap();
                q.put(2).unwrap();
                assert_eq!(q.task_done(), Ok(()));
                assert_eq!(q.task_done(), Ok(()));
                assert_eq!(q.task_done(), Err(TaskDoneError));
                // The failed calls did not push the count below zero: one more item needs
                // exactly one more task_done before join returns.
                q.put(3).unwrap();
                assert_eq!(
                    q.join_timeout(Duration::from_millis(5)),
                    Err(QueueJoinError::TimedOut)
                );
                assert_eq!(q.task_done(), Ok(()));
                assert_eq!(q.join(), Ok(()));
            });
        }

        #[test]
        fn join_waits_until_workers_mark_every_item_done() {
            watchdog(|| {
                let q = $Q::bounded(10).unwrap();
                let total = AtomicUsize::new(0);
                std::thread::scope(|s| {
                    for _ in 0..2 {
                        s.spawn(|| {
                            while let Ok(item) = q.get() {
                                total.fetch_add(item, Ordering::SeqCst);
                                q.task_done().unwrap();
                            }
                        });
                    }
                    for round in 0..2 {
                        for i in 0..100 {
                            q.put(i).unwrap();
                        }
                        q.join().unwrap();
                        // join returned, so every item of this round was done.
                        assert_eq!(total.load(Ordering::SeqCst), (round + 1) * 4950);
                    }
                    q.shutdown(false);
                });
            });
        }

        #[test]
        fn task_done_wakes_every_joiner() {
            watchdog(|| {
                let q = $Q::unbounded();
                q.put(1).unwrap();
                std::thread::scope(|s| {
                    let joiners: Vec<_> = (0..3).map(|_| s.spawn(|| q.join())).collect();
                    wait_for_debug(&q, "waiting_joiners: 3");
                    q.get().unwrap();
                    q.task_done().unwrap();
                    for j in joiners {
                        assert_eq!(j.join().unwrap(), Ok(()));
                    }
                });
            });
        }

        #[test]
        fn join_timeout_returns_timed_out_while_items_are_unfinished() {
            let q = $Q::unbounded();
            q.put(1).unwrap();
            q.get().unwrap(); // taken but not done: still unfinished
            assert_eq!(
                q.join_timeout(Duration::from_millis(10)),
                Err(QueueJoinError::TimedOut)
            );
        }

        // --- shutdown (CPython 3.13: test_shutdown_*)

        #[test]
        fn shutdown_non_immediate_drains_then_reports_shut_down() {
            let q = $Q::unbounded();
            for i in 0..3 {
                q.put(i).unwrap();
            }
            q.shutdown(false);
            assert!(q.is_shut_down());
            assert_eq!(q.put(9), Err(PutError::ShutDown(9)));
            assert_eq!(q.try_put(9), Err(PutError::ShutDown(9)));
            let mut got = vec![
                q.get().unwrap(),
                q.try_get().unwrap(),
                q.get_timeout(GENEROUS).unwrap(),
            ];
            got.sort_unstable();
            assert_eq!(got, [0, 1, 2]);
            assert_eq!(q.get(), Err(GetError::ShutDown));
            assert_eq!(q.try_get(), Err(GetError::ShutDown));
            assert_eq!(q.get_timeout(GENEROUS), Err(GetError::ShutDown));
            assert_eq!(q.get_stoppable(&StopToken::new()), Err(GetError::ShutDown));
        }

        #[test]
        fn shutdown_non_immediate_leaves_join_waiting_for_task_done() {
            watchdog(|| {
                let q = $Q::unbounded();
                q.put(1).unwrap();
                q.shutdown(false);
                assert_eq!(
                    q.join_timeout(Duration::from_millis(5)),
                    Err(QueueJoinError::TimedOut)
                );
                q.get().unwrap();
                q.task_done().unwrap();
                assert_eq!(q.join(), Ok(()));
            });
        }

        #[test]
        fn shutdown_immediate_drops_the_items_and_fails_join() {
            let q = $Q::unbounded();
            q.put(1).unwrap();
            q.put(2).unwrap();
            q.shutdown(true);
            assert!(q.is_empty());
            assert_eq!(q.get(), Err(GetError::ShutDown));
            assert_eq!(q.put(3), Err(PutError::ShutDown(3)));
            assert_eq!(q.join(), Err(QueueJoinError::ShutDown));
            assert_eq!(q.join_timeout(GENEROUS), Err(QueueJoinError::ShutDown));
            // The dropped items no longer count as unfinished.
            assert_eq!(q.task_done(), Err(TaskDoneError));
        }

        #[test]
        fn shutdown_immediate_with_nothing_unfinished_lets_join_succeed() {
            let q = $Q::unbounded();
            q.put(1).unwrap();
            q.get().unwrap();
            q.task_done().unwrap();
            q.shutdown(true);
            assert_eq!(q.join(), Ok(()));
        }

        #[test]
        fn shutdown_immediate_after_non_immediate_drops_the_rest() {
            let q = $Q::unbounded();
            q.put(1).unwrap();
            q.put(2).unwrap();
            q.shutdown(false);
            assert!(q.get().is_ok());
            q.shutdown(true);
            assert_eq!(q.get(), Err(GetError::ShutDown));
            assert_eq!(q.join(), Err(QueueJoinError::ShutDown));
        }

        #[test]
        fn shutdown_wakes_a_blocked_get() {
            for immediate in [false, true] {
                watchdog(move || {
                    let q = $Q::<u8>::unbounded();
                    std::thread::scope(|s| {
                        let getters: Vec<_> = (0..2).map(|_| s.spawn(|| q.get())).collect();
                        wait_for_debug(&q, "waiting_getters: 2");
                        q.shutdown(immediate);
                        for g in getters {
                            assert_eq!(g.join().unwrap(), Err(GetError::ShutDown));
                        }
                    });
                });
            }
        }

        #[test]
        fn shutdown_wakes_a_blocked_put_and_hands_the_item_back() {
            for immediate in [false, true] {
                watchdog(move || {
                    let q = $Q::bounded(1).unwrap();
                    q.put(String::from("queued")).unwrap();
                    std::thread::scope(|s| {
                        let putter = s.spawn(|| q.put(String::from("blocked")));
                        let timed = s.spawn(|| q.put_timeout(String::from("timed"), GENEROUS));
                        wait_for_debug(&q, "waiting_putters: 2");
                        q.shutdown(immediate);
                        assert_eq!(
                            putter.join().unwrap(),
                            Err(PutError::ShutDown("blocked".into()))
                        );
                        assert_eq!(
                            timed.join().unwrap(),
                            Err(PutError::ShutDown("timed".into()))
                        );
                    });
                    assert_eq!(q.len(), usize::from(!immediate));
                });
            }
        }

        #[test]
        fn shutdown_immediate_wakes_a_blocked_join_with_an_error() {
            watchdog(|| {
                let q = $Q::unbounded();
                q.put(1).unwrap();
                std::thread::scope(|s| {
                    let joiner = s.spawn(|| q.join());
                    let timed = s.spawn(|| q.join_timeout(GENEROUS));
                    wait_for_debug(&q, "waiting_joiners: 2");
                    q.shutdown(true);
                    assert_eq!(joiner.join().unwrap(), Err(QueueJoinError::ShutDown));
                    assert_eq!(timed.join().unwrap(), Err(QueueJoinError::ShutDown));
                });
            });
        }

        /// An item dropped by `shutdown(true)` may use the queue in its `Drop`: the
        /// queue drops it outside its lock.
        #[test]
        fn shutdown_immediate_drops_items_outside_the_lock() {
            watchdog(|| {
                /// Holds the queue it sits in, and counts its drops.
                struct LooksBack(Arc<$Q<LooksBack>>, Arc<AtomicUsize>);
                // All equal: enough for the priority queue's `Ord` bound.
                impl PartialEq for LooksBack {
                    fn eq(&self, _: &Self) -> bool {
                        true
                    }
                }
                impl Eq for LooksBack {}
                impl PartialOrd for LooksBack {
                    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                        Some(self.cmp(other))
                    }
                }
                impl Ord for LooksBack {
                    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
                        std::cmp::Ordering::Equal
                    }
                }
                impl Drop for LooksBack {
                    fn drop(&mut self) {
                        self.1.fetch_add(self.0.len() + 1, Ordering::SeqCst);
                    }
                }
                let q = Arc::new($Q::unbounded());
                let dropped = Arc::new(AtomicUsize::new(0));
                for _ in 0..2 {
                    q.put(LooksBack(Arc::clone(&q), Arc::clone(&dropped)))
                        .unwrap();
                }
                q.shutdown(true);
                assert_eq!(dropped.load(Ordering::SeqCst), 2);
            });
        }

        // --- stop tokens (no CPython counterpart: Python cannot interrupt a get)

        #[test]
        fn stop_wakes_a_blocked_get() {
            watchdog(|| {
                let q = $Q::<u8>::unbounded();
                let token = StopToken::new();
                std::thread::scope(|s| {
                    let getter = s.spawn(|| q.get_stoppable(&token));
                    wait_for_debug(&q, "waiting_getters: 1");
                    token.stop();
                    assert_eq!(getter.join().unwrap(), Err(GetError::Stopped));
                });
                assert!(format!("{q:?}").contains("waiting_getters: 0"));
            });
        }

        #[test]
        fn stop_wakes_a_blocked_put_and_hands_the_item_back() {
            watchdog(|| {
                let q = $Q::bounded(1).unwrap();
                let token = StopToken::new();
                q.put(1).unwrap();
                std::thread::scope(|s| {
                    let putter = s.spawn(|| q.put_stoppable(2, &token));
                    wait_for_debug(&q, "waiting_putters: 1");
                    token.stop();
                    assert_eq!(putter.join().unwrap(), Err(PutError::Stopped(2)));
                });
                assert_eq!(q.try_get(), Ok(1));
                assert_eq!(q.try_get(), Err(GetError::Empty));
            });
        }

        #[test]
        fn stop_wakes_a_blocked_join() {
            watchdog(|| {
                let q = $Q::unbounded();
                let token = StopToken::new();
                q.put(1).unwrap();
                std::thread::scope(|s| {
                    let joiner = s.spawn(|| q.join_stoppable(&token));
                    wait_for_debug(&q, "waiting_joiners: 1");
                    token.stop();
                    assert_eq!(joiner.join().unwrap(), Err(QueueJoinError::Stopped));
                });
            });
        }

        #[test]
        fn a_stopped_token_only_stops_waits_not_calls_that_need_no_wait() {
            let q = $Q::bounded(1).unwrap();
            let token = StopToken::new();
            token.stop();
            assert_eq!(q.get_stoppable(&token), Err(GetError::Stopped));
            assert_eq!(q.put_stoppable(1, &token), Ok(()));
            assert_eq!(q.put_stoppable(2, &token), Err(PutError::Stopped(2)));
            assert_eq!(q.get_stoppable(&token), Ok(1));
            assert_eq!(q.join_stoppable(&token), Err(QueueJoinError::Stopped));
            q.task_done().unwrap();
            assert_eq!(q.join_stoppable(&token), Ok(()));
        }
    };
}
pub(crate) use queue_behaviour;
