//! Turning a timeout into a fixed monotonic deadline.

use weftkit_shim::time::{Duration, Instant};

/// The instant `timeout` from now, or `None` (wait forever) when that instant is
/// too far away to represent.
///
/// Every timed wait computes its deadline once, before it first parks, so spurious
/// wake-ups and retries never extend it.
pub(crate) fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}
