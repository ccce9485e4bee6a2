//! Python's `concurrent.futures.ThreadPoolExecutor`, as a work-stealing pool with
//! futures and a bounded queue.
//!
//! | Python | weft |
//! |---|---|
//! | `ThreadPoolExecutor(max_workers, thread_name_prefix, initializer)` | [`ThreadPool::builder()`](ThreadPool::builder) |
//! | `executor.submit(fn)` | [`ThreadPool::submit`] → `Result<Future<T>, SubmitError>` |
//! | `future.result()` / `result(timeout)` | [`Future::result`] / [`Future::result_timeout`] |
//! | `future.cancel()` / `done()` / `running()` / `cancelled()` | the same names on [`Future`] |
//! | (none) | [`Future::request_stop`]: a cooperative stop for a running task |
//! | `asyncio.wrap_future(future)` / `await loop.run_in_executor(executor, fn)` | `future.await` ([`Future`] is a `std::future::Future`) / [`ThreadPool::run_in_executor`]`(f).await` |
//! | `future.add_done_callback(fn)` | [`Future::add_done_callback`] |
//! | `future.exception()` / `exception(timeout)` | [`Future::exception`] / [`Future::exception_timeout`] (nothing is taken) |
//! | `future.result()` called again, from many threads | [`Future::shared`] → [`SharedFuture`]: cloneable, each reader gets a clone |
//! | `executor.shutdown(wait, cancel_futures)` | [`ThreadPool::shutdown`] |
//! | `executor.map(fn, iterable)` | [`ThreadPool::map`] (lazy, one `Result` per item), [`ThreadPool::map_unordered`] |
//! | `concurrent.futures.as_completed(fs, timeout)` | [`as_completed`], [`as_completed_timeout`] |
//! | `concurrent.futures.wait(fs, timeout, return_when)` | [`wait`] with [`ReturnWhen`] |
//! | (none: `Future.set_result` / `set_exception`, meant for executors) | [`Promise`]: the producing half of a [`Future`] |
//! | (none) | [`ThreadPool::scope`], [`ThreadPool::join`], [`ThreadPool::install`] (rayon's) |
//!
//! # Cancellation
//!
//! [`Future::cancel`] keeps Python's contract: on a task that has not started it
//! completes the future as [`TaskError::Cancelled`] at once, the task never runs, and
//! `cancel` returns `true`; on a running or finished task it returns `false` and
//! changes nothing (the task's result stands). [`Future::cancelled`] is `true` exactly
//! when a cancel succeeded (or a shutdown with `cancel_futures` cancelled the future).
//! A cancelled future is never reported as an unobserved failure.
//!
//! Beyond Python, [`Future::request_stop`] reaches running work cooperatively: it
//! fires the task's [`StopToken`](weftkit_sync::StopToken) (the one [`stop_token`]
//! returns inside the task), so a stop-aware wait in the task returns early. The task
//! then decides its own outcome: the future completes with what it returns.
//!
//! The pool's sleep/wake and admission protocols are described in
//! `src/registry/README.md`; loom models in `tests/loom/` check them.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod async_interop;
mod builder;
mod completions;
mod error;
mod future;
mod join;
mod map;
mod pool;
#[cfg(feature = "progress")]
mod progress;
mod promise;
mod registry;
mod scope;
mod shared_future;
mod task;
mod wait;

pub use async_interop::{CancelOnDrop, RunInExecutor};
pub use builder::{DEFAULT_QUEUE_CAPACITY, ThreadPoolBuilder, WhenFull};
pub use error::{
    BuildError, SpawnError, SubmitError, TaskError, UnobservedFailure, UnobservedFailureHook,
    set_unobserved_failure_hook,
};
pub use future::{Future, FutureId};
pub use map::{Map, MapUnordered};
pub use pool::ThreadPool;
#[cfg(feature = "progress")]
pub use progress::Progress;
pub use promise::Promise;
pub use scope::Scope;
pub use shared_future::SharedFuture;
pub use task::stop_token;
pub use wait::{
    AsCompleted, AsFuture, ReturnWhen, Waited, as_completed, as_completed_timeout, wait,
};

/// The examples of this crate's README, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
