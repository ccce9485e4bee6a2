//! shuttle models of the pool: randomized schedules of scenarios with more threads
//! than loom can enumerate (`tests/loom.rs` covers the small ones exhaustively).
//! Under shuttle the deques are the same mutex model as under loom
//! (`src/registry/deque.rs`) and the workers are plain modelled threads. A failing
//! schedule is printed so it can be replayed. Run with `cargo xtask shuttle`.
#![cfg(weft_shuttle)]

#[path = "shuttle/shutdown_storm.rs"]
mod shutdown_storm;
#[path = "shuttle/stealing.rs"]
mod stealing;
