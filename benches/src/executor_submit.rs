//! 1,000,000 tiny tasks submitted from outside and awaited, with and without a future
//! per task: weft against rayon, the threadpool crate, a crossbeam-channel pool and
//! (for futures) Python's `ThreadPoolExecutor`.

use std::sync::Arc;
use std::sync::mpsc;

use crate::child;
use crate::harness::{Bench, Contender, Workload, best_peer_rate, rate_of, workers};
use crate::peers::{ChannelPool, Countdown};

/// The tiny task: one multiplication the optimiser cannot drop.
fn work(i: u64) -> u64 {
    std::hint::black_box(i.wrapping_mul(2654435761))
}

/// The sum of `work(i)` for `i < n`, what every futures run must collect.
fn expected_sum(n: u64) -> u64 {
    (0..n).fold(0u64, |acc, i| acc.wrapping_add(work(i)))
}

/// Submits `n` counted tasks through `spawn` and waits for all of them.
fn fire_and_wait(n: u64, spawn: impl Fn(Box<dyn FnOnce() + Send>)) -> u64 {
    let countdown = Countdown::new(n);
    for i in 0..n {
        let c = Arc::clone(&countdown);
        spawn(Box::new(move || {
            work(i);
            c.tick();
        }));
    }
    countdown.wait();
    n
}

fn weft_pool(bounded: bool) -> weftkit::executor::ThreadPool {
    let builder = weftkit::executor::ThreadPool::builder().max_workers(workers());
    let builder = if bounded {
        builder
    } else {
        builder.unbounded()
    };
    builder.build().expect("valid pool")
}

fn rayon_pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(workers())
        .build()
        .expect("rayon pool")
}

const WEFT: &str = "weft ThreadPool (bounded, default)";
const WEFT_UNBOUNDED: &str = "weft ThreadPool unbounded";

/// Runs the submit group: fire-and-forget tasks counted down to one wait.
pub(crate) fn run_submit(bench: &mut Bench) {
    let n = bench.config.pick(1_000_000, 300_000, 2_000);
    let (weft, weft_unbounded) = (weft_pool(true), weft_pool(false));
    let rayon = rayon_pool();
    let tp = threadpool::ThreadPool::new(workers());
    let channel = ChannelPool::new(workers(), None);
    let measured = bench.run(
        Workload::new(format!("submit/{}k tiny tasks", n / 1000), "task")
            .with(Contender::weft(WEFT, || {
                fire_and_wait(n, |job| weft.execute(job).expect("pool open"))
            }))
            .with(Contender::weft(WEFT_UNBOUNDED, || {
                fire_and_wait(n, |job| weft_unbounded.execute(job).expect("pool open"))
            }))
            .with(Contender::peer("rayon spawn", || {
                fire_and_wait(n, |job| rayon.spawn(job))
            }))
            .with(Contender::peer("threadpool", || {
                fire_and_wait(n, |job| tp.execute(job))
            }))
            .with(Contender::peer("crossbeam-channel pool", || {
                fire_and_wait(n, |job| channel.spawn(job))
            })),
    );
    if let (Some(w), Some((peer, best))) = (rate_of(&measured, WEFT), best_peer_rate(&measured)) {
        bench.target(
            "submit: 1M tiny tasks, ahead of rayon, threadpool and a crossbeam-channel pool",
            w > best,
            format!(
                "weft {:.2} M/s vs {peer} {:.2} M/s ({:.2}x)",
                w / 1e6,
                best / 1e6,
                w / best
            ),
        );
    }
}

/// Collects `n` oneshot answers sent by tasks started through `spawn`.
fn oneshots(n: u64, spawn: impl Fn(Box<dyn FnOnce() + Send>)) -> u64 {
    let receivers: Vec<_> = (0..n)
        .map(|i| {
            let (tx, rx) = mpsc::sync_channel(1);
            spawn(Box::new(move || {
                tx.send(work(i)).expect("the receiver waits");
            }));
            rx
        })
        .collect();
    let sum = receivers
        .into_iter()
        .fold(0u64, |acc, rx| acc.wrapping_add(rx.recv().expect("sent")));
    assert_eq!(sum, expected_sum(n), "a task's result was lost");
    n
}

