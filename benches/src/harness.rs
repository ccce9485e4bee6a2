//! A small harness: interleaved samples per system, median/min/max, ratio to the best peer.

use std::time::{Duration, Instant};

/// How much to measure.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Samples per system and workload (the median of these is reported).
    pub(crate) samples: usize,
    /// Scale factor for operation counts (1.0 = full).
    pub(crate) scale: f64,
    /// Whether this is a `--quick` run.
    pub(crate) quick: bool,
}

impl Config {
    /// The full run: 10 samples, full operation counts.
    pub(crate) fn full() -> Self {
        Self {
            samples: 10,
            scale: 1.0,
            quick: false,
        }
    }

    /// A quick run: 3 samples, a fifth of the operations.
    pub(crate) fn quick() -> Self {
        Self {
            samples: 3,
            scale: 0.2,
            quick: true,
        }
    }

    /// `n` scaled for this run, at least 1.
    pub(crate) fn ops(&self, n: u64) -> u64 {
        ((n as f64 * self.scale) as u64).max(1)
    }
}

/// One system under test in a workload: a name and a closure that performs the
/// workload once and returns how many operations it did (after checking its result).
pub(crate) struct Contender<'a> {
    pub(crate) system: &'static str,
    pub(crate) is_weft: bool,
    pub(crate) run: Box<dyn FnMut() -> u64 + 'a>,
}

impl<'a> Contender<'a> {
    /// weft's entry.
    pub(crate) fn weft(run: impl FnMut() -> u64 + 'a) -> Self {
        Self {
            system: "weft",
            is_weft: true,
            run: Box::new(run),
        }
    }

    /// A peer's entry.
    pub(crate) fn peer(system: &'static str, run: impl FnMut() -> u64 + 'a) -> Self {
        Self {
            system,
            is_weft: false,
            run: Box::new(run),
        }
    }
}

/// The measurements of one system on one workload.
#[derive(Debug, Clone)]
pub(crate) struct Measurement {
    pub(crate) workload: String,
    pub(crate) system: &'static str,
    pub(crate) is_weft: bool,
    /// Operations per second, one per sample, sorted ascending.
    pub(crate) rates: Vec<f64>,
    /// What one operation is ("lock+unlock", "round trip").
    pub(crate) unit: &'static str,
    /// Peak resident memory of the sample process, KiB, when measured in a child.
    pub(crate) peak_rss_kib: Option<u64>,
}

impl Measurement {
    /// The median rate.
    pub(crate) fn median(&self) -> f64 {
        let n = self.rates.len();
        if n % 2 == 1 {
            self.rates[n / 2]
        } else {
            (self.rates[n / 2 - 1] + self.rates[n / 2]) / 2.0
        }
    }
}

/// Runs every contender `config.samples` times, interleaved, after one warm-up each.
pub(crate) fn compare(
    config: &Config,
    workload: &str,
    unit: &'static str,
    mut contenders: Vec<Contender<'_>>,
) -> Vec<Measurement> {
    // WEFT_BENCH_SYSTEM=name keeps one system (for profiling one side alone).
    if let Ok(only) = std::env::var("WEFT_BENCH_SYSTEM") {
        contenders.retain(|c| c.system == only);
    }
    eprint!("  {workload:<28}");
    for c in &mut contenders {
        (c.run)(); // warm-up
    }
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    for _ in 0..config.samples {
        for (c, rates) in contenders.iter_mut().zip(&mut rates) {
            let start = Instant::now();
            let ops = (c.run)();
            let elapsed = start.elapsed().max(Duration::from_nanos(1));
            rates.push(ops as f64 / elapsed.as_secs_f64());
        }
        eprint!(".");
    }
    eprintln!();
    contenders
        .iter()
        .zip(rates)
        .map(|(c, mut rates)| {
            rates.sort_by(f64::total_cmp);
            Measurement {
                workload: workload.to_owned(),
                system: c.system,
                is_weft: c.is_weft,
                rates,
                unit,
                peak_rss_kib: None,
            }
        })
        .collect()
}
