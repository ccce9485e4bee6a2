//! Process pools: 100,000 trivial calls through `map` at chunksize 1 and 1000, and
//! pool start-up to the first result; weft against procspawn, and Python's
//! `concurrent.futures.ProcessPoolExecutor` and `multiprocessing.Pool` (run by
//! `benches/python/process_pool.py` when `python3` is on the PATH). Two workers each.

use std::process::Command;

use crate::harness::{Config, Contender, Measurement, compare};

const WORKERS: usize = 2;
const ITEMS: u64 = 100_000;
/// procspawn calls in flight at once (each holds a few file descriptors).
const PROCSPAWN_WINDOW: usize = 128;

/// The trivial call every system makes.
fn work(n: u64) -> u64 {
    n.wrapping_mul(3) ^ 1
}

/// The same call over a chunk, for procspawn (which has no chunked map).
fn work_chunk(chunk: Vec<u64>) -> Vec<u64> {
    chunk.into_iter().map(work).collect()
}

fn expected(n: u64) -> u64 {
    (0..n).map(work).fold(0, u64::wrapping_add)
}

/// Runs the process group.
pub(crate) fn run(config: &Config) -> Vec<Measurement> {
    eprintln!("process");
    // Each sample moves 100,000 items through the slowest peers: keep samples few.
    let config = &Config {
        samples: config.samples.min(5),
        ..config.clone()
    };
    let n = config.ops(ITEMS);
    let want = expected(n);
    let weft_pool = weft::process::ProcessPool::builder()
        .max_workers(WORKERS)
        .build()
        .expect("weft::process::init() ran at the top of main");
    let procspawn_pool = procspawn::Pool::new(WORKERS).expect("procspawn pool");
    let mut out = Vec::new();
    for chunksize in [1usize, 1000] {
        let workload = format!("process map {n} items, chunksize {chunksize}");
        let contenders = vec![
            Contender::weft(|| {
                let sum = weft_pool
                    .map(work, 0..n)
                    .chunksize(chunksize)
                    .map(|r| r.expect("no task fails"))
                    .fold(0, u64::wrapping_add);
                assert_eq!(sum, want);
                n
            }),
            Contender::peer("procspawn::Pool", || {
                // A bounded window of handles: each spawn holds its own channels (fds).
                let mut window = std::collections::VecDeque::new();
                let mut sum = 0u64;
                let items: Vec<u64> = (0..n).collect();
                for chunk in items.chunks(chunksize) {
                    if window.len() == PROCSPAWN_WINDOW {
                        let h: procspawn::JoinHandle<Vec<u64>> =
                            window.pop_front().expect("non-empty");
                        sum = h
                            .join()
                            .expect("procspawn task")
                            .into_iter()
                            .fold(sum, u64::wrapping_add);
                    }
                    window.push_back(procspawn_pool.spawn(chunk.to_vec(), work_chunk));
                }
                for h in window {
                    sum = h
                        .join()
                        .expect("procspawn task")
                        .into_iter()
                        .fold(sum, u64::wrapping_add);
                }
                assert_eq!(sum, want);
                n
            }),
        ];
        out.extend(compare(config, &workload, "item", contenders));
    }
    drop(weft_pool);
    drop(procspawn_pool);

    out.extend(compare(
        config,
        "process start-up to first result",
        "start",
        vec![
            Contender::weft(|| {
                let pool = weft::process::ProcessPool::builder()
                    .max_workers(WORKERS)
                    .build()
                    .expect("pool");
                assert_eq!(pool.submit(work, 1).expect("open").result(), Ok(2));
                1
            }),
            Contender::peer("procspawn::spawn", || {
                let handle = procspawn::spawn(1u64, work);
                assert_eq!(handle.join().expect("procspawn"), 2);
                1
            }),
        ],
    ));
    out.extend(python(config, n));
    // The report groups rows by workload only where they are adjacent.
    let order: Vec<String> = out.iter().map(|m| m.workload.clone()).collect();
    out.sort_by_key(|m| order.iter().position(|w| *w == m.workload));
    out
}

/// Python's numbers, measured by the script itself (one interpreter, warm pools).
fn python(config: &Config, n: u64) -> Vec<Measurement> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/process_pool.py");
    let output = Command::new("python3")
        .arg(script)
        .args(["--items", &n.to_string()])
        .args(["--samples", &config.samples.to_string()])
        .args(["--workers", &WORKERS.to_string()])
        .output();
    let output = match output {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            eprintln!(
                "  python3 process pools: the script failed, skipped:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            return Vec::new();
        }
        Err(e) => {
            eprintln!("  python3 not found ({e}): Python's process pools skipped");
            return Vec::new();
        }
    };
    // One line per (workload, system): `workload<TAB>system<TAB>rate rate rate ...`.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let workload = fields.next()?.to_owned();
            let system: &'static str = Box::leak(fields.next()?.to_owned().into_boxed_str());
            let mut rates: Vec<f64> = fields
                .next()?
                .split(' ')
                .filter_map(|r| r.parse().ok())
                .collect();
            rates.sort_by(f64::total_cmp);
            let unit = if workload.contains("start-up") {
                "start"
            } else {
                "item"
            };
            (!rates.is_empty()).then_some(Measurement {
                workload,
                system,
                is_weft: false,
                rates,
                unit,
                peak_rss_kib: None,
            })
        })
        .collect()
}
