//! Map over 10,000,000 items and sum: weft's lazy `map` with default settings and
//! with a chunksize, and a weft `scope` over chunks, against rayon's `par_iter` and
//! `std::thread::scope` chunks.

use rayon::prelude::*;

use crate::harness::{Bench, Contender, Workload, rate_of, workers};

/// The per-item work: a hash folded to 10 bits, so sums cannot overflow.
fn f(x: u64) -> u64 {
    x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54
}

/// Items per chunk for the chunked systems.
const CHUNK: u64 = 10_000;

/// The weft `map` with default settings (the one issue 14 sets a target for).
const MAP_DEFAULT: &str = "weft map, default settings";

/// rayon's entry, the peer of that target.
const RAYON: &str = "rayon par_iter";

/// The sum of `f` over `start..end`.
fn range_sum(start: u64, end: u64) -> u64 {
    (start..end).map(f).sum()
}

/// `0..n` cut into `parts` contiguous ranges.
fn ranges(n: u64, parts: u64) -> impl Iterator<Item = (u64, u64)> {
    let step = n.div_ceil(parts.max(1));
    (0..parts).map(move |p| ((p * step).min(n), ((p + 1) * step).min(n)))
}

/// Runs the map group.
pub(crate) fn run(bench: &mut Bench) {
    let n = bench.config.pick(10_000_000, 2_000_000, 20_000);
    let expected = range_sum(0, n);
    let pool = weftkit::executor::ThreadPool::builder()
        .max_workers(workers())
        .build()
        .expect("valid pool");
    let rayon = rayon::ThreadPoolBuilder::new()
        .num_threads(workers())
        .build()
        .expect("rayon pool");
    let check = move |system: &str, got: u64| {
        assert_eq!(got, expected, "{system} computed a wrong sum");
        n
    };
    let measured = bench.run(
        Workload::new(format!("map/{}M items", n as f64 / 1e6), "item")
            .with(Contender::weft(MAP_DEFAULT, || {
                let got = pool
                    .map(f, 0..n)
                    .map(|r| r.expect("f does not panic"))
                    .sum();
                check("weft map", got)
            }))
            .with(Contender::weft(
                format!("weft map, chunksize {CHUNK}"),
                || {
                    let got = pool
                        .map(f, 0..n)
                        .chunksize(CHUNK as usize)
                        .map(|r| r.expect("f does not panic"))
                        .sum();
                    check("weft map", got)
                },
            ))
            .with(Contender::weft(
                format!("weft scope, {CHUNK}-item chunks"),
                || {
                    let mut sums = vec![0u64; n.div_ceil(CHUNK) as usize];
                    pool.scope(|s| {
                        for (slot, (start, end)) in
                            sums.iter_mut().zip(ranges(n, n.div_ceil(CHUNK)))
                        {
                            s.spawn(move |_| *slot = range_sum(start, end));
                        }
                    });
                    check("weft scope", sums.iter().sum())
                },
            ))
            .with(Contender::peer(RAYON, || {
                let got = rayon.install(|| (0..n).into_par_iter().map(f).sum());
                check("rayon", got)
            }))
            .with(Contender::peer("std::thread::scope chunks", || {
                let parts = workers() as u64;
                let got = std::thread::scope(|s| {
                    let handles: Vec<_> = ranges(n, parts)
                        .map(|(start, end)| s.spawn(move || range_sum(start, end)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().expect("a chunk does not panic"))
                        .sum()
                });
                check("std::thread::scope", got)
            })),
    );
    if let (Some(w), Some(r)) = (rate_of(&measured, MAP_DEFAULT), rate_of(&measured, RAYON)) {
        bench.target(
            "map: ThreadPool::map, default settings, at least 0.8x rayon par_iter",
            w / r >= 0.8,
            format!(
                "weft map {:.1} M items/s vs rayon {:.1} M/s ({:.2}x)",
                w / 1e6,
                r / 1e6,
                w / r
            ),
        );
    }
}
