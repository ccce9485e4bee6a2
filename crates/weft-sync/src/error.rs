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
