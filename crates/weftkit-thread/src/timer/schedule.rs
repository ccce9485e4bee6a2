//! Fixed-rate arithmetic: when an every-timer runs next (invariant T4 in `README.md`).

use weftkit_shim::time::Duration;

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// The tick an every-timer of `period` runs after tick `tick`, when `elapsed` has
/// passed since its start: the first tick after `tick` whose due time (`n · period`
/// after the start) has not passed yet. Ticks whose time went by while a run was late
/// are skipped, never run in a burst; and since every due time is computed from the
/// start, lateness never accumulates (no drift).
///
/// Returns the tick's number and its offset from the start, or `None` if the offset
/// cannot be represented (or `period` is zero).
pub(crate) fn next_tick(period: Duration, tick: u64, elapsed: Duration) -> Option<(u64, Duration)> {
    let period_ns = period.as_nanos();
    if period_ns == 0 {
        return None;
    }
    // The first tick whose due time is not before `elapsed`.
    let first_not_passed = elapsed.as_nanos().div_ceil(period_ns);
    let next = u128::from(tick.checked_add(1)?).max(first_not_passed);
    let offset_ns = next.checked_mul(period_ns)?;
    let offset = Duration::new(
        u64::try_from(offset_ns / NANOS_PER_SEC).ok()?,
        u32::try_from(offset_ns % NANOS_PER_SEC).ok()?,
    );
    Some((u64::try_from(next).ok()?, offset))
}
