//! `cargo xtask ci`: everything CI checks, in order of speed.

use crate::cmd::{cargo, step};

/// The crates published to the registry, lowest layer first; the testkit, the benches
/// and xtask are `publish = false`.
pub(crate) const PUBLISHED: &[&str] = &[
    "weftkit-shim",
    "weftkit-sync",
    "weftkit-thread",
    "weftkit-executor",
    "weftkit-process",
    "weftkit-mpi",
    "weftkit",
];

/// Runs formatting, the shim check, clippy, docs, the tests, the tour, the benchmarks at
/// toy sizes, the packaging of every published crate, the loom models and the shuttle
/// models (unless `models` is false); stops at the first failure.
pub(crate) fn run(models: bool) -> Result<(), String> {
    // First: the MPI crate is built, linted and tested with the rest, so OpenMPI must
    // be here (installed now if it can be, else a failure naming the command).
    // mpi4py, the MPI benchmark's peer, is not needed here (the smoke run skips it).
    crate::mpi::ensure_build()?;
    step("format", cargo().args(["fmt", "--all", "--check"]))?;
    crate::shim_check::run()?;
    step(
        "clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    step(
        "docs",
        cargo()
            .args([
                "doc",
                "--workspace",
                "--no-deps",
                "--all-features",
                "--quiet",
            ])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    step(
        "tests",
        cargo().args([
            "test",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--release",
        ]),
    )?;
    step(
        "doctests",
        cargo().args(["test", "--workspace", "--doc", "--all-features"]),
    )?;
    // README's main command, exactly as written: the tour checks its own answers.
    step(
        "tour",
        cargo().args(["run", "--release", "--quiet", "--example", "tour"]),
    )?;
    // The tour's feature-gated section (the progress bar) runs too.
    step(
        "tour with --features progress",
        cargo().args([
            "run",
            "--release",
            "--quiet",
            "--example",
            "tour",
            "--features",
            "progress",
        ]),
    )?;
    // The MPI tour on 4 ranks, as README says to run it.
    crate::mpi::tour()?;
    // The benchmark programs at toy sizes: a benchmark that computes a wrong answer fails.
    crate::bench::smoke()?;
    // Every published crate packaged and built from its packaged sources alone.
    let mut package = cargo();
    package.args(["package", "--quiet", "--allow-dirty"]);
    for name in PUBLISHED {
        package.args(["--package", name]);
    }
    step(
        "package (each published crate builds from its package)",
        &mut package,
    )?;
    if models {
        crate::loom::run(&[])?;
        crate::shuttle::run(&[])?;
    }
    eprintln!("\nxtask ci: all checks passed");
    Ok(())
}
