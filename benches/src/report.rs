//! The report: a markdown table on stdout and in `target/bench/report.md`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::harness::{Config, Measurement};

/// Prints the table and writes it to `target/bench/report.md`.
pub(crate) fn print_and_save(results: &[Measurement], config: &Config) -> ExitCode {
    let table = render(results, config);
    println!("\n{table}");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|root| root.join("target").join("bench"))
        .unwrap_or_else(|| PathBuf::from("target/bench"));
    let path = dir.join("report.md");
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &table)) {
        Ok(()) => {
            eprintln!("report written to {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("could not write {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

fn render(results: &[Measurement], config: &Config) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "weft benchmarks ({} samples per system{}; {} logical CPUs)\n",
        config.samples,
        if config.quick { ", --quick" } else { "" },
        std::thread::available_parallelism().map_or(0, usize::from),
    );
    let _ = writeln!(
        out,
        "| workload | system | median | min – max | vs best peer | peak RSS |\n|---|---|---|---|---|---|"
    );
    let mut workloads: Vec<&str> = results.iter().map(|m| m.workload.as_str()).collect();
    workloads.dedup();
    for workload in workloads {
        let rows: Vec<&Measurement> = results.iter().filter(|m| m.workload == workload).collect();
        let best_peer = rows
            .iter()
            .filter(|m| !m.is_weft)
            .map(|m| m.median())
            .fold(0.0_f64, f64::max);
        for m in rows {
            let ratio = if best_peer > 0.0 {
                format!("{:.2}x", m.median() / best_peer)
            } else {
                "–".to_owned()
            };
            let rss = m.peak_rss_kib.map_or_else(
                || "–".to_owned(),
                |kib| format!("{:.1} MiB", kib as f64 / 1024.0),
            );
            let _ = writeln!(
                out,
                "| {workload} | {} | {} {}/s | {} – {} | {ratio} | {rss} |",
                m.system,
                human(m.median()),
                m.unit,
                human(m.rates[0]),
                human(m.rates[m.rates.len() - 1]),
            );
        }
    }
    out
}

/// 12345678.0 -> "12.3 M".
fn human(rate: f64) -> String {
    match rate {
        r if r >= 1e9 => format!("{:.2} G", r / 1e9),
        r if r >= 1e6 => format!("{:.2} M", r / 1e6),
        r if r >= 1e3 => format!("{:.1} k", r / 1e3),
        r => format!("{r:.0}"),
    }
}
