//! A small harness: interleaved samples per system, median/min/max, ratio to the best
//! peer, and peak RSS measured per workload and system in a child process.
//!
//! A group builds its systems (pools, locks) and hands each workload to [`Bench::run`].
//! The same group code runs in two roles:
//! - the parent measures: a warm-up of each system, then `samples` rounds in which
//!   every system runs once (A, B, C, A, B, C, ...) so that machine noise hits all of
//!   them alike; then each system once more in a child process for its peak RSS;
//! - a child (`--child GROUP WORKLOAD SYSTEM`) runs one system of one workload once,
//!   prints a [`child::REPORT_PREFIX`] line and exits.
//!
//! An *isolated* workload (memory-bound ones) runs every sample in its own child, so
//! that the time and peak RSS of one system cannot be touched by another's heap.

use std::time::{Duration, Instant};

use crate::child::{self, ChildRun};

/// How much to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Full sizes, 10 samples (3 for isolated workloads).
    Full,
    /// Smaller sizes, 3 samples (1 for isolated workloads).
    Quick,
    /// Toy sizes, 1 sample, no warm-up: proves every program still computes the right answer.
    Smoke,
}

impl Mode {
    /// The flag that selects this mode (`""` for the full run).
    pub(crate) fn flag(self) -> &'static str {
        match self {
            Self::Full => "",
            Self::Quick => "--quick",
            Self::Smoke => "--smoke",
        }
    }
}

/// The run's settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub(crate) mode: Mode,
}

impl Config {
    /// The size for this mode.
    pub(crate) fn pick<T>(&self, full: T, quick: T, smoke: T) -> T {
        match self.mode {
            Mode::Full => full,
            Mode::Quick => quick,
            Mode::Smoke => smoke,
        }
    }

    /// Samples per system of an in-process workload.
    fn samples(&self) -> usize {
        self.pick(10, 3, 1)
    }

    /// Samples per system of an isolated workload (each sample is a child process).
    fn isolated_samples(&self) -> usize {
        self.pick(3, 1, 1)
    }
}

/// How a workload is shown: as a rate (higher is better) or as a time per run (lower
/// is better; for workloads where every system does the same fixed job).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Show {
    Rate,
    Time,
}

type InProcess<'a> = Box<dyn FnMut() -> u64 + 'a>;
type External<'a> = Box<dyn FnMut() -> ChildRun + 'a>;

enum Runner<'a> {
    /// Performs the workload once in this process, checks its result and returns how
    /// many operations it did.
    InProcess(InProcess<'a>),
    /// Runs another program (Python) that times itself and reports its own peak RSS;
    /// the closure checks its answer.
    External(External<'a>),
}

/// One system under test in a workload.
pub(crate) struct Contender<'a> {
    system: String,
    is_weft: bool,
    runner: Runner<'a>,
    /// At most this many samples (for slow peers such as Python on big inputs).
    max_samples: usize,
}

impl<'a> Contender<'a> {
    /// A weft entry, named `system` (several weft configurations may be compared).
    pub(crate) fn weft(system: impl Into<String>, run: impl FnMut() -> u64 + 'a) -> Self {
        Self::new(system.into(), true, Runner::InProcess(Box::new(run)))
    }

    /// A peer's entry.
    pub(crate) fn peer(system: impl Into<String>, run: impl FnMut() -> u64 + 'a) -> Self {
        Self::new(system.into(), false, Runner::InProcess(Box::new(run)))
    }

    /// A peer that is another program, run once per sample.
    pub(crate) fn external(system: impl Into<String>, run: impl FnMut() -> ChildRun + 'a) -> Self {
        Self::new(system.into(), false, Runner::External(Box::new(run)))
    }

    fn new(system: String, is_weft: bool, runner: Runner<'a>) -> Self {
        Self {
            system,
            is_weft,
            runner,
            max_samples: usize::MAX,
        }
    }

    /// Counts an external program as weft's own entry (weft's MPI pool runs under
    /// `mpirun`, in programs of its own).
    #[cfg(feature = "mpi")]
    pub(crate) fn counted_as_weft(mut self) -> Self {
        self.is_weft = true;
        self
    }

    /// Caps this system's samples at `n` (at least 1).
    pub(crate) fn max_samples(mut self, n: usize) -> Self {
        self.max_samples = n.max(1);
        self
    }
}

/// One workload: a name (`group/what`), the unit of one operation, and its systems.
pub(crate) struct Workload<'a> {
    pub(crate) name: String,
    pub(crate) unit: &'static str,
    pub(crate) show: Show,
    pub(crate) isolated: bool,
    pub(crate) contenders: Vec<Contender<'a>>,
}

