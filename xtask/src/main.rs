//! `cargo xtask <task>`: all of weft's automation, one module per task.
//!
//! - `ci`: formatting, clippy, docs, every test, the tour, the benchmarks at toy
//!   sizes (`bench --smoke`), then the loom and shuttle models.
//! - `loom [--preemptions N]`: the loom models alone, in their own target dir.
//! - `shuttle [--scale X]`: the shuttle models alone, in their own target dir.
//! - `bench [GROUP...] [--quick | --smoke]`: the side-by-side benchmarks against the peers.
//! - `mpi [--setup]`: OpenMPI installed if missing, then the MPI tests under `mpirun`.

mod bench;
mod ci;
mod cmd;
mod loom;
mod mpi;
mod shim_check;
mod shuttle;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  ci [--skip-models]      fmt --check, clippy -D warnings, docs, all tests, tour,
                          benchmarks at toy sizes, packaging of every published
                          crate, loom and shuttle models (--skip-models: all but
                          the models, for a CI that runs them as separate jobs)
  loom [--preemptions N]  loom models only (release, own target dir; default N = 2)
  shuttle [--scale X]     shuttle models only (release, own target dir; each
                          model's iteration count times X, default 50)
  bench [GROUP...] [--quick | --smoke]
                          side-by-side benchmarks of weft and its peers; writes
                          target/bench/report.md and an SVG chart per group
                          (`cargo xtask bench --help` lists the groups)
  mpi [--setup]           install OpenMPI if missing (root + apt-get; otherwise
                          name the command), then run the MPI tests on 4 ranks
                          (--setup: only the install)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => match &args[1..] {
            [] => ci::run(true),
            [flag] if flag == "--skip-models" => ci::run(false),
            _ => {
                eprint!("{USAGE}");
                return ExitCode::from(2);
            }
        },
        Some("loom") => loom::run(&args[1..]),
        Some("shuttle") => shuttle::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("mpi") => match &args[1..] {
            [] => mpi::test(),
            [flag] if flag == "--setup" => mpi::ensure(),
            _ => {
                eprint!("{USAGE}");
                return ExitCode::from(2);
            }
        },
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
