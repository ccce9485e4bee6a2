//! loom models of the client's shared state (`src/README.md`, invariants S1-S4): every
//! interleaving, within `LOOM_MAX_PREEMPTIONS`, of submitters, a shutdown and the
//! engine's take / end / sleep. MPI is outside loom's reach; the models run the state's
//! own code, `src/state.rs`. Run with `cargo xtask loom`.
#![cfg(weft_loom)]

#[path = "loom/state.rs"]
mod state;
