//! Bounded spinning before a thread parks.

use weft_shim::hint::spin_loop;
use weft_shim::thread::yield_now;

/// Rounds of busy spinning (each twice as long as the last) before yielding.
const SPIN_ROUNDS: u32 = if weft_shim::IS_MODEL { 0 } else { 4 };
/// Rounds of `yield_now` after the busy rounds, before the caller should park.
const YIELD_ROUNDS: u32 = if weft_shim::IS_MODEL { 1 } else { 6 };

/// A bounded backoff: a few busy rounds, then a few yields, then "park now".
#[derive(Debug, Default)]
pub(crate) struct SpinWait {
    round: u32,
}

impl SpinWait {
    /// A fresh backoff.
    pub(crate) const fn new() -> Self {
        Self { round: 0 }
    }

    /// Spins or yields once; returns `false` when the budget is spent and the
    /// caller should park instead.
    pub(crate) fn spin(&mut self) -> bool {
        if self.round >= SPIN_ROUNDS + YIELD_ROUNDS {
            return false;
        }
        self.round += 1;
        if self.round <= SPIN_ROUNDS {
            for _ in 0..(1u32 << self.round) {
                spin_loop();
            }
        } else {
            yield_now();
        }
        true
    }

    /// Starts the budget over (after a wake-up).
    pub(crate) fn reset(&mut self) {
        self.round = 0;
    }
}
