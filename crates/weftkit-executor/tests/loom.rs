//! loom models of the pool's protocols (`src/registry/README.md`): every interleaving,
//! within `LOOM_MAX_PREEMPTIONS`, of a real pool whose one or two workers are loom
//! threads. Under loom the deques are a mutex model (`src/registry/deque.rs`). Each
//! model has at most three threads. Run with `cargo xtask loom`.
#![cfg(weft_loom)]

#[path = "loom/future.rs"]
mod future;
#[path = "loom/join.rs"]
mod join;
#[path = "loom/shutdown.rs"]
mod shutdown;
#[path = "loom/sleep.rs"]
mod sleep;
