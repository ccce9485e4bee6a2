//! Process pools: 100,000 trivial calls through `map` at chunksize 1 and 1000, and
//! pool start-up to the first result; weft against procspawn, and Python's
//! `concurrent.futures.ProcessPoolExecutor` and `multiprocessing.Pool` (run by
//! `benches/python/process_pool.py` when `python3` is here). Two workers each.

use std::collections::VecDeque;

use crate::child::{self, ChildRun};
use crate::harness::{Bench, Contender, Workload, rate_of};

const WORKERS: usize = 2;
/// procspawn calls in flight at once (each holds a few file descriptors).
const PROCSPAWN_WINDOW: usize = 128;
const WEFT: &str = "weft ProcessPool";

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

/// procspawn over `n` items in chunks, with a bounded window of handles.
fn procspawn_map(pool: &procspawn::Pool, n: u64, chunksize: usize) -> u64 {
    let mut window: VecDeque<procspawn::JoinHandle<Vec<u64>>> = VecDeque::new();
    let mut sum = 0u64;
    let items: Vec<u64> = (0..n).collect();
    let fold = |handle: procspawn::JoinHandle<Vec<u64>>, sum: u64| {
        handle
            .join()
            .expect("procspawn task")
            .into_iter()
            .fold(sum, u64::wrapping_add)
    };
    for chunk in items.chunks(chunksize) {
        if window.len() == PROCSPAWN_WINDOW {
            sum = fold(window.pop_front().expect("non-empty"), sum);
        }
        window.push_back(pool.spawn(chunk.to_vec(), work_chunk));
    }
    for handle in window {
        sum = fold(handle, sum);
    }
    sum
}

/// One of Python's pools on `workload`, when python3 is here.
fn python(system: &'static str, name: &str, workload: &str, n: u64) -> Option<Contender<'static>> {
    let python = child::python()?;
    let workload = workload.to_owned();
    let want = if workload == "startup" {
        work(1)
    } else {
        expected(n)
    };
    Some(
        Contender::external(name, move || -> ChildRun {
            let args = [
                system.to_owned(),
                workload.clone(),
                n.to_string(),
                WORKERS.to_string(),
            ];
            child::run(
                child::python_script(python, "process_pool.py", &args),
                system,
            )
            .expect_check(system, &want.to_string())
        })
        .max_samples(5),
    )
}

/// Runs the process group.
pub(crate) fn run(bench: &mut Bench) {
    let n = bench.config.pick(100_000, 30_000, 1_000);
    let want = expected(n);
    let weft_pool = weftkit::process::ProcessPool::builder()
        .max_workers(WORKERS)
        .build()
        .expect("weftkit::process::init() ran at the top of main");
    let procspawn_pool = procspawn::Pool::new(WORKERS).expect("procspawn pool");
    for chunksize in [1usize, 1000] {
        let script = format!("map{chunksize}");
        let measured = bench.run(
            Workload::new(
                format!("process/map {n} items, chunksize {chunksize}"),
                "item",
            )
            .with(Contender::weft(WEFT, || {
                let sum = weft_pool
                    .map(work, 0..n)
                    .chunksize(chunksize)
                    .map(|r| r.expect("no task fails"))
                    .fold(0, u64::wrapping_add);
                assert_eq!(sum, want, "a result was lost or wrong");
                n
            }))
            .with(Contender::peer("procspawn::Pool", || {
                assert_eq!(procspawn_map(&procspawn_pool, n, chunksize), want);
                n
            }))
            .with_opt(python("executor", "Python ProcessPoolExecutor", &script, n))
            .with_opt(python("pool", "Python multiprocessing.Pool", &script, n)),
        );
        if let (Some(w), Some(pool)) = (
            rate_of(&measured, WEFT),
            rate_of(&measured, "Python multiprocessing.Pool"),
        ) {
            bench.target(
                format!("process: >= 3x multiprocessing.Pool at chunksize {chunksize}"),
                w >= 3.0 * pool,
                format!(
                    "weft {:.1} k/s vs Pool {:.1} k/s ({:.2}x)",
                    w / 1e3,
                    pool / 1e3,
                    w / pool
                ),
            );
        }
    }
    drop(weft_pool);
    drop(procspawn_pool);

    let starts = bench.config.pick(20, 10, 2);
    let measured = bench.run(
        Workload::new("process/start-up to first result", "start")
            .with(Contender::weft(WEFT, || {
                for _ in 0..starts {
                    let pool = weftkit::process::ProcessPool::builder()
                        .max_workers(WORKERS)
                        .build()
                        .expect("pool");
                    assert_eq!(pool.submit(work, 1).expect("open").result(), Ok(work(1)));
                }
                starts
            }))
            .with(Contender::peer("procspawn::spawn", || {
                for _ in 0..starts {
                    assert_eq!(
                        procspawn::spawn(1u64, work).join().expect("procspawn"),
                        work(1)
                    );
                }
                starts
            }))
            .with_opt(python(
                "executor-fork",
                "Python ProcessPoolExecutor (fork)",
                "startup",
                1,
            ))
            .with_opt(python(
                "executor-spawn",
                "Python ProcessPoolExecutor (spawn)",
                "startup",
                1,
            )),
    );
    if let (Some(w), Some(p)) = (
        rate_of(&measured, WEFT),
        rate_of(&measured, "procspawn::spawn"),
    ) {
        bench.target(
            "process: start-up no slower than procspawn",
            w >= p,
            format!("weft {:.2} ms vs procspawn {:.2} ms", 1e3 / w, 1e3 / p),
        );
    }
}
