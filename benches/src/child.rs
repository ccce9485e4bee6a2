//! Child processes: this binary re-run for one system of one workload, and Python.
//!
//! Both print one line on stdout that the parent reads:
//! `WEFT-BENCH ops=<n> nanos=<t> rss_kib=<k> [check=<answer>]`, where `nanos` is the
//! time the child measured around the work itself (not its start-up) and `rss_kib` its
//! peak resident set (Linux `VmHWM`, read by the Python scripts too: `ru_maxrss`
//! carries over exec and would report the parent bench's peak).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::harness::{Mode, Sample};

/// The start of the line a child reports on.
pub(crate) const REPORT_PREFIX: &str = "WEFT-BENCH";

/// What a child reported.
#[derive(Debug, Clone)]
pub(crate) struct ChildRun {
    pub(crate) ops: u64,
    pub(crate) nanos: u64,
    pub(crate) rss_kib: u64,
    /// The answer an external program computed, for the parent to check.
    pub(crate) check: Option<String>,
}

impl ChildRun {
    pub(crate) fn sample(&self) -> Sample {
        Sample {
            ops: self.ops,
            secs: (self.nanos as f64 / 1e9).max(1e-9),
        }
    }

    /// Panics unless the child's answer is `expected`: a wrong answer fails the run.
    pub(crate) fn expect_check(self, system: &str, expected: &str) -> Self {
        assert_eq!(
            self.check.as_deref(),
            Some(expected),
            "{system} computed a wrong answer"
        );
        self
    }
}

/// Prints this child's report line (peak RSS read now).
pub(crate) fn report(ops: u64, nanos: u128) {
    println!(
        "{REPORT_PREFIX} ops={ops} nanos={nanos} rss_kib={}",
        peak_rss_kib()
    );
}

/// Peak resident set of this process, KiB (Linux `VmHWM`; 0 where unknown).
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

/// Runs `system` of `workload` (in `group`) once in a fresh copy of this binary.
///
/// # Panics
///
/// If the child fails (a wrong answer panics there) or does not report.
pub(crate) fn spawn(group: &str, workload: &str, system: &str, mode: Mode) -> ChildRun {
    let exe = std::env::current_exe().expect("the benchmark binary can find itself");
    let mut cmd = Command::new(exe);
    cmd.args(["--child", group, workload, system]);
    if mode != Mode::Full {
        cmd.arg(mode.flag());
    }
    run(cmd, system)
}

/// Runs `cmd` to the end and parses its report line.
///
/// # Panics
///
/// If the command cannot start, fails, or prints no report line: a benchmark that
/// breaks must fail the run loudly.
pub(crate) fn run(mut cmd: Command, system: &str) -> ChildRun {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not start {system} ({cmd:?}): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{system} failed ({}):\n{}\n{}",
        out.status,
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(parse)
        .unwrap_or_else(|| panic!("{system} printed no {REPORT_PREFIX} line:\n{stdout}"))
}

fn parse(line: &str) -> Option<ChildRun> {
    let rest = line.strip_prefix(REPORT_PREFIX)?;
    let mut run = ChildRun {
        ops: 0,
        nanos: 0,
        rss_kib: 0,
        check: None,
    };
    for field in rest.split_whitespace() {
        let (key, value) = field.split_once('=')?;
        match key {
            "ops" => run.ops = value.parse().ok()?,
            "nanos" => run.nanos = value.parse().ok()?,
            "rss_kib" => run.rss_kib = value.parse().ok()?,
            "check" => run.check = Some(value.to_owned()),
            _ => {}
        }
    }
    Some(run)
}

/// `python3` if it is installed with `concurrent.futures`; says once when it is not.
pub(crate) fn python() -> Option<&'static Path> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let found = Command::new("python3")
                .args([
                    "-c",
                    "import concurrent.futures, multiprocessing.synchronize, resource",
                ])
                .output()
                .is_ok_and(|o| o.status.success());
            if found {
                Some(PathBuf::from("python3"))
            } else {
                eprintln!("  (python3 not found: skipping the Python peers)");
                None
            }
        })
        .as_deref()
}

/// The version of `python3`, for the report header.
pub(crate) fn python_version() -> Option<String> {
    let python = python()?;
    let out = Command::new(python).arg("--version").output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A command running `benches/python/<script>` with `args`.
pub(crate) fn python_script(python: &Path, script: &str, args: &[String]) -> Command {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(script);
    let mut cmd = Command::new(python);
    cmd.arg(path).args(args);
    cmd
}