impl<'a> Workload<'a> {
    /// A workload measured in this process and shown as a rate of `unit`s per second.
    pub(crate) fn new(name: impl Into<String>, unit: &'static str) -> Self {
        Self {
            name: name.into(),
            unit,
            show: Show::Rate,
            isolated: false,
            contenders: Vec::new(),
        }
    }

    /// Runs every sample in a child process and shows the time per run.
    pub(crate) fn isolated(mut self) -> Self {
        self.isolated = true;
        self.show = Show::Time;
        self
    }

    /// Adds a system.
    pub(crate) fn with(mut self, contender: Contender<'a>) -> Self {
        self.contenders.push(contender);
        self
    }

    /// Adds a system when there is one (a peer that may be missing on this machine).
    pub(crate) fn with_opt(self, contender: Option<Contender<'a>>) -> Self {
        match contender {
            Some(c) => self.with(c),
            None => self,
        }
    }
}

/// One timed run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) ops: u64,
    pub(crate) secs: f64,
}

impl Sample {
    pub(crate) fn rate(&self) -> f64 {
        self.ops as f64 / self.secs.max(1e-9)
    }
}

/// The measurements of one system on one workload.
#[derive(Debug, Clone)]
pub(crate) struct Measurement {
    pub(crate) group: &'static str,
    pub(crate) workload: String,
    pub(crate) system: String,
    pub(crate) is_weft: bool,
    pub(crate) unit: &'static str,
    pub(crate) show: Show,
    /// Sorted by rate, slowest first.
    pub(crate) samples: Vec<Sample>,
    /// Peak resident memory of a process that ran only this system, KiB.
    pub(crate) peak_rss_kib: Option<u64>,
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

impl Measurement {
    fn rates(&self) -> Vec<f64> {
        self.samples.iter().map(Sample::rate).collect()
    }

    fn times(&self) -> Vec<f64> {
        let mut t: Vec<f64> = self.samples.iter().map(|s| s.secs).collect();
        t.sort_by(f64::total_cmp);
        t
    }

    /// The median rate, operations per second.
    pub(crate) fn median_rate(&self) -> f64 {
        median(&self.rates())
    }

    /// The median, min and max of what is shown (rate or seconds per run).
    pub(crate) fn shown(&self) -> (f64, f64, f64) {
        let v = match self.show {
            Show::Rate => self.rates(),
            Show::Time => self.times(),
        };
        (median(&v), v[0], v[v.len() - 1])
    }
}

/// What a group's workload results are compared against: a target from the issues.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) what: String,
    pub(crate) met: bool,
    pub(crate) figures: String,
}

/// Who is running the group code.
enum Role {
    Parent,
    Child { workload: String, system: String },
}

/// The harness state handed to every group.
pub(crate) struct Bench {
    pub(crate) config: Config,
    role: Role,
    group: &'static str,
    pub(crate) results: Vec<Measurement>,
    pub(crate) targets: Vec<Target>,
}

impl Bench {
    /// The measuring side.
    pub(crate) fn parent(config: Config) -> Self {
        Self {
            config,
            role: Role::Parent,
            group: "",
            results: Vec::new(),
            targets: Vec::new(),
        }
    }

    /// A child that runs `system` of `workload` once.
    pub(crate) fn child(config: Config, workload: String, system: String) -> Self {
        Self {
            config,
            role: Role::Child { workload, system },
            group: "",
            results: Vec::new(),
            targets: Vec::new(),
        }
    }

    /// Marks the start of a group's workloads.
    pub(crate) fn start_group(&mut self, group: &'static str) {
        self.group = group;
        if matches!(self.role, Role::Parent) {
            eprintln!("{group}");
        }
    }

    /// Whether this process measures (false in a child, where results are not kept).
    pub(crate) fn is_parent(&self) -> bool {
        matches!(self.role, Role::Parent)
    }

    /// Records a target from the issues with the figures that decide it.
    pub(crate) fn target(
        &mut self,
        what: impl Into<String>,
        met: bool,
        figures: impl Into<String>,
    ) {
        // Toy sizes say nothing about targets.
        if self.is_parent() && self.config.mode != Mode::Smoke {
            self.targets.push(Target {
                what: what.into(),
                met,
                figures: figures.into(),
            });
        }
    }

