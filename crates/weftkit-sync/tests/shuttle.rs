//! shuttle models of the queues: randomized schedules of scenarios loom cannot finish
//! (`tests/loom.rs` covers the small ones exhaustively). A failing schedule is printed
//! so it can be replayed. Run with `cargo xtask shuttle`.
#![cfg(weft_shuttle)]

#[path = "shuttle/queue_array.rs"]
mod queue_array;
