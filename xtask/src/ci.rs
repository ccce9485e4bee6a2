//! `cargo xtask ci`: everything CI checks, in order of speed.

use crate::cmd::{cargo, step};

/// Runs formatting, the shim check, clippy, docs, the tests, the tour, the benchmarks at
/// toy sizes, the loom models and the shuttle models;
/// stops at the first failure.
pub(crate) fn run() -> Result<(), String> {
    step("format", cargo().args(["fmt", "--all", "--check"]))?;
    crate::shim_check::run()?;
    step(
        "clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    step(
        "docs",
        cargo()
            .args(["doc", "--workspace", "--no-deps", "--quiet"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    step(
        "tests",
        cargo().args(["test", "--workspace", "--all-targets", "--release"]),
    )?;
    step("doctests", cargo().args(["test", "--workspace", "--doc"]))?;
    // README's main command, exactly as written: the tour checks its own answers.
    step(
        "tour",
        cargo().args(["run", "--release", "--quiet", "--example", "tour"]),
    )?;
    // The benchmark programs at toy sizes: a benchmark that computes a wrong answer fails.
    crate::bench::smoke()?;
    crate::loom::run(&[])?;
    crate::shuttle::run(&[])?;
    eprintln!("\nxtask ci: all checks passed");
    Ok(())
}
