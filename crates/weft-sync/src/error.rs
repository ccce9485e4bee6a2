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

/// A constructor was given a value that means nothing.
///
/// # Examples
///
/// ```
/// use weft::sync::{Barrier, ConfigError};
///
/// assert_eq!(Barrier::new(0).err(), Some(ConfigError::ZeroParties));
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
/// use weft::sync::{Barrier, BarrierError};
///
/// let barrier = Barrier::new(2)?;
/// barrier.abort();
/// assert_eq!(barrier.wait(), Err(BarrierError::Broken));
/// # Ok::<(), weft::sync::ConfigError>(())
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
