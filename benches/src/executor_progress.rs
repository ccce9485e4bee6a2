//! The cost of the `progress` feature's bar: one million tiny tasks through
//! `ThreadPool::map` (default settings), with and without `.progress()`. The bar is
//! drawn when stderr is a terminal and hidden otherwise; either way every result goes
//! through its counting. The "without" run is listed as the peer, so the ratio reads
//! "with the bar ÷ without" (1.00x: no cost).

use crate::harness::{Bench, Contender, Workload, workers};

/// The per-item work: nearly nothing, so the map's own overhead dominates.
fn f(x: u64) -> u64 {
    x & 0xff
}

/// Runs the progress group.
pub(crate) fn run(bench: &mut Bench) {
    let n = bench.config.pick(1_000_000, 200_000, 5_000);
    let expected: u64 = (0..n).map(f).sum();
    let pool = weftkit::executor::ThreadPool::builder()
        .max_workers(workers())
        .build()
        .expect("valid pool");
    let check = move |system: &str, got: u64| {
        assert_eq!(got, expected, "{system} computed a wrong sum");
        n
    };
    bench.run(
        Workload::new(format!("progress/{}M-task map", n as f64 / 1e6), "item")
            .with(Contender::weft("weft map with .progress()", || {
                let got = pool
                    .map(f, 0..n)
                    .progress()
                    .map(|r| r.expect("f does not panic"))
                    .sum();
                check("with the bar", got)
            }))
            .with(Contender::peer("weft map without a bar", || {
                let got = pool
                    .map(f, 0..n)
                    .map(|r| r.expect("f does not panic"))
                    .sum();
                check("without a bar", got)
            })),
    );
}
