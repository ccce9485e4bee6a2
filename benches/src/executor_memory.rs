//! 2,000,000 tasks into slow workers (about 2 µs each): time and peak memory with a
//! bounded queue against unbounded ones. Each sample runs in a child process of this
//! benchmark binary, so that each system's peak RSS is its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{Bench, Contender, Measurement, Workload, workers};

const CAPACITY: usize = 100_000;

const WEFT_BOUNDED: &str = "weft bounded 100k";
/// The systems: name, whether it is weft's, and whether its queue is unbounded.
const SYSTEMS: &[(&str, bool, bool)] = &[
    (WEFT_BOUNDED, true, false),
    ("weft unbounded", true, true),
    ("rayon spawn", false, true),
    ("threadpool", false, true),
    ("crossbeam-channel unbounded", false, true),
    ("crossbeam-channel bounded 100k", false, false),
];

/// About 2 µs of work that the optimiser cannot remove.
fn slow_task(i: u64) -> u64 {
    let start = Instant::now();
    let mut x = i;
    while start.elapsed() < Duration::from_micros(2) {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    x
}

/// Submits `n` tasks to `system` and waits for them; returns `n`.
fn submit_all(system: &str, n: u64) -> u64 {
    let done = Arc::new(AtomicU64::new(0));
    let task = {
        let done = Arc::clone(&done);
        move |i: u64| {
            slow_task(i);
            done.fetch_add(1, Ordering::Relaxed);
        }
    };
    match system {
        "weft bounded 100k" | "weft unbounded" => {
            let builder = weftkit::executor::ThreadPool::builder().max_workers(workers());
            let builder = if system == "weft unbounded" {
                builder.unbounded()
            } else {
                builder.queue_capacity(CAPACITY)
            };
            let pool = builder.build().expect("valid pool");
            for i in 0..n {
                let task = task.clone();
                pool.execute(move || task(i)).expect("pool open");
            }
            pool.shutdown(true, false);
        }
        "rayon spawn" => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(workers())
                .build()
                .expect("rayon pool");
            let finished = Arc::new(weftkit::sync::Event::new());
            for i in 0..n {
                let (task, done, finished) =
                    (task.clone(), Arc::clone(&done), Arc::clone(&finished));
                pool.spawn(move || {
                    task(i);
                    if done.load(Ordering::Relaxed) == n {
                        finished.set();
                    }
                });
            }
            finished.wait();
        }
        "threadpool" => {
            let pool = threadpool::ThreadPool::new(workers());
            for i in 0..n {
                let task = task.clone();
                pool.execute(move || task(i));
            }
            pool.join();
        }
        "crossbeam-channel unbounded" | "crossbeam-channel bounded 100k" => {
            let (tx, rx) = if system.ends_with("100k") {
                crossbeam_channel::bounded::<Box<dyn FnOnce() + Send>>(CAPACITY)
            } else {
                crossbeam_channel::unbounded::<Box<dyn FnOnce() + Send>>()
            };
            let workers: Vec<_> = (0..workers())
                .map(|_| {
                    let rx = rx.clone();
                    std::thread::spawn(move || rx.into_iter().for_each(|job| job()))
                })
                .collect();
            for i in 0..n {
                let task = task.clone();
                tx.send(Box::new(move || task(i))).expect("workers alive");
            }
            drop(tx);
            workers
                .into_iter()
                .for_each(|w| w.join().expect("worker exits"));
        }
        other => panic!("unknown system {other}"),
    }
    let ran = done.load(Ordering::Relaxed);
    assert_eq!(ran, n, "{system} lost tasks");
    ran
}

/// Runs the memory group: each sample is a child process, so each system's peak RSS
/// is its own.
pub(crate) fn run(bench: &mut Bench) {
    let n = bench.config.pick(2_000_000, 400_000, 2_000);
    let mut workload = Workload::new(format!("memory/{}k slow tasks", n / 1000), "task").isolated();
    for &(system, is_weft, _) in SYSTEMS {
        let run = move || submit_all(system, n);
        workload = workload.with(if is_weft {
            Contender::weft(system, run)
        } else {
            Contender::peer(system, run)
        });
    }
    let measured = bench.run(workload);
    check_target(bench, &measured);
}

/// Bounded weft against the unbounded peers: 10x less memory, time within 5%.
fn check_target(bench: &mut Bench, measured: &[Measurement]) {
    let Some(bounded) = measured.iter().find(|m| m.system == WEFT_BOUNDED) else {
        return;
    };
    let unbounded_peers: Vec<&Measurement> = measured
        .iter()
        .filter(|m| {
            SYSTEMS
                .iter()
                .any(|&(s, w, unb)| s == m.system && !w && unb)
        })
        .collect();
    let Some(fastest) = unbounded_peers
        .iter()
        .max_by(|a, b| a.median_rate().total_cmp(&b.median_rate()))
    else {
        return;
    };
    let least_rss = unbounded_peers
        .iter()
        .filter_map(|m| m.peak_rss_kib)
        .min()
        .unwrap_or(0);
    let rss = bounded.peak_rss_kib.unwrap_or(u64::MAX);
    let (time, peer_time) = (bounded.shown().0, fastest.shown().0);
    bench.target(
        "memory: bounded peak RSS 10x below the unbounded peers",
        rss.saturating_mul(10) <= least_rss,
        format!(
            "weft bounded {:.1} MiB vs the smallest unbounded peer {:.1} MiB ({:.1}x less)",
            rss as f64 / 1024.0,
            least_rss as f64 / 1024.0,
            least_rss as f64 / rss.max(1) as f64,
        ),
    );
    bench.target(
        "memory: bounded time within 5% of the fastest unbounded peer",
        time <= peer_time * 1.05,
        format!(
            "weft bounded {time:.2} s vs {} {peer_time:.2} s ({:+.1}%)",
            fastest.system,
            (time / peer_time - 1.0) * 100.0
        ),
    );
}
