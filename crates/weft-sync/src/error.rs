//! Every error weft-sync returns. Each message says what happened and what to do.

use thiserror::Error;

/// A stop-aware wait ended because its [`StopToken`](crate::StopToken) fired.
///
/// # Examples
///
/// ```
/// use weft::sync::{Lock, StopToken, Stopped};
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

/// Releasing a semaphore failed; no permit was added.
///
/// # Examples
///
/// ```
/// use weft::sync::{BoundedSemaphore, ReleaseError};
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
