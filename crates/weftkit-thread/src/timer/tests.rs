//! The fixed-rate arithmetic, checked without clocks.

use std::time::Duration;

use proptest::prelude::*;

use super::schedule::next_tick;

const MS: Duration = Duration::from_millis(1);

#[test]
fn on_time_runs_take_the_next_tick() {
    // Tick 3 ran 0.2 ms late; tick 4 is due at 40 ms from the start, not 40.2.
    let elapsed = 30 * MS + Duration::from_micros(200);
    assert_eq!(next_tick(10 * MS, 3, elapsed), Some((4, 40 * MS)));
}

#[test]
fn a_run_exactly_on_its_due_time_takes_the_next_tick() {
    assert_eq!(next_tick(10 * MS, 3, 30 * MS), Some((4, 40 * MS)));
}

#[test]
fn an_overrun_skips_the_ticks_it_missed() {
    // Tick 1 was due at 10 ms but the dispatcher only got to it at 47 ms: ticks 2, 3
    // and 4 (20, 30, 40 ms) are skipped, not run in a burst; 5 is due at 50 ms.
    assert_eq!(next_tick(10 * MS, 1, 47 * MS), Some((5, 50 * MS)));
}

#[test]
fn a_tick_due_right_now_is_not_skipped() {
    assert_eq!(next_tick(10 * MS, 1, 50 * MS), Some((5, 50 * MS)));
}

#[test]
fn unrepresentable_offsets_give_none() {
    assert_eq!(next_tick(Duration::MAX, 1, Duration::ZERO), None);
    assert_eq!(next_tick(MS, u64::MAX, Duration::ZERO), None);
    assert_eq!(next_tick(Duration::ZERO, 1, Duration::ZERO), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The next tick comes after the last one, is not already past, is the first such
    /// tick, and sits exactly on the grid `start + n · period` (no drift).
    #[test]
    fn next_tick_is_the_first_future_tick_on_the_grid(
        period_us in 1u64..1_000_000,
        tick in 0u64..10_000,
        elapsed_us in 0u64..10_000_000_000,
    ) {
        let period = Duration::from_micros(period_us);
        let elapsed = Duration::from_micros(elapsed_us);
        let (next, offset) = next_tick(period, tick, elapsed).expect("small values fit");
        prop_assert!(next > tick);
        prop_assert_eq!(offset.as_nanos(), u128::from(next) * period.as_nanos());
        prop_assert!(offset >= elapsed);
        // Minimal: the tick before it is either the last one run or already past.
        let previous = u128::from(next - 1) * period.as_nanos();
        prop_assert!(next - 1 == tick || previous < elapsed.as_nanos());
    }
}
