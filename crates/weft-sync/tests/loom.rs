//! loom models: every interleaving (within `LOOM_MAX_PREEMPTIONS`) of the protocols in
//! `src/raw/README.md`, one module per primitive. Run with `cargo xtask loom`.
#![cfg(weft_loom)]

#[path = "loom/condition.rs"]
mod condition;
#[path = "loom/event.rs"]
mod event;
#[path = "loom/lock.rs"]
mod lock;
#[path = "loom/semaphore.rs"]
mod semaphore;
