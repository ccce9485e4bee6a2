//! The case weft was started for, end to end: a CSV file of 2,000,000 lines (~170 MB),
//! one task submitted per line, 5 workers that each parse a few fields of their line
//! and do a small computation, the totals checked at the end. Time and peak RSS of
//! weft's pool (its default bounded queue), rayon, threadpool and Python's
//! `ThreadPoolExecutor` (`benches/python/csv_lines.py`), each in its own process.
//!
//! The file is generated once (deterministically) and cached in `target/bench/`,
//! beside the totals it must give.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::child;
use crate::harness::{Bench, Contender, Measurement, Workload};

/// Worker threads in every pool, as in the original report.
const WORKERS: usize = 5;

/// VAT-like rate per country code, percent.
const COUNTRIES: &[(&str, u64)] = &[
    ("DE", 19),
    ("FR", 20),
    ("US", 7),
    ("GB", 20),
    ("JP", 10),
    ("BR", 17),
    ("IN", 18),
    ("CA", 5),
];

const CATEGORIES: &[&str] = &[
    "books",
    "electronics",
    "garden",
    "toys",
    "grocery",
    "clothing",
    "sports",
    "music",
];

const NOTES: &[&str] = &[
    "gift wrap requested",
    "deliver to the back door",
    "repeat customer; priority",
    "express shipping; fragile",
    "paid with store credit",
    "no special instructions",
];

/// What every line adds up to: lines, the sum of ids, revenue and tax.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Totals {
    lines: u64,
    ids: u64,
    revenue: u64,
    tax: u64,
}

impl Totals {
    fn add(&mut self, (id, revenue, tax): (u64, u64, u64)) {
        self.lines += 1;
        self.ids += id;
        self.revenue += revenue;
        self.tax += tax;
    }

    /// `lines,ids,revenue,tax`: how the totals are saved and how Python prints them.
    fn to_check(self) -> String {
        format!("{},{},{},{}", self.lines, self.ids, self.revenue, self.tax)
    }

    fn from_check(text: &str) -> Option<Self> {
        let mut v = text.trim().split(',').map(|f| f.parse::<u64>().ok());
        let t = Self {
            lines: v.next()??,
            ids: v.next()??,
            revenue: v.next()??,
            tax: v.next()??,
        };
        v.next().is_none().then_some(t)
    }
}

/// Totals the workers add to concurrently.
#[derive(Debug, Default)]
struct SharedTotals {
    lines: AtomicU64,
    ids: AtomicU64,
    revenue: AtomicU64,
    tax: AtomicU64,
}

impl SharedTotals {
    fn add(&self, (id, revenue, tax): (u64, u64, u64)) {
        self.lines.fetch_add(1, Ordering::Relaxed);
        self.ids.fetch_add(id, Ordering::Relaxed);
        self.revenue.fetch_add(revenue, Ordering::Relaxed);
        self.tax.fetch_add(tax, Ordering::Relaxed);
    }

    fn get(&self) -> Totals {
        Totals {
            lines: self.lines.load(Ordering::Relaxed),
            ids: self.ids.load(Ordering::Relaxed),
            revenue: self.revenue.load(Ordering::Relaxed),
            tax: self.tax.load(Ordering::Relaxed),
        }
    }
}

/// The work of one line: `(id, revenue, tax)`.
///
/// # Panics
///
/// On a line this generator did not write (the benchmark's input is its own).
fn process(line: &str) -> (u64, u64, u64) {
    let mut fields = line.split(',');
    let mut next = || fields.next().expect("a line has 8 fields");
    let id: u64 = next().parse().expect("id");
    let _user: u32 = next().parse().expect("user");
    let country = next();
    let _category = next();
    let price: u64 = next().parse().expect("price");
    let quantity: u64 = next().parse().expect("quantity");
    let rate = COUNTRIES
        .iter()
        .find(|(code, _)| *code == country)
        .map(|&(_, rate)| rate)
        .expect("a known country");
    let revenue = price * quantity;
    (id, revenue, revenue * rate / 100)
}

/// splitmix64: a deterministic stream of numbers for the generator.
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T: Copy>(items: &[T], r: u64) -> T {
    items[(r % items.len() as u64) as usize]
}

/// Writes `lines` lines to `path` and returns their totals.
fn generate(path: &Path, lines: u64) -> std::io::Result<Totals> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut state = 42;
    let mut totals = Totals::default();
    for id in 0..lines {
        let r = next_random(&mut state);
        let (country, _) = pick(COUNTRIES, r);
        let category = pick(CATEGORIES, r >> 8);
        let note = pick(NOTES, r >> 16);
        let price = 100 + (r >> 24) % 99_900;
        let quantity = 1 + (r >> 44) % 9;
        let t = next_random(&mut state);
        let line = format!(
            "{id},{:010},{country},{category},{price},{quantity},2024-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z,{note}",
            t % 10_000_000,
            1 + (t >> 24) % 12,
            1 + (t >> 28) % 28,
            (t >> 33) % 24,
            (t >> 38) % 60,
            (t >> 44) % 60,
            (t >> 50) % 1000,
        );
        totals.add(process(&line));
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(totals)
}

