//! weft: Python's concurrency vocabulary (`threading`, `queue`, `concurrent.futures`,
//! `multiprocessing`) with the same names and semantics, Python's pitfalls made
//! impossible or loud, and the speed of the best Rust crates.
//!
//! This crate is a facade with no logic of its own:
//!
//! - [`sync`]: `Lock`, `RLock`, `Condition`, `Event`, `Semaphore`, `BoundedSemaphore`,
//!   `Barrier`, `Queue`, `LifoQueue`, `PriorityQueue` and `StopToken` — Python's
//!   `threading` and `queue` modules.
//! - [`thread`]: `Thread`, `JoinHandle`, `Runnable`, `Timer`, daemon semantics at
//!   exit, a stop token per thread, `current`/`enumerate`, and the excepthook —
//!   Python's `threading.Thread` and `threading.Timer`.
//! - [`executor`]: `ThreadPool`, `Future` — Python's `concurrent.futures`.
//! - [`process`]: `ProcessPool` — Python's `ProcessPoolExecutor` and
//!   `multiprocessing.Pool`, with workers that may crash without taking the pool down.
//!
//! # Features
//!
//! - `progress` (off by default): `.progress()` on the pools' `map`, `map_unordered`
//!   and `as_completed` shows a progress bar (count, rate, ETA) on stderr.
//! - `mpi` (off by default; needs OpenMPI): [`mpi`](https://docs.rs/weftkit-mpi),
//!   `MpiPool`, the process pool's interface across the ranks of an MPI job —
//!   Python's `mpi4py.futures`.
//!
//! # Examples
//!
//! ```
//! use weftkit::sync::Lock;
//!
//! let total = Lock::new(0u64);
//! std::thread::scope(|s| {
//!     for i in 1..=4 {
//!         let total = &total;
//!         s.spawn(move || *total.lock() += i);
//!     }
//! });
//! assert_eq!(total.into_inner(), 10);
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

pub use weftkit_executor as executor;
#[cfg(feature = "mpi")]
#[cfg_attr(docsrs, doc(cfg(feature = "mpi")))]
pub use weftkit_mpi as mpi;
pub use weftkit_process as process;
pub use weftkit_sync as sync;
pub use weftkit_thread as thread;

/// The examples of this crate's README, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
