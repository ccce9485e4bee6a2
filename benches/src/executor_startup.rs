//! Thread-pool start-up: build a pool, get every worker running (one task per worker,
//! meeting at a barrier, so a lazily started pool must start them all), shut it down.
//! weft against rayon, threadpool, a crossbeam-channel pool and plain scoped threads.
//! weft, the channel pool and scoped threads wait for their threads to exit; rayon and
//! threadpool let theirs exit in the background after the last task (their design), so
//! they pay less of the shut-down here.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use crate::harness::{Bench, Contender, Workload, workers};
use crate::peers::ChannelPool;

/// The task every worker runs once: meet the others, count itself.
fn meet(barrier: &Barrier, ran: &AtomicUsize) {
    barrier.wait();
    ran.fetch_add(1, Ordering::Relaxed);
}

/// `pools` times: make a pool with `spawn_all`, which must run [`meet`] on every
/// worker and shut the pool down; checks every worker ran.
fn cycle(pools: u64, spawn_all: impl Fn(usize, Arc<Barrier>, Arc<AtomicUsize>)) -> u64 {
    let n = workers();
    for _ in 0..pools {
        let barrier = Arc::new(Barrier::new(n));
        let ran = Arc::new(AtomicUsize::new(0));
        spawn_all(n, barrier, Arc::clone(&ran));
        assert_eq!(ran.load(Ordering::Relaxed), n, "a worker did not run");
    }
    pools
}

/// Runs the startup group.
pub(crate) fn run(bench: &mut Bench) {
    // Starting threads costs ~0.2-2 ms a pool here, depending on load.
    let pools = bench.config.pick(300, 100, 10);
    bench.run(
        Workload::new(
            format!("startup/{}-worker pool, all workers run", workers()),
            "pool",
        )
        .with(Contender::weft("weft ThreadPool", move || {
            cycle(pools, |n, barrier, ran| {
                let pool = weftkit::executor::ThreadPool::builder()
                    .max_workers(n)
                    .build()
                    .expect("valid pool");
                for _ in 0..n {
                    let (barrier, ran) = (Arc::clone(&barrier), Arc::clone(&ran));
                    pool.execute(move || meet(&barrier, &ran))
                        .expect("pool open");
                }
                pool.shutdown(true, false);
            })
        }))
        .with(Contender::peer("rayon ThreadPool", move || {
            cycle(pools, |n, barrier, ran| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .expect("rayon pool");
                pool.scope(|s| {
                    for _ in 0..n {
                        let (barrier, ran) = (&barrier, &ran);
                        s.spawn(move |_| meet(barrier, ran));
                    }
                });
            })
        }))
        .with(Contender::peer("threadpool", move || {
            cycle(pools, |n, barrier, ran| {
                let pool = threadpool::ThreadPool::new(n);
                for _ in 0..n {
                    let (barrier, ran) = (Arc::clone(&barrier), Arc::clone(&ran));
                    pool.execute(move || meet(&barrier, &ran));
                }
                pool.join();
            })
        }))
        .with(Contender::peer("crossbeam-channel pool", move || {
            cycle(pools, |n, barrier, ran| {
                let pool = ChannelPool::new(n, None);
                for _ in 0..n {
                    let (barrier, ran) = (Arc::clone(&barrier), Arc::clone(&ran));
                    pool.spawn(move || meet(&barrier, &ran));
                }
                drop(pool); // joins its workers
            })
        }))
        .with(Contender::peer("std::thread::scope", move || {
            cycle(pools, |n, barrier, ran| {
                std::thread::scope(|s| {
                    for _ in 0..n {
                        s.spawn(|| meet(&barrier, &ran));
                    }
                });
            })
        })),
    );
}
