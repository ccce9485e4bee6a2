//! 2,000,000 tasks into slow workers (about 2 µs each): time and peak memory with a
//! bounded queue against unbounded ones. Each sample runs in a child process of this
//! benchmark binary, so that each system's peak RSS is its own.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::harness::{Config, Measurement};

const WORKERS: usize = 2;
const CAPACITY: usize = 100_000;

/// The systems, by the name the child is started with.
const SYSTEMS: &[(&str, bool)] = &[
    ("weft bounded 100k", true),
    ("weft unbounded", true),
    ("rayon::spawn", false),
    ("threadpool", false),
    ("crossbeam-channel unbounded", false),
    ("crossbeam-channel bounded 100k", false),
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

/// Runs in the child: submits `n` tasks to `system` and waits for them; returns `n`.
pub(crate) fn child(system: &str, n: u64) -> u64 {
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
            let builder = weft::executor::ThreadPool::builder().max_workers(WORKERS);
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
        "rayon::spawn" => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(WORKERS)
                .build()
                .expect("rayon pool");
            let finished = Arc::new(weft::sync::Event::new());
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
            let pool = threadpool::ThreadPool::new(WORKERS);
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
            let workers: Vec<_> = (0..WORKERS)
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

/// Peak resident set of this process, KiB (Linux `VmHWM`).
pub(crate) fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Runs the memory group: each sample is a child process.
pub(crate) fn run(config: &Config) -> Vec<Measurement> {
    eprintln!("memory");
    let n = config.ops(2_000_000);
    let samples = if config.quick { 1 } else { 3 };
    let Ok(exe) = std::env::current_exe() else {
        eprintln!("  cannot find the benchmark binary; skipping the memory group");
        return Vec::new();
    };
    let workload = format!("memory/{}k slow tasks", n / 1000);
    eprint!("  {workload:<28}");
    let mut rows: Vec<(Vec<f64>, u64)> = vec![(Vec::new(), 0); SYSTEMS.len()];
    for _ in 0..samples {
        for ((system, _), row) in SYSTEMS.iter().zip(&mut rows) {
            let start = Instant::now();
            let output = Command::new(&exe)
                .args(["--child-memory", system, &n.to_string()])
                .output();
            let elapsed = start.elapsed();
            match output {
                Ok(out) if out.status.success() => {
                    let text = String::from_utf8_lossy(&out.stdout);
                    let rss = text.trim().parse::<u64>().unwrap_or(0);
                    row.0.push(n as f64 / elapsed.as_secs_f64());
                    row.1 = row.1.max(rss);
                }
                other => panic!("memory child for {system} failed: {other:?}"),
            }
        }
        eprint!(".");
    }
    eprintln!();
    SYSTEMS
        .iter()
        .zip(rows)
        .map(|((system, is_weft), (mut rates, rss))| {
            rates.sort_by(f64::total_cmp);
            Measurement {
                workload: workload.clone(),
                system,
                is_weft: *is_weft,
                rates,
                unit: "task",
                peak_rss_kib: Some(rss),
            }
        })
        .collect()
}
