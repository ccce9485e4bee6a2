//! `ThreadPool::map` and `map_unordered`: input order (or every index once), one
//! `Result` per item, laziness with a bounded window of tasks in flight, endless
//! inputs; after CPython's test_map / test_map_exception / test_map_timeout.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use weftkit::executor::{TaskError, ThreadPool};
use weftkit_testkit::watchdog;

fn pool(workers: usize) -> ThreadPool {
    ThreadPool::builder().max_workers(workers).build().unwrap()
}

/// Busy work of varying length, so tasks finish out of input order.
fn jitter(i: u64) {
    if i.is_multiple_of(7) {
        std::thread::sleep(Duration::from_micros(300));
    }
}

/// Counts tasks running at once and remembers the most seen.
#[derive(Default)]
struct Concurrency {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl Concurrency {
    fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        let r = f();
        self.now.fetch_sub(1, Ordering::SeqCst);
        r
    }
}

// ---------------------------------------------------------------- map

/// CPython's test_map: results in input order.
#[test]
fn map_yields_results_in_input_order() {
    watchdog(|| {
        let pool = pool(4);
        let got: Vec<u64> = pool
            .map(
                |i| {
                    jitter(i);
                    i * i
                },
                0..500u64,
            )
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, (0..500u64).map(|i| i * i).collect::<Vec<_>>());
    });
}

/// CPython's test_map_exception stops at the error; here each item has its own
/// `Result` and the map goes on past failures.
#[test]
fn map_errors_are_per_item_and_do_not_stop_the_map() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = pool(2);
        let got: Vec<Result<u32, TaskError>> = pool
            .map(
                |i| {
                    assert!(i % 5 != 0, "item {i} (on purpose)");
                    i
                },
                0..20u32,
            )
            .collect();
        assert_eq!(got.len(), 20);
        for (i, r) in got.iter().enumerate() {
            if i % 5 == 0 {
                match r {
                    Err(TaskError::Panicked { message }) => {
                        assert!(message.contains(&format!("item {i} ")), "{message}");
                    }
                    other => panic!("item {i}: {other:?}"),
                }
            } else {
                assert_eq!(r, &Ok(i as u32));
            }
        }
        // Collecting into Result stops at the first error, as Python's map does.
        let first: Result<Vec<u32>, TaskError> = pool
            .map(
                |i| {
                    assert!(i != 3, "stop here (on purpose)");
                    i
                },
                1..20u32,
            )
            .collect();
        assert!(matches!(first, Err(TaskError::Panicked { .. })));
    });
}

#[test]
fn map_of_an_endless_iterator_with_take() {
    watchdog(|| {
        let pool = pool(2);
        let got: Vec<u64> = pool
            .map(|n| n + 1, 0u64..)
            .take(1000)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, (1..=1000).collect::<Vec<_>>());
    });
}

/// The window bounds the tasks in flight: with one item per task, at most `window`
/// items are taken from the input ahead of what was yielded, and at most `window` run
/// at once.
#[test]
fn map_window_bounds_tasks_in_flight() {
    watchdog(|| {
        let pool = pool(4);
        for window in [1, 2, 3] {
            let pulled = Arc::new(AtomicUsize::new(0));
            let running = Arc::new(Concurrency::default());
            let input = {
                let pulled = Arc::clone(&pulled);
                (0..200u64).inspect(move |_| {
                    pulled.fetch_add(1, Ordering::SeqCst);
                })
            };
            let task_running = Arc::clone(&running);
            let mut map = pool
                .map(
                    move |i| {
                        task_running.run(|| {
                            jitter(i);
                            i
                        })
                    },
                    input,
                )
                .chunksize(1)
                .window(window);
            let mut yielded = 0;
            for r in map.by_ref() {
                assert_eq!(r, Ok(yielded as u64));
                yielded += 1;
                let ahead = pulled.load(Ordering::SeqCst) - yielded;
                assert!(ahead < window, "{ahead} items in flight, window {window}");
            }
            assert_eq!(yielded, 200);
            let max = running.max.load(Ordering::SeqCst);
            assert!(max <= window, "{max} ran at once, window {window}");
            assert!(format!("{map:?}").contains(&format!("window: {window}")));
        }
    });
}

/// The default window is 4 tasks per worker, and a task holds at most 256 KiB of
/// items (32 Ki `u64`s): a slow consumer never lets a map run further ahead of it.
#[test]
fn map_default_window_bounds_the_items_taken_ahead() {
    watchdog(|| {
        let pool = pool(2);
        let pulled = Arc::new(AtomicUsize::new(0));
        let input = {
            let pulled = Arc::clone(&pulled);
            (0u64..).inspect(move |_| {
                pulled.fetch_add(1, Ordering::SeqCst);
            })
        };
        let mut map = pool.map(|n| n, input);
        for expected in 0..200_000u64 {
            assert_eq!(map.next(), Some(Ok(expected)));
            let ahead = pulled.load(Ordering::SeqCst) - expected as usize;
            assert!(ahead <= 8 * 32 * 1024 + 1, "{ahead} items taken ahead");
        }
        let debug = format!("{map:?}");
        assert!(debug.contains("window: 8"), "{debug}");
    });
}

