//! Python's `threading` and `queue` primitives, in Rust form.
//!
//! | Python | weft |
//! |---|---|
//! | `threading.Lock` | [`Lock<T>`] |
//! | `threading.RLock` | [`RLock<T>`] |
//! | `threading.Condition` | [`Condition<T>`] |
//! | `threading.Event` | [`Event`] |
//! | `threading.Semaphore` / `BoundedSemaphore` | [`Semaphore`] / [`BoundedSemaphore`] |
//! | `threading.Barrier` | [`Barrier`] |
//! | `queue.Queue` / `LifoQueue` / `PriorityQueue` | [`Queue<T>`] / [`LifoQueue<T>`] / [`PriorityQueue<T>`] |
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
#![cfg_attr(docsrs, feature(doc_cfg))]

mod barrier;
mod condition;
mod error;
mod event;
mod lock;
mod queue;
mod raw;
mod rlock;
mod semaphore;
mod stop;

pub use barrier::Barrier;
pub use condition::{Condition, ConditionGuard};
pub use error::{
    BarrierError, ConfigError, GetError, PutError, QueueJoinError, ReleaseError, Stopped,
    TaskDoneError,
};
pub use event::Event;
pub use lock::{Lock, LockGuard};
pub use queue::{LifoQueue, PriorityQueue, Queue};
pub use rlock::{RLock, RLockGuard};
pub use semaphore::{BoundedSemaphore, Semaphore, SemaphorePermit};
pub use stop::StopToken;

/// The examples of this crate's README, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
