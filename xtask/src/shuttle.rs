//! `cargo xtask shuttle`: the shuttle models (randomized schedules of scenarios too
//! large for loom), in release mode with debug assertions and overflow checks on, in
//! their own target dir.

use crate::cmd::{cargo, step, workspace_root};

/// How many times each model's own iteration count to run: about a minute in all on
/// two cores.
const DEFAULT_SCALE: &str = "50";

/// Crates with shuttle models in `tests/shuttle.rs`.
const MODELLED: &[&str] = &["weftkit-sync", "weftkit-executor"];

/// Runs every shuttle model; `--scale X` multiplies every model's iteration count.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let scale = match args {
        [] => DEFAULT_SCALE.to_owned(),
        [flag, x] if flag == "--scale" && x.parse::<f64>().is_ok_and(|x| x > 0.0) => x.clone(),
        _ => return Err("usage: cargo xtask shuttle [--scale X]".into()),
    };
    let target_dir = workspace_root().join("target").join("shuttle");
    for package in MODELLED {
        step(
            &format!("shuttle models of {package} (WEFT_SHUTTLE_SCALE={scale})"),
            cargo()
                .args([
                    "test",
                    "--release",
                    "--package",
                    package,
                    "--test",
                    "shuttle",
                ])
                .env("RUSTFLAGS", "--cfg weft_shuttle")
                .env("CARGO_TARGET_DIR", &target_dir)
                .env("WEFT_SHUTTLE_SCALE", &scale)
                // shuttle treats every ordering as SeqCst and says so once per model;
                // the loom models are the ones that check orderings.
                .env("SHUTTLE_SILENCE_WARNINGS", "1")
                .env("CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS", "true")
                .env("CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS", "true"),
        )?;
    }
    Ok(())
}
