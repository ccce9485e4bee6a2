//! `MpiPool` on 4 ranks (a client and three workers): submit, map at chunksizes 1 and
//! 1000, map_unordered, balance of unequal tasks, shutdown with pending work, futures
//! mixed with a thread pool's, a task that uses its own thread pool, a bounded queue.
//! `cargo test` starts this program under `mpirun -n 4 --oversubscribe` itself.

mod common;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use weftkit::executor::{TaskError, ThreadPool, as_completed};
use weftkit::mpi::{MpiPool, SubmitError, WhenFull};

use common::{Case, my_rank};

fn main() {
    if !common::under_mpirun() {
        common::relaunch_under_mpirun();
    }
    weftkit::mpi::init().expect("MPI start-up");
    let cases: &[Case] = &[
        ("submit_runs_on_a_worker_rank", submit_runs_on_a_worker),
        ("map_100k_items_in_order_chunksize_1", || map_in_order(1)),
        ("map_100k_items_in_order_chunksize_1000", || {
            map_in_order(1000)
        }),
        ("map_unordered_yields_every_index_once", map_unordered),
        ("map_is_lazy_over_an_endless_iterator", map_lazy),
        ("drop_waits_for_the_work", drop_waits),
        ("unequal_tasks_balance_across_ranks", unequal_tasks_balance),
        ("shutdown_cancels_pending_work", shutdown_cancels_pending),
        ("shutdown_wait_runs_queued_work", shutdown_runs_queued),
        (
            "as_completed_over_thread_and_mpi_futures",
            as_completed_mixed,
        ),
        ("a_task_uses_its_own_thread_pool", hybrid),
        ("reject_hands_the_argument_back_when_full", reject_when_full),
        ("one_pool_at_a_time_then_another", pools_in_sequence),
        ("stats_count_the_work", stats),
    ];
    common::run(cases);
}

fn pool() -> MpiPool {
    MpiPool::builder().build().expect("a pool on 4 ranks")
}

fn submit_runs_on_a_worker() {
    let pool = pool();
    assert_eq!(pool.max_workers(), 3);
    let rank = pool.submit(my_rank, ()).unwrap().result().unwrap();
    assert!((1..4).contains(&rank), "ran on rank {rank}");
    assert_eq!(
        pool.submit(|s: String| s.len(), "hello".to_owned())
            .unwrap()
            .result(),
        Ok(5)
    );
}

fn triple(n: u64) -> u64 {
    n.wrapping_mul(3) ^ 0xa5
}

fn map_in_order(chunksize: usize) {
    let pool = pool();
    let mut count = 0u64;
    for (i, result) in pool
        .map(triple, 0..100_000u64)
        .chunksize(chunksize)
        .enumerate()
    {
        assert_eq!(result, Ok(triple(i as u64)), "item {i}");
        count += 1;
    }
    assert_eq!(count, 100_000);
}

fn map_unordered() {
    let pool = pool();
    let mut seen = HashSet::new();
    for (i, result) in pool.map_unordered(triple, 0..10_000u64).chunksize(7) {
        assert_eq!(result, Ok(triple(i as u64)));
        assert!(seen.insert(i), "index {i} twice");
    }
    assert_eq!(seen.len(), 10_000);
}

fn map_lazy() {
    let pool = pool();
    let first: Vec<u64> = pool
        .map(triple, 0u64..)
        .chunksize(3)
        .take(1_000)
        .map(Result::unwrap)
        .collect();
    assert_eq!(first, (0..1_000).map(triple).collect::<Vec<_>>());
    // The map was dropped with chunks in flight: the pool still ends cleanly.
}

fn drop_waits() {
    let pool = pool();
    let futures: Vec<_> = (0..30u64)
        .map(|n| pool.submit(slow_square, n).unwrap())
        .collect();
    drop(pool);
    for (n, future) in futures.into_iter().enumerate() {
        assert!(
            future.done(),
            "task {n} still pending after the pool was dropped"
        );
        assert_eq!(future.result(), Ok((n * n) as u64));
    }
}

/// Waits (up to a minute, as a safety net) until `marker` exists, then returns its rank.
fn long_task(marker: PathBuf) -> usize {
    let give_up = Instant::now() + Duration::from_secs(60);
    while !marker.exists() && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(1));
    }
    weftkit::mpi::rank().unwrap_or(usize::MAX)
}

