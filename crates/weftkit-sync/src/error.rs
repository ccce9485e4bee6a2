//! Every error weftkit-sync returns. Each message says what happened and what to do.

use std::fmt;

use thiserror::Error;

/// A stop-aware wait ended because its [`StopToken`](crate::StopToken) fired.
///
/// # Examples
///
/// ```
/// use weftkit::sync::{Lock, StopToken, Stopped};
///
/// let lock = Lock::new(0);
/// let _held = lock.lock();
/// let token = StopToken::new();
/// token.stop();
/// assert_eq!(lock.lock_stoppable(&token).err(), Some(Stopped));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error(
    "the wait was stopped because its StopToken fired; wind the work down, or retry with a token that has not been stopped"
)]
pub struct Stopped;

/// A constructor was given a value that means nothing.
///
/// # Examples
///
/// ```
/// use weftkit::sync::{Barrier, ConfigError, Queue};
///
/// assert_eq!(Barrier::new(0).err(), Some(ConfigError::ZeroParties));
/// assert_eq!(Queue::<i32>::bounded(0).err(), Some(ConfigError::ZeroCapacity));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `Barrier::new(0)`: a barrier needs at least one party.
    #[error(
        "a Barrier needs at least 1 party, got 0; pass the number of threads that will call wait()"
    )]
    ZeroParties,
    /// `Queue::bounded(0)`: a bounded queue needs room for at least one item.
    #[error(
        "a bounded queue needs a capacity of at least 1, got 0; use unbounded() for a queue with no limit"
    )]
    ZeroCapacity,
}

/// Releasing a semaphore failed; no permit was added.
///
/// # Examples
///
/// ```
/// use weftkit::sync::{BoundedSemaphore, ReleaseError};
///
/// let sem = BoundedSemaphore::new(1);
/// assert!(matches!(sem.release(1), Err(ReleaseError::PastBound { .. })));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// A `BoundedSemaphore` would hold more permits than it started with, counting
    /// the permits that live `SemaphorePermit`s will give back when dropped.
    #[error(
        "releasing {requested} permit(s) would push the semaphore past its bound of {bound} ({available} free, any others held by live permits, which give theirs back on drop): it was released more often than acquired; release only permits taken with acquire().forget(), or use Semaphore, which has no bound"
    )]
    PastBound {
        /// The start value, which the count may not exceed.
        bound: usize,
        /// Permits available before this release.
        available: usize,
        /// Permits this release tried to add.
        requested: usize,
    },
    /// The count would overflow `Semaphore::MAX_PERMITS`.
    #[error(
        "releasing {requested} permit(s) would overflow the permit count (at most usize::MAX / 2); release fewer"
    )]
    Overflow {
        /// Permits this release tried to add.
        requested: usize,
    },
}

/// A barrier wait (or withdrawal) did not complete.
///
/// [`Broken`](Self::Broken), [`TimedOut`](Self::TimedOut) and
/// [`Stopped`](Self::Stopped) mean the barrier is now broken: later waits fail with
/// [`Broken`](Self::Broken) until [`Barrier::reset`](crate::Barrier::reset).
/// [`LastParty`](Self::LastParty) leaves the barrier as it was.
///
/// # Examples
///
/// ```
/// use weftkit::sync::{Barrier, BarrierError};
///
/// let barrier = Barrier::new(2)?;
/// barrier.abort();
/// assert_eq!(barrier.wait(), Err(BarrierError::Broken));
/// # Ok::<(), weftkit::sync::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum BarrierError {
    /// The barrier was aborted or reset, or another party timed out, was stopped or
    /// panicked in the action.
    #[error(
        "the barrier is broken (aborted or reset, or another party timed out, was stopped or panicked in the action); call reset() before using it again"
    )]
    Broken,
    /// This party's timeout passed before all parties arrived; it broke the barrier.
    #[error(
        "timed out waiting for the other parties; the barrier is now broken, call reset() before using it again"
    )]
    TimedOut,
    /// This party's StopToken fired while it waited; it broke the barrier.
    #[error(
        "stopped while waiting for the other parties; the barrier is now broken, call reset() before using it again"
    )]
    Stopped,
    /// `withdraw` was called by the only remaining party; nothing changed.
    #[error(
        "the last party cannot withdraw from a barrier; call abort() to release a barrier nobody will complete"
    )]
    LastParty,
}

