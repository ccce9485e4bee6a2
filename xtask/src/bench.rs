//! `cargo xtask bench`: the side-by-side benchmarks (the `weftkit-benches` binary).

use crate::cmd::{cargo, step};

/// Builds and runs the benchmark binary in release mode, passing `args` through:
/// `[GROUP...] [--quick | --smoke]`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    step(
        "benchmarks",
        cargo()
            .args([
                "run",
                "--release",
                "--quiet",
                "--package",
                "weftkit-benches",
                "--",
            ])
            .args(args),
    )
}

/// Every benchmark program once at toy sizes: proves they still compute the right
/// answers (each checks its own result) and that the report and charts are drawn.
/// Takes seconds; writes to `target/bench/smoke/`, never over a real report.
pub(crate) fn smoke() -> Result<(), String> {
    run(&["--smoke".to_owned()])
}
