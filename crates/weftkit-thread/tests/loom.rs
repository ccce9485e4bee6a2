//! loom models: every interleaving (within `LOOM_MAX_PREEMPTIONS`) of weftkit-thread's
//! handshakes, through the public API. Run with `cargo xtask loom`.
//!
//! Under loom each model execution has its own weft runtime (see `src/runtime.rs`);
//! nothing touches the process (no `atexit`, no panic hook); timed waits time out
//! after one park, so the timer thread's waits and its idle exit are explored too.
#![cfg(weft_loom)]

#[path = "loom/stop.rs"]
mod stop;
#[path = "loom/timer.rs"]
mod timer;