/// A `put` on a queue failed; the item is handed back.
///
/// # Examples
///
/// ```
/// use weftkit::sync::{PutError, Queue};
///
/// let q = Queue::bounded(1)?;
/// q.put("a")?;
/// let err = q.try_put("b").unwrap_err();
/// assert!(matches!(err, PutError::Full(_)));
/// assert_eq!(err.into_inner(), "b");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum PutError<T> {
    /// The queue was full (`try_put`).
    #[error("the queue is full; wait with put() or put_timeout(), or make the queue larger")]
    Full(T),
    /// The queue stayed full until the timeout passed (`put_timeout`).
    #[error("the queue stayed full until the timeout passed; retry, or make the queue larger")]
    TimedOut(T),
    /// The queue was shut down; it takes no more items.
    #[error("the queue was shut down and takes no more items")]
    ShutDown(T),
    /// The StopToken fired while the put waited for room.
    #[error("the put was stopped because its StopToken fired; the item was not queued")]
    Stopped(T),
}

impl<T> PutError<T> {
    /// Gives back the item that was not queued.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::Queue;
    ///
    /// let q = Queue::bounded(1)?;
    /// q.put(String::from("first"))?;
    /// let refused = q.try_put(String::from("second")).unwrap_err();
    /// assert_eq!(refused.into_inner(), "second"); // nothing is lost
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(item)
            | Self::TimedOut(item)
            | Self::ShutDown(item)
            | Self::Stopped(item) => item,
        }
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full(_) => "Full(..)",
            Self::TimedOut(_) => "TimedOut(..)",
            Self::ShutDown(_) => "ShutDown(..)",
            Self::Stopped(_) => "Stopped(..)",
        })
    }
}

/// A `get` on a queue returned no item.
///
/// # Examples
///
/// ```
/// use weftkit::sync::{GetError, Queue};
///
/// let q: Queue<i32> = Queue::unbounded();
/// assert_eq!(q.try_get(), Err(GetError::Empty));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum GetError {
    /// The queue was empty (`try_get`).
    #[error("the queue is empty; wait with get() or get_timeout()")]
    Empty,
    /// The queue stayed empty until the timeout passed (`get_timeout`).
    #[error("the queue stayed empty until the timeout passed")]
    TimedOut,
    /// The queue was shut down and is empty (or was shut down with `immediate`).
    #[error("the queue was shut down and has no more items")]
    ShutDown,
    /// The StopToken fired while the get waited for an item.
    #[error("the get was stopped because its StopToken fired")]
    Stopped,
}

/// `Queue::join` ended before every item was marked done.
///
/// # Examples
///
/// ```
/// use weftkit::sync::{Queue, QueueJoinError};
///
/// let q = Queue::unbounded();
/// q.put(1)?;
/// q.shutdown(true);
/// assert_eq!(q.join(), Err(QueueJoinError::ShutDown));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum QueueJoinError {
    /// The queue was shut down with `immediate`, dropping the unfinished items.
    #[error("the queue was shut down immediately; its unfinished items were dropped")]
    ShutDown,
    /// The join's timeout passed first (`join_timeout`).
    #[error("items were still unfinished when the timeout passed")]
    TimedOut,
    /// The StopToken fired while the join waited.
    #[error("the join was stopped because its StopToken fired")]
    Stopped,
}

/// `task_done` was called more times than items were put.
///
/// # Examples
///
/// ```
/// use weftkit::sync::{Queue, TaskDoneError};
///
/// let q: Queue<i32> = Queue::unbounded();
/// assert_eq!(q.task_done(), Err(TaskDoneError));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error(
    "task_done() called more times than items were put; call it once per item taken with get()"
)]
pub struct TaskDoneError;
