//! Every error weftkit-process returns (task failures are weftkit-executor's
//! [`TaskError`](weftkit_executor::TaskError)).

use std::fmt;

use thiserror::Error;

/// A process pool could not be built.
///
/// # Examples
///
/// ```
/// use weftkit::process::{BuildError, ProcessPool};
///
/// weftkit::process::init();
/// assert!(matches!(ProcessPool::builder().max_workers(0).build(), Err(BuildError::ZeroWorkers)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `weftkit::process::init()` was not called, so the workers (this program started
    /// again) would never reach the worker loop.
    #[error(
        "weftkit::process::init() was not called: call it first in main, so that the worker processes (this program, started again) run tasks instead of main"
    )]
    NotInitialized,
    /// `max_workers(0)`.
    #[error(
        "a pool needs at least 1 worker, got max_workers(0); give 1 or more, or leave it out for one per CPU"
    )]
    ZeroWorkers,
    /// `queue_capacity(0)`.
    #[error(
        "a bounded queue needs a capacity of at least 1, got queue_capacity(0); use unbounded() for no limit"
    )]
    ZeroCapacity,
    /// `max_tasks_per_child(0)`.
    #[error(
        "max_tasks_per_child(0) would retire every worker before its first task; give at least 1"
    )]
    ZeroTasksPerChild,
    /// The initializer is a function that a worker could not find: it is in a shared
    /// library, not in this executable.
    #[error("the initializer cannot be named to a worker: {0}")]
    InitializerNotPortable(String),
    /// `timeout(Duration::ZERO)`.
    #[error(
        "timeout(0) would kill every task as it starts; give the longest a task may run, or leave it out for no limit"
    )]
    ZeroTimeout,
    /// `startup_timeout(Duration::ZERO)`.
    #[error(
        "startup_timeout(0) would break the pool before any worker could start; give it at least a second"
    )]
    ZeroStartupTimeout,
    /// The operating system refused what the pool needs to start: its manager thread,
    /// a socket, or the path of this program.
    #[error(
        "the operating system refused to set the pool up: {0}; check the thread and file-descriptor limits (ulimit -u, ulimit -n)"
    )]
    Os(String),
}

/// `submit` refused a task; its argument comes back.
///
/// # Examples
///
/// ```
/// use weftkit::process::{ProcessPool, SubmitError};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// weftkit::process::init();
/// let pool = ProcessPool::builder().max_workers(1).build()?;
/// pool.shutdown(true, false);
/// match pool.submit(|n: u32| n + 1, 41) {
///     Err(SubmitError::ShutDown(args)) => assert_eq!(args, 41), // handed back
///     _ => unreachable!(),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SubmitError<A> {
    /// The queue was full and the pool was built with
    /// [`WhenFull::Reject`](crate::WhenFull::Reject).
    #[error("the pool's queue is full; retry later, use WhenFull::Block, or raise queue_capacity")]
    Full(A),
    /// The pool was shut down (or its workers terminated); it takes no more tasks.
    #[error(
        "the pool was shut down and takes no more tasks; submit before shutdown, or build a new pool"
    )]
    ShutDown(A),
    /// The pool is broken: its workers could not start, or its initializer failed.
    #[error("the process pool is broken and takes no more tasks: {reason}")]
    Broken {
        /// What broke the pool.
        reason: String,
        /// The refused argument.
        args: A,
    },
}

impl<A> SubmitError<A> {
    /// Gives back the argument that was not submitted.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = weftkit::process::SubmitError::Full(3u8);
    /// assert_eq!(e.into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> A {
        match self {
            Self::Full(a) | Self::ShutDown(a) | Self::Broken { args: a, .. } => a,
        }
    }
}

impl<A> fmt::Debug for SubmitError<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::ShutDown(_) => f.write_str("ShutDown(..)"),
            Self::Broken { reason, .. } => f
                .debug_struct("Broken")
                .field("reason", reason)
                .finish_non_exhaustive(),
        }
    }
}
