//! Recursive fib with fork-join: pure scheduling overhead, weft's join against rayon's.

use crate::harness::{Config, Contender, Measurement, compare};

fn fib_weft(pool: &weft::executor::ThreadPool, n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = pool.join(|| fib_weft(pool, n - 1), || fib_weft(pool, n - 2));
    a + b
}

fn fib_rayon(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    let (a, b) = rayon::join(|| fib_rayon(n - 1), || fib_rayon(n - 2));
    a + b
}

fn fib_plain(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        fib_plain(n - 1) + fib_plain(n - 2)
    }
}

/// Runs the join group: joins per second (fib(n) performs fib(n+1)-1 joins).
pub(crate) fn run(config: &Config) -> Vec<Measurement> {
    eprintln!("join");
    let n = if config.quick { 28 } else { 31 };
    let expected = fib_plain(n);
    let joins = fib_plain(n + 1) - 1;
    let weft_pool = weft::executor::ThreadPool::builder()
        .max_workers(2)
        .build()
        .expect("valid pool");
    let rayon_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("rayon pool");
    compare(
        config,
        &format!("join/fib({n})"),
        "join",
        vec![
            Contender::weft(|| {
                let got = weft_pool.install(|| fib_weft(&weft_pool, n));
                assert_eq!(got, expected);
                joins
            }),
            Contender::peer("rayon::join", || {
                let got = rayon_pool.install(|| fib_rayon(n));
                assert_eq!(got, expected);
                joins
            }),
        ],
    )
}
