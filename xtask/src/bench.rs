//! `cargo xtask bench`: the side-by-side benchmarks (the `weft-benches` binary).

use crate::cmd::{cargo, step};

/// Builds and runs the benchmark binary in release mode, passing `args` through.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    step(
        "benchmarks",
        cargo()
            .args(["run", "--release", "--package", "weft-benches", "--"])
            .args(args),
    )
}