    /// Measures `workload` (parent) or runs the one system asked for (child), and
    /// returns the measurements (empty in a child).
    pub(crate) fn run(&mut self, mut workload: Workload<'_>) -> Vec<Measurement> {
        if let Ok(only) = std::env::var("WEFT_BENCH_SYSTEM") {
            // WEFT_BENCH_SYSTEM=name keeps one system (for profiling one side alone).
            workload.contenders.retain(|c| c.system == only);
        }
        match &self.role {
            Role::Child {
                workload: wanted,
                system,
            } => {
                if *wanted == workload.name {
                    let system = system.clone();
                    run_in_child(workload, &system);
                }
                Vec::new()
            }
            Role::Parent => {
                let measured = self.measure(workload);
                self.results.extend(measured.iter().cloned());
                measured
            }
        }
    }

    fn measure(&self, workload: Workload<'_>) -> Vec<Measurement> {
        let Workload {
            name,
            unit,
            show,
            isolated,
            mut contenders,
        } = workload;
        eprint!("  {name:<48}");
        let began = Instant::now();
        let config = self.config;
        let warm_up = config.mode != Mode::Smoke && !isolated;
        if warm_up {
            for c in &mut contenders {
                if let Runner::InProcess(run) = &mut c.runner {
                    run();
                }
            }
        }
        let rounds = if isolated {
            config.isolated_samples()
        } else {
            config.samples()
        };
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); contenders.len()];
        let mut rss: Vec<Option<u64>> = vec![None; contenders.len()];
        // A long run on a terminal shows its rounds on a bar, cleared when done.
        let rounds_shown: Box<dyn Iterator<Item = usize>> =
            if config.mode != Mode::Smoke && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                let bar = indicatif::ProgressBar::new(rounds as u64)
                    .with_finish(indicatif::ProgressFinish::AndClear);
                Box::new(weftkit::executor::Progress::with_bar(0..rounds, bar))
            } else {
                Box::new(0..rounds)
            };
        for round in rounds_shown {
            for (i, c) in contenders.iter_mut().enumerate() {
                if round >= c.max_samples {
                    continue;
                }
                let (sample, peak) = match &mut c.runner {
                    Runner::External(run) => {
                        let r = run();
                        (r.sample(), Some(r.rss_kib))
                    }
                    Runner::InProcess(_) if isolated => {
                        let r = child::spawn(self.group, &name, &c.system, config.mode);
                        (r.sample(), Some(r.rss_kib))
                    }
                    Runner::InProcess(run) => {
                        let start = Instant::now();
                        let ops = run();
                        let secs = start.elapsed().max(Duration::from_nanos(1)).as_secs_f64();
                        (Sample { ops, secs }, None)
                    }
                };
                samples[i].push(sample);
                if let Some(peak) = peak {
                    rss[i] = Some(rss[i].unwrap_or(0).max(peak));
                }
            }
            eprint!(".");
        }
        // Peak RSS of the in-process systems: each once more, alone in a child.
        for (c, rss) in contenders.iter().zip(&mut rss) {
            if rss.is_none() {
                *rss = Some(child::spawn(self.group, &name, &c.system, config.mode).rss_kib);
            }
        }
        eprintln!(" ok ({:.1} s)", began.elapsed().as_secs_f64());
        contenders
            .iter()
            .zip(samples)
            .zip(rss)
            .map(|((c, mut samples), peak_rss_kib)| {
                samples.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
                Measurement {
                    group: self.group,
                    workload: name.clone(),
                    system: c.system.clone(),
                    is_weft: c.is_weft,
                    unit,
                    show,
                    samples,
                    peak_rss_kib,
                }
            })
            .collect()
    }
}

/// Runs `system` of `workload` once, prints the report line and exits the process.
fn run_in_child(mut workload: Workload<'_>, system: &str) -> ! {
    let Some(c) = workload.contenders.iter_mut().find(|c| c.system == system) else {
        eprintln!("no system {system:?} in workload {:?}", workload.name);
        std::process::exit(3);
    };
    let Runner::InProcess(run) = &mut c.runner else {
        eprintln!("{system:?} is not run in this process");
        std::process::exit(3);
    };
    let start = Instant::now();
    let ops = run();
    let nanos = start.elapsed().as_nanos();
    child::report(ops, nanos);
    std::process::exit(0);
}

/// Workers used by the pool workloads: the machine's logical CPUs, at least 2.
pub(crate) fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, usize::from)
        .max(2)
}

/// Finds `system`'s median rate in `measured`.
pub(crate) fn rate_of(measured: &[Measurement], system: &str) -> Option<f64> {
    measured
        .iter()
        .find(|m| m.system == system)
        .map(Measurement::median_rate)
}

/// The best median rate among the peers in `measured`.
pub(crate) fn best_peer_rate(measured: &[Measurement]) -> Option<(String, f64)> {
    measured
        .iter()
        .filter(|m| !m.is_weft)
        .map(|m| (m.system.clone(), m.median_rate()))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}