#[test]
fn map_on_a_shut_down_pool_yields_shut_down_per_item() {
    watchdog(|| {
        let pool = pool(2);
        pool.shutdown(true, false);
        let got: Vec<_> = pool.map(|i| i, 0..3).collect();
        assert_eq!(got, vec![Err(TaskError::ShutDown); 3]);
        let got: Vec<_> = pool
            .map_unordered(|i| i, 0..3)
            .map(|(i, r)| (i, r.is_err()))
            .collect();
        assert_eq!(got.len(), 3);
        assert!(got.iter().all(|&(_, failed)| failed));
    });
}

/// A map consumed inside a one-worker pool's task helps run its own items.
#[test]
fn map_inside_a_one_worker_pool_helps() {
    watchdog(|| {
        let pool = Arc::new(pool(1));
        let inner = Arc::clone(&pool);
        let outer = pool
            .submit(move || {
                let ordered: u64 = inner.map(|i| i, 0..50u64).map(Result::unwrap).sum();
                let unordered: u64 = inner
                    .map_unordered(|i| i, 0..50u64)
                    .map(|(_, r)| r.unwrap())
                    .sum();
                (ordered, unordered)
            })
            .unwrap();
        assert_eq!(outer.result(), Ok((1225, 1225)));
    });
}

/// A map whose pool has a tiny queue still completes: items wait for room.
#[test]
fn map_with_a_tiny_queue_and_reject_policy_still_submits_every_item() {
    watchdog(|| {
        let pool = ThreadPool::builder()
            .max_workers(2)
            .queue_capacity(1)
            .when_full(weftkit::executor::WhenFull::Reject)
            .build()
            .unwrap();
        let got: Vec<u32> = pool
            .map(|i| i, 0..300u32)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, (0..300).collect::<Vec<_>>());
    });
}

// ---------------------------------------------------------------- map_unordered

#[test]
fn map_unordered_yields_every_index_once_with_its_result() {
    watchdog(|| {
        let pool = pool(4);
        let input: Vec<u64> = (0..500).map(|i| i * 3 + 1).collect();
        let mut seen = HashSet::new();
        for (index, result) in pool.map_unordered(
            |x| {
                jitter(x);
                x * 2
            },
            input.clone(),
        ) {
            assert!(seen.insert(index), "index {index} yielded twice");
            assert_eq!(result, Ok(input[index] * 2));
        }
        assert_eq!(seen.len(), 500);
    });
}

#[test]
fn map_unordered_window_bounds_tasks_in_flight() {
    watchdog(|| {
        let pool = pool(4);
        let running = Arc::new(Concurrency::default());
        let task_running = Arc::clone(&running);
        let map = pool
            .map_unordered(
                move |i| {
                    task_running.run(|| {
                        jitter(i);
                        i
                    })
                },
                0..300u64,
            )
            .window(2);
        assert!(format!("{map:?}").contains("window: 2"));
        let mut indices: Vec<usize> = map
            .map(|(i, r)| {
                assert_eq!(r, Ok(i as u64));
                i
            })
            .collect();
        indices.sort_unstable();
        assert_eq!(indices, (0..300).collect::<Vec<_>>());
        assert!(running.max.load(Ordering::SeqCst) <= 2);
    });
}

#[test]
fn map_unordered_reports_failures_per_index() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = pool(2);
        let mut failed: Vec<usize> = pool
            .map_unordered(
                |i| {
                    assert!(i % 10 != 3, "unordered {i} (on purpose)");
                    i
                },
                0..30usize,
            )
            .filter_map(|(i, r)| r.is_err().then_some(i))
            .collect();
        failed.sort_unstable();
        assert_eq!(failed, [3, 13, 23]);
    });
}

#[test]
fn map_unordered_of_an_endless_iterator_with_take() {
    watchdog(|| {
        let pool = pool(2);
        let got: Vec<(usize, Result<u64, TaskError>)> =
            pool.map_unordered(|n| n, 0u64..).take(100).collect();
        assert_eq!(got.len(), 100);
        assert!(got.iter().all(|(i, r)| r == &Ok(*i as u64)));
        let distinct: HashSet<usize> = got.iter().map(|(i, _)| *i).collect();
        assert_eq!(distinct.len(), 100);
    });
}

#[test]
fn dropping_a_map_cancels_the_tasks_it_has_not_started() {
    watchdog(|| {
        // One worker. Item 0 returns at once; item 1 then holds the worker on a gate,
        // so items 2.. of the window wait in the queue, and dropping the map must
        // cancel them rather than leave them to run.
        let pool = pool(1);
        let gate = Arc::new(weftkit::sync::Event::new());
        let ran = Arc::new(AtomicUsize::new(0));
        let (held, counter) = (Arc::clone(&gate), Arc::clone(&ran));
        let mut map = pool
            .map(
                move |i| {
                    if i > 0 {
                        held.wait();
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                },
                0..100u32,
            )
            .window(8);
        assert!(matches!(map.next(), Some(Ok(()))));
        drop(map);
        gate.set();
        pool.shutdown(true, false);
        let ran = ran.load(Ordering::SeqCst);
        assert!(
            ran <= 2,
            "{ran} items ran: those queued behind item 1 ran after the map was dropped"
        );
    });
}
