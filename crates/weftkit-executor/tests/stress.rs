//! Bounded stress: hundreds of thousands of tasks from several submitter threads,
//! with random panics, random cancels and nested submits. Every future resolves
//! exactly once (its done callback runs once and its result is one of the expected
//! outcomes), and the pool's counts add up. A few seconds in release.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use weftkit::executor::{Future, TaskError, ThreadPool, WhenFull};
use weftkit_testkit::watchdog;

/// xorshift64*: a fixed-seed random stream per thread, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n)
    }
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    panicked: AtomicU64,
    cancelled: AtomicU64,
    cancel_succeeded: AtomicU64,
    /// `cancel` calls that returned `false` (the task was running or done).
    cancel_refused: AtomicU64,
    callbacks: AtomicU64,
    /// Nested tasks that ran (the pool counts them too).
    nested_ran: AtomicU64,
}

const SUBMITTERS: u64 = 4;
const PER_SUBMITTER: u64 = 100_000;

fn submitter(pool: &Arc<ThreadPool>, seed: u64, tally: &Arc<Tally>) {
    let mut rng = Rng(seed);
    let mut pending: Vec<(u64, Future<u64>)> = Vec::with_capacity(1024);
    let settle = |pending: &mut Vec<(u64, Future<u64>)>| {
        for (value, future) in pending.drain(..) {
            match future.result() {
                Ok(v) => {
                    assert_eq!(v, value);
                    tally.ok.fetch_add(1, Ordering::Relaxed);
                }
                Err(TaskError::Panicked { .. }) => {
                    tally.panicked.fetch_add(1, Ordering::Relaxed);
                }
                Err(TaskError::Cancelled) => {
                    tally.cancelled.fetch_add(1, Ordering::Relaxed);
                }
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
    };
    for n in 0..PER_SUBMITTER {
        let value = seed * PER_SUBMITTER + n;
        let panics = rng.one_in(50);
        let nested = rng.one_in(100);
        let inner = Arc::clone(pool);
        let counts = Arc::clone(tally);
        let future = pool
            .submit(move || {
                if nested {
                    // A nested submit-and-wait inside the storm.
                    let sub = inner
                        .submit(move || {
                            counts.nested_ran.fetch_add(1, Ordering::Relaxed);
                            value
                        })
                        .unwrap();
                    assert_eq!(sub.result(), Ok(value));
                }
                assert!(!panics, "stress (on purpose)");
                value
            })
            .unwrap();
        let callbacks = Arc::clone(tally);
        future.add_done_callback(move |_| {
            callbacks.callbacks.fetch_add(1, Ordering::Relaxed);
        });
        if rng.one_in(20) {
            if future.cancel() {
                tally.cancel_succeeded.fetch_add(1, Ordering::Relaxed);
            } else {
                tally.cancel_refused.fetch_add(1, Ordering::Relaxed);
            }
        }
        pending.push((value, future));
        if pending.len() == 1024 {
            settle(&mut pending);
        }
    }
    settle(&mut pending);
}

#[test]
fn every_future_resolves_exactly_once_and_counts_add_up() {
    common::quiet_panics("(on purpose)");
    watchdog(|| {
        let pool = Arc::new(
            ThreadPool::builder()
                .max_workers(4)
                .queue_capacity(4096)
                .build()
                .unwrap(),
        );
        let tally = Arc::new(Tally::default());
        std::thread::scope(|s| {
            for seed in 1..=SUBMITTERS {
                let (pool, tally) = (&pool, &tally);
                s.spawn(move || submitter(pool, seed, tally));
            }
        });
        let total = SUBMITTERS * PER_SUBMITTER;
        let ok = tally.ok.load(Ordering::Relaxed);
        let panicked = tally.panicked.load(Ordering::Relaxed);
        let cancelled = tally.cancelled.load(Ordering::Relaxed);
        assert_eq!(
            ok + panicked + cancelled,
            total,
            "every future resolved once"
        );
        // Python's contract: a cancel that returned `true` cancelled its future, and
        // one that returned `false` changed nothing (the task's result stands).
        let succeeded = tally.cancel_succeeded.load(Ordering::Relaxed);
        let refused = tally.cancel_refused.load(Ordering::Relaxed);
        assert_eq!(
            cancelled, succeeded,
            "cancelled futures are exactly the successful cancels ({refused} refused)"
        );
        assert!(
            panicked > 0 && cancelled > 0,
            "the storm had panics and cancels"
        );
        let pool = Arc::try_unwrap(pool).expect("no task holds the pool any more");
        pool.shutdown(true, false);
        // Each callback ran once (they run before their future's waiters are woken).
        assert_eq!(tally.callbacks.load(Ordering::Relaxed), total);
        // Tasks that ran to the end: the outer ones not cancelled, and every nested one.
        let nested = tally.nested_ran.load(Ordering::Relaxed);
        let ran = ok + panicked + nested;
        assert_eq!(
            pool.completed(),
            ran,
            "completed counts every task that ran"
        );
        assert!(nested > 0, "the storm had nested submits");
        assert_eq!((pool.queued(), pool.running()), (0, 0));
    });
}

/// The same storm through `execute` and `CallerRuns` with a tiny queue: every task
/// runs exactly once, whoever runs it.
#[test]
fn caller_runs_storm_runs_every_task_once() {
    watchdog(|| {
        let pool = ThreadPool::builder()
            .max_workers(2)
            .queue_capacity(8)
            .when_full(WhenFull::CallerRuns)
            .build()
            .unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..50_000 {
                        let ran = Arc::clone(&ran);
                        pool.execute(move || {
                            ran.fetch_add(1, Ordering::Relaxed);
                        })
                        .unwrap();
                    }
                });
            }
        });
        pool.shutdown(true, false);
        assert_eq!(ran.load(Ordering::Relaxed), 200_000);
        assert_eq!(pool.completed(), 200_000);
    });
}
