//! What the benchmarks ran on, for the report's header (best effort: what cannot be
//! read is "unknown").

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The machine and toolchain of a run.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    pub(crate) cpu: String,
    pub(crate) logical_cpus: usize,
    pub(crate) os: String,
    pub(crate) rustc: String,
    pub(crate) python: String,
    pub(crate) date: String,
    pub(crate) load_at_start: String,
}

impl Machine {
    /// Reads `/proc`, `/etc/os-release`, `rustc -V` and `python3 --version`.
    pub(crate) fn detect() -> Self {
        let cpu = read("/proc/cpuinfo")
            .and_then(|info| {
                info.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            })
            .unwrap_or_else(unknown);
        let distro = read("/etc/os-release")
            .and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .map(|v| v.trim_matches('"').to_owned())
            })
            .unwrap_or_else(|| std::env::consts::OS.to_owned());
        let kernel =
            read("/proc/sys/kernel/osrelease").map_or_else(unknown, |k| k.trim().to_owned());
        Self {
            cpu,
            logical_cpus: std::thread::available_parallelism().map_or(0, usize::from),
            os: format!("{distro}, kernel {kernel} ({})", std::env::consts::ARCH),
            rustc: command_line("rustc", "-V").unwrap_or_else(unknown),
            python: crate::child::python_version().unwrap_or_else(|| "not found".to_owned()),
            date: today(),
            load_at_start: load_average(),
        }
    }
}

/// The 1, 5 and 15 minute load averages (how busy the machine was).
pub(crate) fn load_average() -> String {
    read("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(unknown)
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn unknown() -> String {
    "unknown".to_owned()
}

fn command_line(program: &str, arg: &str) -> Option<String> {
    let out = Command::new(program).arg(arg).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Today's date (UTC) as YYYY-MM-DD.
fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
