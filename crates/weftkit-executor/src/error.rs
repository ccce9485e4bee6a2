//! Every error weftkit-executor returns, and the hook for failures nobody looked at.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;
use std::time::Duration;

use thiserror::Error;
use weftkit_shim::sync::Arc;
use weftkit_sync::Lock;

/// The OS refused to start a worker thread.
///
/// # Examples
///
/// ```
/// use weftkit::executor::SpawnError;
///
/// fn report(e: &SpawnError) -> String {
///     e.to_string()
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "could not start worker thread {name:?}: {reason}; lower max_workers, or raise the process's thread limit (ulimit -u)"
)]
pub struct SpawnError {
    name: String,
    reason: String,
}

impl SpawnError {
    /// What `weftkit_thread::Thread::start` said, for worker `name`.
    pub(crate) fn from_thread(name: String, error: &weftkit_thread::SpawnError) -> Self {
        let reason = match error {
            // The OS's own words: the thread's name and the advice are ours.
            weftkit_thread::SpawnError::Os { source, .. } => source.to_string(),
            other => other.to_string(),
        };
        Self { name, reason }
    }

    /// The name the refused thread would have had.
    pub fn thread_name(&self) -> &str {
        &self.name
    }
}

/// `submit` refused a task; the task comes back unrun.
///
/// # Examples
///
/// ```
/// use weftkit::executor::{SubmitError, ThreadPool, WhenFull};
///
/// let pool = ThreadPool::builder().max_workers(1).build()?;
/// pool.shutdown(true, false);
/// match pool.submit(|| 1) {
///     Err(SubmitError::ShutDown(task)) => assert_eq!(task(), 1), // handed back
///     _ => unreachable!(),
/// }
/// # Ok::<(), weftkit::executor::BuildError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Error)]
pub enum SubmitError<F> {
    /// The queue was full and the pool was built with [`WhenFull::Reject`](crate::WhenFull::Reject)
    /// (or a `try_submit` / `submit_timeout` found no room in time).
    #[error("the pool's queue is full; retry later, use WhenFull::Block, or raise queue_capacity")]
    Full(F),
    /// The pool was shut down; it takes no more tasks.
    #[error("the pool was shut down and takes no more tasks")]
    ShutDown(F),
    /// A stop-aware submit's token fired while it waited for room.
    #[error("the submit was stopped because its StopToken fired while the queue was full")]
    Stopped(F),
    /// No worker thread could be started, so the task could never run.
    #[error("the pool could not start any worker thread: {0}")]
    Spawn(SpawnError, F),
    /// A weighted submit's cost exceeds the pool's whole weight limit.
    #[error(
        "the task's weight is larger than the pool's queue_weight_limit, so it could never be admitted; raise the limit or split the task"
    )]
    TooHeavy(F),
    /// A worker's initializer failed, so the pool runs nothing (Python's
    /// `BrokenThreadPool`); the reason is the initializer's panic message.
    #[error("the pool is broken because a worker's initializer failed ({0}); build a new pool")]
    Broken(String, F),
}

impl<F> SubmitError<F> {
    /// What a task that could not be submitted reports in place of its result (for
    /// `map` items and `run_in_executor`): the pool's breakage as
    /// [`TaskError::PoolBroken`], any other refusal as [`TaskError::ShutDown`].
    pub(crate) fn into_task_error(self) -> TaskError {
        match self {
            Self::Spawn(error, _) => TaskError::PoolBroken {
                reason: error.to_string(),
            },
            Self::Broken(reason, _) => TaskError::PoolBroken { reason },
            Self::Full(_) | Self::ShutDown(_) | Self::Stopped(_) | Self::TooHeavy(_) => {
                TaskError::ShutDown
            }
        }
    }

    /// Gives back the task that was not submitted.
    pub fn into_inner(self) -> F {
        match self {
            Self::Full(f)
            | Self::ShutDown(f)
            | Self::Stopped(f)
            | Self::Spawn(_, f)
            | Self::TooHeavy(f)
            | Self::Broken(_, f) => f,
        }
    }
}

impl<F> fmt::Debug for SubmitError<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(_) => f.write_str("Full(..)"),
            Self::ShutDown(_) => f.write_str("ShutDown(..)"),
            Self::Stopped(_) => f.write_str("Stopped(..)"),
            Self::Spawn(e, _) => f.debug_tuple("Spawn").field(e).field(&"..").finish(),
            Self::TooHeavy(_) => f.write_str("TooHeavy(..)"),
            Self::Broken(reason, _) => f.debug_tuple("Broken").field(reason).field(&"..").finish(),
        }
    }
}

/// A pool's builder was given settings that mean nothing.
///
/// # Examples
///
/// ```
/// use weftkit::executor::{BuildError, ThreadPool};
///
/// assert!(matches!(ThreadPool::builder().max_workers(0).build(), Err(BuildError::ZeroWorkers)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `max_workers(0)`.
    #[error("a pool needs at least 1 worker, got max_workers(0)")]
    ZeroWorkers,
    /// `queue_capacity(0)`.
    #[error(
        "a bounded queue needs a capacity of at least 1, got queue_capacity(0); use unbounded() for no limit"
    )]
    ZeroCapacity,
    /// `queue_weight_limit(0)`.
    #[error("a weight limit of 0 admits nothing; give a positive queue_weight_limit")]
    ZeroWeightLimit,
    /// `thread_name_prefix` contains a NUL byte, which no OS thread name can hold.
    #[error(
        "the thread name prefix contains a NUL byte, which no thread name can hold; remove it from thread_name_prefix"
    )]
    NulInThreadName,
}