/// Python's `ThreadPoolExecutor` on the same job, when python3 is here.
fn python_futures(n: u64) -> Option<Contender<'static>> {
    let python = child::python()?;
    Some(
        Contender::external("Python ThreadPoolExecutor", move || {
            let cmd = child::python_script(
                python,
                "futures_tiny.py",
                &[n.to_string(), workers().to_string()],
            );
            child::run(cmd, "Python ThreadPoolExecutor")
                .expect_check("Python ThreadPoolExecutor", &expected_sum(n).to_string())
        })
        .max_samples(5),
    )
}

/// Runs the futures group: a future per task, every result collected and summed.
pub(crate) fn run_futures(bench: &mut Bench) {
    // The oneshot peers run ~0.2-0.8 M/s and Python ~25 k/s: sizes that keep each
    // sample near a second or two.
    let n = bench.config.pick(200_000, 100_000, 2_000);
    let n_python = bench.config.pick(50_000, 10_000, 500);
    let weft = weft_pool(true);
    let rayon = rayon_pool();
    let tp = threadpool::ThreadPool::new(workers());
    let channel = ChannelPool::new(workers(), None);
    let measured = bench.run(
        Workload::new(
            format!("futures/{}k tasks, results collected", n / 1000),
            "task",
        )
        .with(Contender::weft(WEFT, || weft_futures(&weft, n)))
        .with(Contender::peer("rayon spawn + oneshot", || {
            oneshots(n, |job| rayon.spawn(job))
        }))
        .with(Contender::peer("threadpool + oneshot", || {
            oneshots(n, |job| tp.execute(job))
        }))
        .with(Contender::peer("crossbeam-channel pool + oneshot", || {
            oneshots(n, |job| channel.spawn(job))
        }))
        .with_opt(python_futures(n_python)),
    );
    if let (Some(w), Some((peer, best))) = (rate_of(&measured, WEFT), best_peer_rate(&measured)) {
        bench.target(
            "futures: >= 2 M/s and 2x the best peer",
            w >= 2e6 && w >= 2.0 * best,
            format!(
                "weft {:.2} M/s vs {peer} {:.2} M/s ({:.2}x)",
                w / 1e6,
                best / 1e6,
                w / best
            ),
        );
        if let Some(py) = rate_of(&measured, "Python ThreadPoolExecutor") {
            bench.target(
                "futures: 30x Python's ThreadPoolExecutor",
                w >= 30.0 * py,
                format!(
                    "weft {:.2} M/s vs Python {:.3} M/s ({:.0}x)",
                    w / 1e6,
                    py / 1e6,
                    w / py
                ),
            );
        }
    }
    run_futures_memory(bench, &weft);
}

/// The weft side of the futures workloads: `n` futures submitted, then every result
/// collected and summed in submission order.
fn weft_futures(pool: &weftkit::executor::ThreadPool, n: u64) -> u64 {
    let futures: Vec<_> = (0..n)
        .map(|i| pool.submit(move || work(i)).expect("pool open"))
        .collect();
    let sum = futures.into_iter().fold(0u64, |acc, f| {
        acc.wrapping_add(f.result().expect("the task does not fail"))
    });
    assert_eq!(sum, expected_sum(n), "a task's result was lost");
    n
}

/// Runs the futures memory workload: a million futures alive at once, each sample in
/// its own process so that its peak RSS is the system's own.
fn run_futures_memory(bench: &mut Bench, weft: &weftkit::executor::ThreadPool) {
    let n = bench.config.pick(1_000_000, 1_000_000, 2_000);
    let rayon = rayon_pool();
    let measured = bench.run(
        Workload::new(
            format!(
                "futures memory/{}k futures alive, results collected",
                n / 1000
            ),
            "task",
        )
        .isolated()
        .with(Contender::weft(WEFT, || weft_futures(weft, n)))
        .with(Contender::peer("rayon spawn + oneshot", || {
            oneshots(n, |job| rayon.spawn(job))
        })),
    );
    if let Some(w) = measured.iter().find(|m| m.system == WEFT) {
        let rss_mib = w.peak_rss_kib.unwrap_or(u64::MAX) as f64 / 1024.0;
        let rate = w.median_rate();
        bench.target(
            "futures memory: 1M futures in <= 150 MiB at >= 1.8 M/s",
            n < 1_000_000 || (rss_mib <= 150.0 && rate >= 1.8e6),
            format!(
                "weft peak {rss_mib:.1} MiB ({:.0} bytes a future), {:.2} M/s",
                rss_mib * 1024.0 * 1024.0 / n as f64,
                rate / 1e6
            ),
        );
    }
}
