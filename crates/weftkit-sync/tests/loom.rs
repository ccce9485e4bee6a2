//! loom models: every interleaving (within `LOOM_MAX_PREEMPTIONS`) of the protocols in
//! `src/raw/README.md`, one module per primitive. Run with `cargo xtask loom`.
#![cfg(weft_loom)]

#[path = "loom/barrier.rs"]
mod barrier;
#[path = "loom/condition.rs"]
mod condition;
#[path = "loom/event.rs"]
mod event;
#[path = "loom/lock.rs"]
mod lock;
#[path = "loom/queue.rs"]
mod queue;
#[path = "loom/queue_array.rs"]
mod queue_array;
#[path = "loom/rlock.rs"]
mod rlock;
#[path = "loom/semaphore.rs"]
mod semaphore;
#[path = "loom/stop.rs"]
mod stop;