/// The generator's version, in the cached file's name: bump it when `generate` changes.
const FORMAT: u32 = 3;

/// The cached input of `lines` lines and its totals, generated on first use.
fn input(lines: u64) -> (PathBuf, Totals) {
    let dir = crate::report::out_dir();
    std::fs::create_dir_all(&dir).expect("target/bench can be created");
    let stem = format!("lines-v{FORMAT}-{lines}");
    let path = dir.join(format!("{stem}.csv"));
    let expected_path = dir.join(format!("{stem}.expected"));
    if path.exists()
        && let Some(totals) = std::fs::read_to_string(&expected_path)
            .ok()
            .and_then(|t| Totals::from_check(&t))
    {
        return (path, totals);
    }
    eprint!("  (generating {} ...", path.display());
    let tmp = dir.join(format!("{stem}.csv.tmp"));
    let totals = generate(&tmp, lines).expect("the input file can be written");
    std::fs::rename(&tmp, &path).expect("the input file can be renamed");
    std::fs::write(&expected_path, totals.to_check()).expect("the totals can be saved");
    eprintln!(" done)");
    (path, totals)
}

/// Calls `submit` with each line of `path`, as an owned `String`.
fn for_each_line(path: &Path, mut submit: impl FnMut(String)) {
    let file = File::open(path).expect("the input file opens");
    for line in BufReader::with_capacity(1 << 16, file).lines() {
        submit(line.expect("the input file reads"));
    }
}

/// Runs one system over the file and checks its totals; returns the lines done.
fn run_system(system: &str, path: &Path, expected: Totals) -> u64 {
    let totals = Arc::new(SharedTotals::default());
    let task = {
        let totals = Arc::clone(&totals);
        move |line: String| totals.add(process(&line))
    };
    match system {
        WEFT => {
            let pool = weftkit::executor::ThreadPool::builder()
                .max_workers(WORKERS)
                .build()
                .expect("valid pool");
            for_each_line(path, |line| {
                let task = task.clone();
                pool.execute(move || task(line)).expect("pool open");
            });
            pool.shutdown(true, false);
        }
        RAYON => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(WORKERS)
                .build()
                .expect("rayon pool");
            pool.scope(|s| {
                for_each_line(path, |line| {
                    let task = task.clone();
                    s.spawn(move |_| task(line));
                });
            });
        }
        THREADPOOL => {
            let pool = threadpool::ThreadPool::new(WORKERS);
            for_each_line(path, |line| {
                let task = task.clone();
                pool.execute(move || task(line));
            });
            pool.join();
        }
        other => panic!("unknown system {other}"),
    }
    let got = totals.get();
    assert_eq!(got, expected, "{system} computed wrong totals");
    got.lines
}

const WEFT: &str = "weft ThreadPool (default bounded queue)";
const RAYON: &str = "rayon scope + spawn";
const THREADPOOL: &str = "threadpool";
const PYTHON: &str = "Python ThreadPoolExecutor";

/// Runs the seed's case.
pub(crate) fn run(bench: &mut Bench) {
    let lines = bench.config.pick(2_000_000, 200_000, 10_000);
    let (path, expected) = input(lines);
    let python = child::python().map(|python| {
        let path = path.clone();
        Contender::external(PYTHON, move || {
            let cmd = child::python_script(
                python,
                "csv_lines.py",
                &[path.display().to_string(), WORKERS.to_string()],
            );
            child::run(cmd, PYTHON).expect_check(PYTHON, &expected.to_check())
        })
        .max_samples(1)
    });
    let workload = Workload::new(
        format!(
            "csv/{}k lines, a task per line, {WORKERS} workers",
            lines / 1000
        ),
        "line",
    )
    .isolated()
    .with(Contender::weft(WEFT, || run_system(WEFT, &path, expected)))
    .with(Contender::peer(RAYON, || {
        run_system(RAYON, &path, expected)
    }))
    .with(Contender::peer(THREADPOOL, || {
        run_system(THREADPOOL, &path, expected)
    }))
    .with_opt(python);
    let measured = bench.run(workload);
    check_target(bench, &measured);
}

/// weft under 64 MiB peak RSS, with time no worse than the fastest peer.
fn check_target(bench: &mut Bench, measured: &[Measurement]) {
    let Some(weft) = measured.iter().find(|m| m.system == WEFT) else {
        return;
    };
    let rss = weft.peak_rss_kib.unwrap_or(u64::MAX);
    bench.target(
        "csv: weft peak RSS under 64 MiB",
        rss < 64 * 1024,
        format!("{:.1} MiB", rss as f64 / 1024.0),
    );
    if let Some(fastest) = measured
        .iter()
        .filter(|m| !m.is_weft)
        .min_by(|a, b| a.shown().0.total_cmp(&b.shown().0))
    {
        let (time, peer_time) = (weft.shown().0, fastest.shown().0);
        bench.target(
            "csv: weft time no worse than the fastest peer",
            time <= peer_time,
            format!(
                "weft {time:.2} s vs {} {peer_time:.2} s ({:.2}x)",
                fastest.system,
                peer_time / time
            ),
        );
    }
}
