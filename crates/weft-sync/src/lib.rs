//! Python's `threading` and `queue` primitives, in Rust form.
//!
//! | Python | weft |
//! |---|---|
//! | `threading.Lock` | [`Lock<T>`] |
//! | `threading.RLock` | `RLock<T>` |
//! | `threading.Condition` | [`Condition<T>`] |
//! | `threading.Event` | [`Event`] |
//! | `threading.Semaphore` / `BoundedSemaphore` | [`Semaphore`] / [`BoundedSemaphore`] |
//! | `threading.Barrier` | `Barrier` |
//! | `queue.Queue` / `LifoQueue` / `PriorityQueue` | `Queue` / `LifoQueue` / `PriorityQueue` |
//! | (none: a sentinel or a polling loop) | [`StopToken`] |
//!
//! Every blocking operation comes in four forms: blocking (`lock`, `get`, `wait`),
//! non-blocking (`try_lock`, `try_get`), timed (`lock_timeout`, `get_timeout`,
//! `wait_timeout`) and stop-aware (`lock_stoppable`, `get_stoppable`,
//! `wait_stoppable`), which returns as soon as a [`StopToken`] fires.
//!
//! Locks own the data they protect and hand it out through guards that unlock on
//! drop, also during a panic; a condition's `wait` and `notify` are methods of its
//! guard, so calling them without the lock does not compile.
//!
//! This crate never spawns a thread. Its waiting machinery and the invariants that make
//! it correct are described in `src/raw/README.md`; loom models in `tests/loom/` check
//! them under every interleaving.

mod condition;
mod error;
mod event;
mod lock;
mod raw;
mod semaphore;
mod stop;

pub use condition::{Condition, ConditionGuard};
pub use error::{ReleaseError, Stopped};
pub use event::Event;
pub use lock::{Lock, LockGuard};
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphorePermit};
pub use stop::StopToken;
