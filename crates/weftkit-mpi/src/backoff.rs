//! Waiting for MPI messages without a blocking receive (which spins a core in OpenMPI):
//! spin briefly, then yield, then sleep, each sleep longer up to a cap.

use weftkit_shim::time::Duration;

/// Polls spent spinning before the first yield.
const SPINS: u32 = 64;
/// Polls spent yielding before the first sleep.
const YIELDS: u32 = 64;
/// The longest sleep between two polls: what an idle rank adds to the latency of the
/// next message at worst.
const MAX_SLEEP: Duration = Duration::from_micros(500);

/// A growing pause between two polls of an idle loop.
#[derive(Debug)]
pub(crate) struct Backoff {
    polls: u32,
    sleep: Duration,
}

impl Backoff {
    /// Starts short.
    pub(crate) fn new() -> Self {
        Self {
            polls: 0,
            sleep: Duration::from_micros(20),
        }
    }

    /// Something happened: the next pause is short again.
    pub(crate) fn reset(&mut self) {
        *self = Self::new();
    }

    /// Pauses once, longer each time.
    pub(crate) fn snooze(&mut self) {
        self.polls = self.polls.saturating_add(1);
        if self.polls <= SPINS {
            std::hint::spin_loop();
        } else if self.polls <= SPINS + YIELDS {
            weftkit_shim::thread::yield_now();
        } else {
            weftkit_shim::thread::sleep(self.sleep);
            self.sleep = (self.sleep * 2).min(MAX_SLEEP);
        }
    }

    /// Whether the loop has been idle long enough to be sleeping.
    pub(crate) fn sleeping(&self) -> bool {
        self.polls > SPINS + YIELDS
    }

    /// The next sleep's length (for a loop that waits on a condition variable instead).
    pub(crate) fn next_sleep(&mut self) -> Duration {
        let sleep = self.sleep;
        self.sleep = (self.sleep * 2).min(MAX_SLEEP);
        sleep
    }
}
