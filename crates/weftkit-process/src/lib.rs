//! Python's `concurrent.futures.ProcessPoolExecutor` and `multiprocessing.Pool`, as a
//! process pool that survives its workers.
//!
//! Worker processes are this same program started again (never a fork of a threaded
//! parent): call [`init`] first in `main`. Tasks are `fn` items or non-capturing
//! closures, `fn(A) -> R` with serde arguments and results; they travel as checked
//! postcard frames over a Unix socket per worker. A worker that dies under a task fails
//! that task's [`Future`](weftkit_executor::Future) with
//! [`TaskError::WorkerDied`](weftkit_executor::TaskError::WorkerDied) and is replaced; the
//! rest of the pool does not notice.
//!
//! | Python | weft |
//! |---|---|
//! | `ProcessPoolExecutor(max_workers, initializer, max_tasks_per_child)` | [`ProcessPool::builder()`](ProcessPool::builder) |
//! | `multiprocessing.Pool(processes, initializer, maxtasksperchild)` | the same builder |
//! | `executor.submit(fn, arg)` / `pool.apply_async(fn, (arg,))` | [`ProcessPool::submit`] → [`Future`](weftkit_executor::Future) |
//! | `executor.map(fn, it, chunksize=n)` / `pool.imap(fn, it, n)` | [`ProcessPool::map`]`(f, it).chunksize(n)` (lazy, one `Result` per item) |
//! | `pool.imap_unordered(fn, it, n)` | [`ProcessPool::map_unordered`] |
//! | `executor.shutdown(wait, cancel_futures)` / `pool.close(); pool.join()` | [`ProcessPool::shutdown`] |
//! | `pool.terminate()` | [`ProcessPool::terminate_workers`], [`ProcessPool::kill_workers`] |
//! | `BrokenProcessPool` | [`SubmitError::Broken`], [`TaskError::PoolBroken`](weftkit_executor::TaskError::PoolBroken) |
//! | (none) | per-task [`timeout`](ProcessPoolBuilder::timeout), [`retries`](ProcessPoolBuilder::retries), [`stats`](ProcessPool::stats) |
//!
//! The wire format and the invariants that make the pool safe are in
//! `src/wire/README.md`.
//!
//! # Examples
//!
//! ```
//! fn is_prime(n: u64) -> bool {
//!     n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     weftkit::process::init();
//!     let pool = weftkit::process::ProcessPool::builder().max_workers(2).build()?;
//!     let primes = pool.map(is_prime, 0..1_000u64).filter(|r| r == &Ok(true)).count();
//!     assert_eq!(primes, 168);
//!     Ok(())
//! }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
mod builder;
mod call;
mod error;
mod init;
mod interrupt;
mod manager;
mod map;
mod os;
mod pool;
#[doc(hidden)]
pub mod remote;
mod sink;
mod state;
mod wake;
mod wire;
mod worker;

pub use builder::{DEFAULT_QUEUE_CAPACITY, DEFAULT_STARTUP_TIMEOUT, ProcessPoolBuilder, WhenFull};
pub use error::{BuildError, SubmitError};
pub use init::init;
pub use map::{Map, MapUnordered};
pub use pool::{ProcessPool, Stats};

/// The examples of this crate's README, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
