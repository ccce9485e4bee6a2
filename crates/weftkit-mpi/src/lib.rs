//! Python's `mpi4py.futures` for Rust: the process pool's interface (`submit`, `map`,
//! the same [`Future`](weftkit_executor::Future)) running across the ranks of an MPI
//! job, on OpenMPI through the `mpi` crate.
//!
//! The job is SPMD: `mpirun -n N ./prog` starts this same program on N ranks, on one
//! host or many (`mpirun --hostfile hosts -n N ./prog`). Every rank calls [`init`]
//! first in `main`; rank 0 returns from it and goes on as the client, which builds an
//! [`MpiPool`]; every other rank runs the pool's tasks inside `init` and exits when
//! rank 0's program ends.
//!
//! Worker ranks exit when rank 0's *program* ends (after `main` returns), not when a
//! pool shuts down or is dropped: pools run one after another on the same ranks (one
//! at a time), so a worker cannot know that the pool it serves is the last. Code after
//! a pool's shutdown in `main` runs on rank 0 alone.
//!
//! | Python (`mpi4py.futures`) | weft |
//! |---|---|
//! | `MPIPoolExecutor()` / `MPICommExecutor()` | [`init`]`()?` then [`MpiPool::builder()`](MpiPool::builder)`.build()?` |
//! | `executor.submit(fn, arg)` | [`MpiPool::submit`] → [`Future`](weftkit_executor::Future) |
//! | `executor.map(fn, it, chunksize=n)` | [`MpiPool::map`]`(f, it).chunksize(n)` (lazy, one `Result` per item) |
//! | `executor.map(fn, it, unordered=True)` | [`MpiPool::map_unordered`] |
//! | `executor.shutdown(wait, cancel_futures)` | [`MpiPool::shutdown`] |
//! | (none) | [`MpiPool::stats`], a bounded queue ([`WhenFull`]) |
//!
//! The protocol, the threading rule (MPI is called by one thread at a time per rank:
//! `MPI_THREAD_SERIALIZED`) and what faults the pool survives are in `src/README.md`.
//!
//! # Examples
//!
//! ```no_run
//! fn is_prime(n: u64) -> bool {
//!     n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
//! }
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     weftkit::mpi::init()?; // worker ranks stay in here
//!     let pool = weftkit::mpi::MpiPool::builder().build()?;
//!     let primes = pool.map(is_prime, 0..100_000u64).chunksize(1_000).filter(|r| r == &Ok(true)).count();
//!     assert_eq!(primes, 9_592);
//!     Ok(())
//! }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backoff;
mod comm;
mod engine;
mod error;
mod init;
mod job;
mod map;
mod pool;
mod probe;
mod state;
mod wire;
mod worker;

pub use error::{BuildError, InitError};
pub use init::{hosts, init, rank};
pub use map::{Map, MapUnordered};
pub use pool::{DEFAULT_QUEUE_CAPACITY, MpiPool, MpiPoolBuilder, Stats};
pub use weftkit_process::{SubmitError, WhenFull};

/// The examples of this crate's README, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
