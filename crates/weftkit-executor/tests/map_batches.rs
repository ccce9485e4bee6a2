//! `ThreadPool::map` sends items to the workers in batches (adaptive by default, or
//! `chunksize(n)`): input order, one `Result` per item at its own position, laziness
//! with a bounded window, cancellation and stop on drop, and slow items spread over
//! the workers, whatever the batch size and whether the map is read with `next` or
//! with `fold` (`sum`, `for_each`, `count`).

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use weftkit::executor::{Map, TaskError, ThreadPool};
use weftkit_testkit::watchdog;

fn pool(workers: usize) -> ThreadPool {
    ThreadPool::builder().max_workers(workers).build().unwrap()
}

/// Applies the chunk setting: `None` keeps the adaptive default.
fn chunked<I: Iterator, F, R>(map: Map<'_, I, F, R>, chunk: Option<usize>) -> Map<'_, I, F, R> {
    match chunk {
        Some(n) => map.chunksize(n),
        None => map,
    }
}

/// A chunk setting: adaptive, or a fixed size (0 is taken as 1).
fn chunk_setting() -> impl Strategy<Value = Option<usize>> {
    prop_oneof![Just(None), (0usize..70).prop_map(Some)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Results come in input order, one per item, for any input length, chunk
    /// setting and window, read first with `next` and then with `fold`.
    #[test]
    fn order_is_kept(
        len in 0u64..3_000,
        chunk in chunk_setting(),
        window in 1usize..10,
        workers in 1usize..4,
        read_by_next in 0usize..3_000,
    ) {
        watchdog(move || {
            let pool = pool(workers);
            let mut map = chunked(pool.map(|i: u64| i * 3, 0..len), chunk).window(window);
            let mut got = Vec::new();
            for _ in 0..read_by_next {
                match map.next() {
                    Some(r) => got.push(r.unwrap()),
                    None => break,
                }
            }
            map.fold((), |(), r| got.push(r.unwrap()));
            assert_eq!(got, (0..len).map(|i| i * 3).collect::<Vec<_>>());
        });
    }

    /// A panicking item fails at its own position, and only there: the items around
    /// it, in the same batch, keep their results.
    #[test]
    fn failures_surface_at_their_item(
        len in 1usize..600,
        failing in proptest::collection::btree_set(0usize..600, 0..12),
        chunk in chunk_setting(),
        by_fold in any::<bool>(),
    ) {
        common::quiet_panics("(on purpose)");
        watchdog(move || {
            let pool = pool(2);
            let bad = Arc::new(failing.clone());
            let map = chunked(
                pool.map(
                    move |i: usize| {
                        assert!(!bad.contains(&i), "item {i} (on purpose)");
                        i
                    },
                    0..len,
                ),
                chunk,
            );
            let got: Vec<Result<usize, TaskError>> = if by_fold {
                map.fold(Vec::new(), |mut v, r| {
                    v.push(r);
                    v
                })
            } else {
                map.collect()
            };
            assert_eq!(got.len(), len);
            for (i, r) in got.into_iter().enumerate() {
                if failing.contains(&i) {
                    match r {
                        Err(TaskError::Panicked { message }) => {
                            assert!(message.contains(&format!("item {i} ")), "{message}");
                        }
                        other => panic!("item {i}: {other:?}"),
                    }
                } else {
                    assert_eq!(r, Ok(i));
                }
            }
        });
    }
}

/// An endless input works with any chunk setting: only what is needed (plus the
/// window) is taken from it.
#[test]
fn an_endless_input_is_read_lazily() {
    watchdog(|| {
        let pool = pool(2);
        for chunk in [None, Some(1), Some(7), Some(1_000)] {
            let pulled = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&pulled);
            let input = (0u64..).inspect(move |_| {
                counter.fetch_add(1, Ordering::SeqCst);
            });
            let got: Vec<u64> = chunked(pool.map(|n| n + 1, input), chunk)
                .window(3)
                .take(5_000)
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(got, (1..=5_000).collect::<Vec<_>>());
            // At most three batches beyond the one being read.
            let per_batch = chunk.unwrap_or(32 * 1024);
            let pulled = pulled.load(Ordering::SeqCst);
            assert!(
                pulled <= 5_000 + 3 * per_batch,
                "{chunk:?}: {pulled} pulled"
            );
        }
    });
}

/// With a fixed chunk size the window bounds the items taken ahead of the reader to
/// `window * chunksize`.
#[test]
fn the_window_bounds_items_taken_ahead() {
    watchdog(|| {
        let pool = pool(3);
        for (chunk, window) in [(1, 1), (5, 2), (64, 4), (3, 9)] {
            let pulled = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&pulled);
            let input = (0u64..2_000).inspect(move |_| {
                counter.fetch_add(1, Ordering::SeqCst);
            });
            let mut yielded = 0;
            for r in pool.map(|n| n, input).chunksize(chunk).window(window) {
                assert_eq!(r, Ok(yielded as u64));
                yielded += 1;
                let ahead = pulled.load(Ordering::SeqCst) - yielded;
                assert!(ahead < window * chunk, "{ahead} ahead, {window} x {chunk}");
            }
            assert_eq!(yielded, 2_000);
        }
    });
}

