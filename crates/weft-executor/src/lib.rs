//! Python's `concurrent.futures.ThreadPoolExecutor`, as a work-stealing pool with
//! futures and a bounded queue.
//!
//! | Python | weft |
//! |---|---|
//! | `ThreadPoolExecutor(max_workers, thread_name_prefix, initializer)` | [`ThreadPool::builder()`](ThreadPool::builder) |
//! | `executor.submit(fn)` | [`ThreadPool::submit`] → `Result<Future<T>, SubmitError>` |
//! | `future.result()` / `result(timeout)` | [`Future::result`] / [`Future::result_timeout`] |
//! | `future.cancel()` / `done()` / `running()` / `cancelled()` | the same names on [`Future`] |
//! | `future.add_done_callback(fn)` | [`Future::add_done_callback`] |
//! | `executor.shutdown(wait, cancel_futures)` | [`ThreadPool::shutdown`] |
//! | `executor.map(fn, iterable)` | [`ThreadPool::map`] (lazy, one `Result` per item), [`ThreadPool::map_unordered`] |
//! | `concurrent.futures.as_completed(fs, timeout)` | [`as_completed`], [`as_completed_timeout`] |
//! | `concurrent.futures.wait(fs, timeout, return_when)` | [`wait`] with [`ReturnWhen`] |
//! | (none: `Future.set_result` / `set_exception`, meant for executors) | [`Promise`]: the producing half of a [`Future`] |
//! | (none) | [`ThreadPool::scope`], [`ThreadPool::join`], [`ThreadPool::install`] (rayon's) |
//!
//! # Cancellation
//!
//! [`Future::cancel`] on a task that has not started completes its future as
//! [`TaskError::Cancelled`] at once and the task never runs (`cancel` returns `true`).
//! On a running task it returns `false`, as Python's does, but goes further: it fires
//! the task's [`StopToken`](weft_sync::StopToken) (the one [`stop_token`] returns inside
//! the task), so a stop-aware wait in the task returns early, and when the task
//! returns its future completes as [`TaskError::Cancelled`], whatever it returned.
//! [`Future::cancelled`] is `true` only once the future is done. A cancelled future is
//! never reported as an unobserved failure.
//!
//! The pool's sleep/wake and admission protocols are described in
//! `src/registry/README.md`; loom models in `tests/loom/` check them.

mod builder;
mod completions;
mod error;
mod future;
mod join;
mod map;
mod pool;
mod promise;
mod registry;
mod scope;
mod task;
mod wait;

pub use builder::{DEFAULT_QUEUE_CAPACITY, ThreadPoolBuilder, WhenFull};
pub use error::{
    BuildError, SpawnError, SubmitError, TaskError, UnobservedFailure, UnobservedFailureHook,
    set_unobserved_failure_hook,
};
pub use future::Future;
pub use map::{Map, MapUnordered};
pub use pool::ThreadPool;
pub use promise::Promise;
pub use scope::Scope;
pub use task::stop_token;
pub use wait::{AsCompleted, ReturnWhen, Waited, as_completed, as_completed_timeout, wait};
