//! Recursive fib with fork-join: pure scheduling overhead, weft's join against rayon's.

use crate::harness::{Bench, Contender, Workload, best_peer_rate, rate_of, workers};

fn fib_weft(pool: &weftkit::executor::ThreadPool, n: u64) -> u64 {
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

const WEFT: &str = "weft ThreadPool::join";

/// Runs the join group: joins per second (fib(n) performs fib(n+1)-1 joins).
pub(crate) fn run(bench: &mut Bench) {
    let n = bench.config.pick(32, 28, 12);
    let expected = fib_plain(n);
    let joins = fib_plain(n + 1) - 1;
    let weft_pool = weftkit::executor::ThreadPool::builder()
        .max_workers(workers())
        .build()
        .expect("valid pool");
    let rayon_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers())
        .build()
        .expect("rayon pool");
    let measured = bench.run(
        Workload::new(format!("join/fib({n})"), "join")
            .with(Contender::weft(WEFT, || {
                let got = weft_pool.install(|| fib_weft(&weft_pool, n));
                assert_eq!(got, expected, "weft's fib is wrong");
                joins
            }))
            .with(Contender::peer("rayon::join", || {
                let got = rayon_pool.install(|| fib_rayon(n));
                assert_eq!(got, expected, "rayon's fib is wrong");
                joins
            })),
    );
    if let (Some(w), Some((_, r))) = (rate_of(&measured, WEFT), best_peer_rate(&measured)) {
        bench.target(
            "join: fib within 1.2x of rayon::join",
            r / w <= 1.2,
            format!(
                "weft {:.1} M joins/s vs rayon {:.1} M/s ({:.2}x)",
                w / 1e6,
                r / 1e6,
                w / r
            ),
        );
    }
}