fn unequal_tasks_balance() {
    const SHORT: usize = 3_000;
    // A worker holds at most 64 tasks; the long one is among them.
    const HELD: usize = 63;
    let marker = std::env::temp_dir().join(format!("weft-mpi-balance-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let pool = pool();
    let long = pool.submit(long_task, marker.clone()).unwrap();
    let shorts: Vec<_> = (0..SHORT)
        .map(|_| pool.submit(my_rank, ()).unwrap())
        .collect();
    // Every short task not stuck behind the long one finishes while it runs: wait for
    // all but the few its worker may hold, then let the long one end.
    let mut done = 0;
    for _ in as_completed(&shorts) {
        done += 1;
        if done == SHORT - HELD {
            std::fs::write(&marker, b"done").unwrap();
        }
    }
    if done < SHORT - HELD {
        std::fs::write(&marker, b"done").unwrap();
    }
    let long_rank = long.result().unwrap();
    let _ = std::fs::remove_file(&marker);
    let mut per_rank = [0usize; 4];
    for short in shorts {
        per_rank[short.result().unwrap()] += 1;
    }
    assert!(
        per_rank[long_rank] <= HELD,
        "rank {long_rank}, busy with the long task, ran {} of {SHORT} short ones: {per_rank:?}",
        per_rank[long_rank]
    );
    assert_eq!(per_rank[0], 0);
}

fn slow_square(n: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(2));
    n * n
}

fn shutdown_cancels_pending() {
    let pool = pool();
    let futures: Vec<_> = (0..500u64)
        .map(|n| pool.submit(slow_square, n).unwrap())
        .collect();
    pool.shutdown(true, true);
    let (mut ran, mut cancelled) = (0, 0);
    for (n, future) in futures.into_iter().enumerate() {
        match future.result() {
            Ok(v) => {
                assert_eq!(v, (n * n) as u64);
                ran += 1;
            }
            Err(TaskError::Cancelled) => cancelled += 1,
            Err(other) => panic!("task {n}: {other}"),
        }
    }
    assert_eq!(ran + cancelled, 500);
    assert!(cancelled > 0, "nothing was pending at shutdown");
    assert!(matches!(
        pool.submit(triple, 1),
        Err(SubmitError::ShutDown(1))
    ));
}

fn shutdown_runs_queued() {
    let pool = pool();
    let futures: Vec<_> = (0..50u64)
        .map(|n| pool.submit(slow_square, n).unwrap())
        .collect();
    pool.shutdown(true, false);
    for (n, future) in futures.into_iter().enumerate() {
        assert_eq!(future.result(), Ok((n * n) as u64));
    }
}

fn as_completed_mixed() {
    let pool = pool();
    let threads = ThreadPool::builder().max_workers(2).build().unwrap();
    let mut futures = Vec::new();
    for n in 0..20u64 {
        futures.push(pool.submit(triple, n).unwrap());
        futures.push(threads.submit(move || triple(n + 100)).unwrap());
    }
    let mut got: Vec<u64> = as_completed(futures).map(|f| f.result().unwrap()).collect();
    got.sort_unstable();
    let mut want: Vec<u64> = (0..20).map(triple).chain((100..120).map(triple)).collect();
    want.sort_unstable();
    assert_eq!(got, want);
}

/// Runs on a worker rank: sums squares with a local thread pool of that rank.
fn local_threads(n: u64) -> (usize, u64) {
    let local = ThreadPool::builder().max_workers(2).build().unwrap();
    let total = local.map(|k: u64| k * k, 0..n).map(Result::unwrap).sum();
    (weftkit::mpi::rank().unwrap_or(usize::MAX), total)
}

fn hybrid() {
    let pool = pool();
    let results: Vec<(usize, u64)> = pool
        .map(local_threads, vec![1000u64; 6])
        .map(Result::unwrap)
        .collect();
    for (rank, total) in results {
        assert!((1..4).contains(&rank));
        assert_eq!(total, (0..1000u64).map(|k| k * k).sum());
    }
}

fn reject_when_full() {
    let pool = MpiPool::builder()
        .queue_capacity(1)
        .when_full(WhenFull::Reject)
        .build()
        .unwrap();
    let mut refused = None;
    let mut futures = Vec::new();
    for n in 0..10_000u64 {
        match pool.submit(slow_square, n) {
            Ok(f) => futures.push(f),
            Err(SubmitError::Full(arg)) => {
                refused = Some(arg);
                break;
            }
            Err(other) => panic!("{other}"),
        }
    }
    assert!(refused.is_some(), "a queue of 1 never filled");
    for f in futures {
        f.result().unwrap();
    }
}

fn pools_in_sequence() {
    let first = pool();
    assert!(matches!(
        MpiPool::builder().build(),
        Err(weftkit::mpi::BuildError::InUse)
    ));
    assert_eq!(first.submit(triple, 2).unwrap().result(), Ok(triple(2)));
    drop(first);
    let second = pool();
    assert_eq!(second.submit(triple, 3).unwrap().result(), Ok(triple(3)));
}

fn stats() {
    let pool = pool();
    let n: usize = pool.map(triple, 0..100u64).count();
    assert_eq!(n, 100);
    let stats = pool.stats();
    assert_eq!(
        (stats.workers, stats.queued, stats.running, stats.completed),
        (3, 0, 0, 100)
    );
}