/// The first batches hold one item each: items that can only finish together (here,
/// at a barrier of two) are never stuck in one task behind each other.
#[test]
fn the_first_items_go_to_separate_tasks() {
    watchdog(|| {
        let pool = pool(2);
        let barrier = Arc::new(Barrier::new(2));
        let got: Vec<usize> = pool
            .map(
                move |i: usize| {
                    barrier.wait();
                    i
                },
                0..2,
            )
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got, [0, 1]);
    });
}

/// Slow items are not batched together: they spread over every worker (counted by
/// the threads that ran them).
#[test]
fn slow_items_spread_over_the_workers() {
    watchdog(|| {
        let pool = pool(2);
        let threads = Arc::new(Mutex::new(HashSet::new()));
        let seen = Arc::clone(&threads);
        let total: usize = pool
            .map(
                move |i: usize| {
                    seen.lock().unwrap().insert(std::thread::current().id());
                    std::thread::sleep(Duration::from_millis(2));
                    i
                },
                0..64,
            )
            .map(Result::unwrap)
            .sum();
        assert_eq!(total, (0..64).sum());
        assert_eq!(
            threads.lock().unwrap().len(),
            2,
            "every worker ran slow items"
        );
    });
}

/// Dropping a map whose batch is running asks that batch to stop: it skips the rest
/// of its items instead of mapping them for nobody.
#[test]
fn dropping_a_map_stops_its_running_batch() {
    watchdog(|| {
        let pool = pool(1);
        let gate = common::gate();
        let held = gate.event();
        let started = Arc::new(weftkit::sync::Event::new());
        let ran = Arc::new(AtomicUsize::new(0));
        let (counter, running) = (Arc::clone(&ran), Arc::clone(&started));
        let mut map = pool
            .map(
                move |i: u32| {
                    if i == 50_000 {
                        // The first item of the second batch waits, holding it running.
                        running.set();
                        held.wait();
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                },
                0..100_000u32,
            )
            .chunksize(50_000);
        assert_eq!(map.next(), Some(Ok(())));
        started.wait();
        drop(map);
        gate.set();
        pool.shutdown(true, false);
        let ran = ran.load(Ordering::SeqCst);
        assert!(ran > 50_000, "the first batch ran in full: {ran}");
        assert!(
            ran < 100_000,
            "the second batch ran on after the map was dropped: {ran}"
        );
    });
}

/// `count` and `for_each` (which read through `fold`) see every item.
#[test]
fn fold_based_adaptors_see_every_item() {
    watchdog(|| {
        let pool = pool(2);
        assert_eq!(pool.map(|n: u32| n, 0..50_000).count(), 50_000);
        let mut sum = 0u64;
        pool.map(|n: u64| n * 2, 0..50_000)
            .for_each(|r| sum += r.unwrap());
        assert_eq!(sum, (0..50_000u64).map(|n| n * 2).sum());
    });
}

/// Maps one after another on a thread reuse the buffers the previous one left, also
/// when a map of other types came in between, or one was dropped half read.
#[test]
fn maps_in_a_row_reuse_buffers_correctly() {
    watchdog(|| {
        let pool = pool(2);
        for round in 0..4u64 {
            let n = 100_000 + round * 12_345;
            let sum: u64 = pool
                .map(move |x: u64| x + round, 0..n)
                .map(Result::unwrap)
                .sum();
            assert_eq!(sum, (0..n).map(|x| x + round).sum());
            let words: Vec<String> = pool
                .map(|b: u8| b.to_string(), 0..=255u8)
                .chunksize(7)
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(
                words,
                (0..=255u8).map(|b| b.to_string()).collect::<Vec<_>>()
            );
            let mut half = pool.map(|x: u64| x * 2, 0..50_000u64);
            assert_eq!(half.by_ref().take(20_000).count(), 20_000);
            assert_eq!(half.next(), Some(Ok(40_000)));
        }
    });
}
