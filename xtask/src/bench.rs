//! `cargo xtask bench`: the side-by-side benchmarks (the `weftkit-benches` binary).

use crate::cmd::{cargo, step};

/// Builds and runs the benchmark binary in release mode, passing `args` through:
/// `[GROUP...] [--quick | --smoke]`.
/// With OpenMPI installed, the MPI group (weft's MPI pool vs mpi4py.futures) is built
/// in too.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--release",
        "--quiet",
        "--package",
        "weftkit-benches",
    ]);
    if crate::mpi::buildable() {
        // The MPI group measures mpi4py.futures beside weft where it is installed:
        // installed here when it can be; without it the group still runs (a smoke
        // run, as in CI, never needs it).
        let groups: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let smoke = args.iter().any(|a| a == "--smoke");
        let mpi_group = groups.is_empty() || groups.iter().any(|g| g.as_str() == "mpi");
        if !smoke
            && mpi_group
            && let Err(error) = crate::mpi::ensure()
        {
            eprintln!("note: {error}; the MPI group runs without its mpi4py peer");
        }
        cmd.args(["--features", "mpi"]);
    }
    step("benchmarks", cmd.arg("--").args(args))
}

/// Every benchmark program once at toy sizes: proves they still compute the right
/// answers (each checks its own result) and that the report and charts are drawn.
/// Takes seconds; writes to `target/bench/smoke/`, never over a real report.
pub(crate) fn smoke() -> Result<(), String> {
    run(&["--smoke".to_owned()])
}
