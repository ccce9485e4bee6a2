//! Bounded spinning before a thread parks.

use weftkit_shim::hint::spin_loop;
use weftkit_shim::thread::yield_now;
use weftkit_shim::time::{Duration, Instant};

/// Rounds of busy spinning (each twice as long as the last) before yielding.
const SPIN_ROUNDS: u32 = if weftkit_shim::IS_MODEL { 0 } else { 4 };
/// Rounds of `yield_now` after the busy rounds, before the caller should park.
const YIELD_ROUNDS: u32 = if weftkit_shim::IS_MODEL { 1 } else { 6 };
/// How long the yield rounds may last in all (R5). On an idle machine a `yield_now`
/// returns in about a microsecond and all the rounds fit; on a loaded one a single
/// yield can give the CPU away for milliseconds, and spinning on would only burn
/// the time a park would give to others.
const YIELD_BUDGET: Duration = Duration::from_micros(20);

/// A bounded backoff: a few busy rounds, then a few yields, then "park now". Bounded
/// by count and, for the yields, by time ([`YIELD_BUDGET`]).
#[derive(Debug, Default)]
pub(crate) struct SpinWait {
    round: u32,
    /// When the first yield round began (not read under the models, whose clock is
    /// virtual and whose yield rounds are bounded to one).
    yields_began: Option<Instant>,
}

impl SpinWait {
    /// A fresh backoff.
    pub(crate) const fn new() -> Self {
        Self {
            round: 0,
            yields_began: None,
        }
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
            return true;
        }
        if !weftkit_shim::IS_MODEL {
            let began = *self.yields_began.get_or_insert_with(Instant::now);
            if self.round > SPIN_ROUNDS + 1 && began.elapsed() >= YIELD_BUDGET {
                self.round = SPIN_ROUNDS + YIELD_ROUNDS;
                return false;
            }
        }
        yield_now();
        true
    }

    /// Starts the budget over (after a wake-up).
    pub(crate) fn reset(&mut self) {
        self.round = 0;
        self.yields_began = None;
    }
}