/// Why a future holds no value.
///
/// # Examples
///
/// ```
/// use weftkit::executor::{TaskError, ThreadPool};
///
/// let pool = ThreadPool::builder().build()?;
/// let future = pool.submit(|| -> u32 { panic!("bad input") })?;
/// match future.result() {
///     Err(TaskError::Panicked { message }) => assert_eq!(message, "bad input"),
///     other => unreachable!("{other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TaskError {
    /// The task panicked; the worker survived.
    #[error("the task panicked: {message}")]
    Panicked {
        /// The panic's message (its `&str` or `String` payload).
        message: String,
    },
    /// The future was cancelled before its task started: `cancel()` returned `true`,
    /// or a shutdown with `cancel_futures` cancelled it. A running task is never
    /// cancelled (Python's contract); `request_stop` asks it to stop instead.
    #[error("the task was cancelled")]
    Cancelled,
    /// The pool broke (an initializer failed) before the task could run.
    #[error("the pool is broken and did not run the task: {reason}")]
    PoolBroken {
        /// What broke the pool.
        reason: String,
    },
    /// A timed wait for the result ended first; the future is still pending and can be
    /// waited on again.
    #[error("the task did not finish before the timeout; wait again, or cancel it")]
    TimedOut,
    /// A stop-aware wait for the result was stopped; the future is still pending.
    #[error("the wait for the result was stopped because its StopToken fired")]
    Stopped,
    /// The pool was shut down before this item of a `map` could be submitted.
    #[error(
        "the pool was shut down before the task could be submitted; submit before shutdown, or build a new pool"
    )]
    ShutDown,
    /// The pool's queue was full and this item of a `map` could not wait for room: the
    /// `map` ran inside a done callback, on the pool's own manager thread.
    #[error(
        "the pool's queue was full and a map inside a done callback cannot wait for room; run the map on another thread"
    )]
    QueueFull,
    /// The result was already taken out of this future.
    #[error("the result was already taken from this future")]
    AlreadyTaken,
    /// The worker process running the task died (killed by a signal, or it exited)
    /// before it sent the result back.
    #[error(
        "the worker process running the task died ({}) before sending its result; a task that aborts, exits or is killed ends its worker: find why, or set retries(n) to run it again on a fresh worker",
        describe_death(*signal, *exit_code)
    )]
    WorkerDied {
        /// The signal that killed the worker, if a signal did (9 for SIGKILL).
        signal: Option<i32>,
        /// The worker's exit code, if it exited.
        exit_code: Option<i32>,
    },
    /// The task ran past its deadline; its worker was killed (and replaced). Unlike
    /// [`TimedOut`](Self::TimedOut), the task is over.
    #[error(
        "the task ran past its {timeout:?} deadline and its worker was killed; raise the pool's timeout or split the task"
    )]
    DeadlineExceeded {
        /// The deadline the task ran past.
        timeout: Duration,
    },
    /// An argument or result could not be encoded or decoded, a frame carrying it was
    /// damaged, or the function could not be named to another process; the message
    /// says which, and what to do.
    #[error("the task could not cross the process boundary: {message}")]
    Codec {
        /// What failed.
        message: String,
    },
    /// The work's producer went away without completing it (a
    /// [`Promise`](crate::Promise) was dropped).
    #[error(
        "the task was abandoned: whatever was to run it went away without a result; this is a bug in the code that made the future's Promise"
    )]
    Abandoned,
}

/// "killed by signal 9", "exit code 3", or "no status" for [`TaskError::WorkerDied`].
fn describe_death(signal: Option<i32>, exit_code: Option<i32>) -> String {
    match (signal, exit_code) {
        (Some(signal), _) => format!("killed by signal {signal}"),
        (None, Some(code)) => format!("exit code {code}"),
        (None, None) => "no exit status".to_owned(),
    }
}

/// A task's failure that nobody observed, reported when its future was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnobservedFailure {
    /// What went wrong.
    pub error: TaskError,
}

/// A function told about failures nobody observed.
pub type UnobservedFailureHook = Box<dyn Fn(&UnobservedFailure) + Send + Sync>;
type Hook = UnobservedFailureHook;

fn hook() -> &'static Lock<Option<Arc<Hook>>> {
    static HOOK: OnceLock<Lock<Option<Arc<Hook>>>> = OnceLock::new();
    HOOK.get_or_init(|| Lock::new(None))
}

/// Sets the function told about failed futures dropped without anyone reading their
/// error (asyncio's "exception was never retrieved"); `None` restores the default, a
/// line on stderr.
///
/// The hook runs on the thread that drops the future (or completes it, if it was
/// dropped first), outside any lock: it may set another hook. If it panics, the
/// panic is caught and the failure goes to stderr instead; while the thread is
/// already unwinding from a panic, the hook is skipped for stderr (a second panic
/// there would abort the process).
///
/// # Examples
///
/// ```
/// weftkit::executor::set_unobserved_failure_hook(Some(Box::new(|failure| {
///     eprintln!("lost: {}", failure.error);
/// })));
/// weftkit::executor::set_unobserved_failure_hook(None);
/// ```
pub fn set_unobserved_failure_hook(new: Option<UnobservedFailureHook>) {
    *hook().lock() = new.map(Arc::new);
}

/// Tells the hook (or stderr) about a failure nobody observed.
pub(crate) fn report_unobserved(error: TaskError) {
    let failure = UnobservedFailure { error };
    let current = hook().lock().clone();
    let reported = match current {
        Some(hook) if !weftkit_shim::thread::panicking() => {
            catch_unwind(AssertUnwindSafe(|| hook(&failure))).is_ok()
        }
        _ => false,
    };
    if !reported {
        eprintln!(
            "weft: a task failed and nobody read its future's error: {}",
            failure.error
        );
    }
}

/// The message of a panic payload (`&str` or `String`), or a placeholder.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<a panic payload that is not a string>".to_owned()
    }
}
