//! Bounded spinning before a thread parks.

use weftkit_shim::hint::spin_loop;
use weftkit_shim::thread::yield_now;
use weftkit_shim::time::{Duration, Instant};

/// Rounds of busy spinning (each twice as long as the last) before the timed phase.
const SPIN_ROUNDS: u32 = if weftkit_shim::IS_MODEL { 0 } else { 4 };
/// How long the timed phase lasts, measured from its first round (R7). With more than
/// one CPU it polls in a busy loop, whose length is the same on a loaded machine as on
/// an idle one; a `yield_now`, by contrast, may give the CPU away for milliseconds
/// under load, so a count of yields bounds nothing.
const SPIN_BUDGET: Duration = Duration::from_micros(20);
/// `spin_loop` hints between two clock reads in the timed phase.
const POLLS_PER_ROUND: u32 = 32;

/// Whether other CPUs can run the thread a spinner waits for. On one CPU spinning
/// only delays it: the timed phase is then a single `yield_now`.
pub(crate) fn multi_cpu() -> bool {
    // A one-time configuration read (the CPU count, with a syscall behind it), not
    // part of any wait protocol: a plain `OnceLock` is the right tool.
    static MULTI_CPU: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MULTI_CPU
        .get_or_init(|| weftkit_shim::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

/// A bounded backoff: a few exponential busy rounds, then a timed phase (busy polls
/// for at most [`SPIN_BUDGET`] with more than one CPU, one yield on one CPU), then
/// "park now".
#[derive(Debug, Default)]
pub(crate) struct SpinWait {
    round: u32,
    /// When the timed phase began.
    timed_since: Option<Instant>,
}

impl SpinWait {
    /// A fresh backoff.
    pub(crate) const fn new() -> Self {
        Self {
            round: 0,
            timed_since: None,
        }
    }

    /// Spins once; returns `false` when the budget is spent and the caller should
    /// park instead.
    pub(crate) fn spin(&mut self) -> bool {
        if self.round < SPIN_ROUNDS {
            self.round += 1;
            for _ in 0..(1u32 << self.round) {
                spin_loop();
            }
            return true;
        }
        if weftkit_shim::IS_MODEL || !multi_cpu() {
            // One yield (under the models: one scheduling point), then park.
            if self.round > SPIN_ROUNDS {
                return false;
            }
            self.round += 1;
            yield_now();
            return true;
        }
        let since = *self.timed_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= SPIN_BUDGET {
            return false;
        }
        for _ in 0..POLLS_PER_ROUND {
            spin_loop();
        }
        true
    }

    /// Starts the budget over (after a wake-up).
    pub(crate) fn reset(&mut self) {
        self.round = 0;
        self.timed_since = None;
    }
}
