//! The report: a markdown table on stdout and in `target/bench/report.md`, with the
//! machine in its header, the targets from the issues, and one SVG chart per group.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::harness::{Bench, Measurement, Mode, Show};
use crate::machine::{self, Machine};

/// Where the report, the charts and the cached inputs go: `target/bench/`
/// (under `CARGO_TARGET_DIR` when that is set).
pub(crate) fn out_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .map_or_else(|| PathBuf::from("target"), |root| root.join("target"))
        },
        PathBuf::from,
    );
    target.join("bench")
}

/// Prints the report and writes it, with the charts, to `target/bench/` (a smoke run
/// to `target/bench/smoke/`, so that it never replaces a real report).
pub(crate) fn print_and_save(bench: &Bench, machine: &Machine, args: &[String]) -> ExitCode {
    let dir = match bench.config.mode {
        Mode::Smoke => out_dir().join("smoke"),
        Mode::Full | Mode::Quick => out_dir(),
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("could not create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let charts = match crate::chart::draw_all(&bench.results, &dir) {
        Ok(charts) => charts,
        Err(e) => {
            eprintln!("could not draw the charts: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = render(bench, machine, args, &charts);
    if bench.config.mode == Mode::Smoke {
        // Toy sizes: the table says nothing; that every answer checked out is the news.
        println!(
            "smoke: {} systems on {} workloads computed the right answers",
            bench.results.len(),
            bench
                .results
                .iter()
                .map(|m| &m.workload)
                .collect::<std::collections::HashSet<_>>()
                .len()
        );
    } else {
        println!("\n{text}");
    }
    let path = dir.join("report.md");
    match std::fs::write(&path, &text) {
        Ok(()) => {
            eprintln!("report and charts written to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("could not write {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

fn render(bench: &Bench, machine: &Machine, args: &[String], charts: &[String]) -> String {
    let mut out = String::new();
    let mut command = String::from("cargo xtask bench");
    for arg in args {
        command.push(' ');
        command.push_str(arg);
    }
    let samples = match bench.config.mode {
        Mode::Full => "10 samples per system (3 for the isolated memory and csv workloads)",
        Mode::Quick => "--quick: 3 samples per system (1 for memory and csv), smaller sizes",
        Mode::Smoke => "--smoke: 1 sample at toy sizes (a correctness check, not a measurement)",
    };
    let _ = writeln!(out, "# weft benchmarks\n");
    let _ = writeln!(out, "- command: `{command}`");
    let _ = writeln!(
        out,
        "- machine: {}, {} logical CPUs; {}",
        machine.cpu, machine.logical_cpus, machine.os
    );
    let _ = writeln!(out, "- toolchain: {}; {}", machine.rustc, machine.python);
    let _ = writeln!(
        out,
        "- date: {}; load average at start {}, at end {}",
        machine.date,
        machine.load_at_start,
        machine::load_average()
    );
    let _ = writeln!(out, "- {samples}, interleaved across systems");
    let _ = writeln!(
        out,
        "- *vs best peer*: median speed relative to the fastest non-weft system of the same \
         workload (above 1.00x = faster). *peak RSS*: a process that ran only that system \
         (VmHWM, Python included). Times marked `s` are per run (lower is better).\n"
    );

    if !bench.targets.is_empty() {
        let _ = writeln!(
            out,
            "## Targets\n\n| target | met | figures |\n|---|---|---|"
        );
        for t in &bench.targets {
            let met = if t.met { "yes" } else { "**no**" };
            let _ = writeln!(out, "| {} | {met} | {} |", t.what, t.figures);
        }
        out.push('\n');
    }

    let _ = writeln!(
        out,
        "## Results\n\n| workload | system | median | min – max | vs best peer | peak RSS |\n\
         |---|---|---|---|---|---|"
    );
    let mut workloads: Vec<&str> = bench.results.iter().map(|m| m.workload.as_str()).collect();
    workloads.dedup();
    for workload in workloads {
        let rows: Vec<&Measurement> = bench
            .results
            .iter()
            .filter(|m| m.workload == workload)
            .collect();
        let best_peer = best_peer(&rows);
        for m in rows {
            let (median, min, max) = m.shown();
            let ratio = match best_peer {
                Some(best) if best > 0.0 => format!("{:.2}x", m.median_rate() / best),
                _ => "–".to_owned(),
            };
            let rss = m.peak_rss_kib.map_or_else(
                || "–".to_owned(),
                |kib| format!("{:.1} MiB", kib as f64 / 1024.0),
            );
            let system = if m.is_weft {
                format!("**{}**", m.system)
            } else {
                m.system.clone()
            };
            let _ = writeln!(
                out,
                "| {workload} | {system} | {} | {} – {} | {ratio} | {rss} |",
                value(m, median, true),
                value(m, min, false),
                value(m, max, false),
            );
        }
    }
    if !charts.is_empty() {
        let _ = writeln!(out, "\n## Charts\n");
        for chart in charts {
            let _ = writeln!(out, "![{chart}]({chart})");
        }
    }
    out
}

/// The best median rate among the peers of one workload's rows.
pub(crate) fn best_peer(rows: &[&Measurement]) -> Option<f64> {
    rows.iter()
        .filter(|m| !m.is_weft)
        .map(|m| m.median_rate())
        .max_by(f64::total_cmp)
}

/// A shown value with its unit: `12.3 M lock+unlock/s`, or `1.93 s`.
pub(crate) fn value(m: &Measurement, v: f64, with_unit: bool) -> String {
    match m.show {
        Show::Time => format!("{v:.2} s"),
        Show::Rate if with_unit => format!("{} {}/s", human(v), m.unit),
        Show::Rate => human(v),
    }
}

/// 12345678.0 -> "12.3 M".
pub(crate) fn human(rate: f64) -> String {
    match rate {
        r if r >= 1e9 => format!("{:.2} G", r / 1e9),
        r if r >= 1e6 => format!("{:.2} M", r / 1e6),
        r if r >= 1e3 => format!("{:.1} k", r / 1e3),
        r => format!("{r:.0}"),
    }
}
