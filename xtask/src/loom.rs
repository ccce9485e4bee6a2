//! `cargo xtask loom`: the loom models, in release mode (with debug assertions and
//! overflow checks on) and their own target dir.

use crate::cmd::{cargo, step, workspace_root};

/// Preemption bound that keeps the models to minutes on two cores.
const DEFAULT_PREEMPTIONS: &str = "2";

/// Crates with loom models in `tests/loom.rs`.
const MODELLED: &[&str] = &[
    "weftkit-sync",
    "weftkit-thread",
    "weftkit-executor",
    "weftkit-process",
    "weftkit-mpi",
];

/// Runs every loom model; `--preemptions N` deepens the search.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let preemptions = match args {
        [] => DEFAULT_PREEMPTIONS.to_owned(),
        [flag, n] if flag == "--preemptions" && n.parse::<u32>().is_ok() => n.clone(),
        _ => return Err("usage: cargo xtask loom [--preemptions N]".into()),
    };
    let target_dir = workspace_root().join("target").join("loom");
    for package in MODELLED {
        step(
            &format!("loom models of {package} (LOOM_MAX_PREEMPTIONS={preemptions})"),
            cargo()
                .args(["test", "--release", "--package", package, "--test", "loom"])
                .env("RUSTFLAGS", "--cfg weft_loom")
                .env("CARGO_TARGET_DIR", &target_dir)
                .env("LOOM_MAX_PREEMPTIONS", &preemptions)
                // Release for speed, but keep the library's debug_assert!s (its
                // invariant checks) and overflow checks live in every interleaving:
                // `cargo xtask ci` runs the other tests in release, where they are off.
                .env("CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS", "true")
                .env("CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS", "true"),
        )?;
    }
    Ok(())
}
