//! loom models of the process pool's wake-up protocol (`src/wire/README.md`, invariant
//! 6): every interleaving, within `LOOM_MAX_PREEMPTIONS`, of submitters waking the
//! manager thread. The rest of the pool (worker processes, `poll`) is outside loom's
//! reach; the model runs the protocol's own code, `src/wake.rs`. Run with
//! `cargo xtask loom`.
#![cfg(weft_loom)]

#[path = "loom/wake.rs"]
mod wake;
