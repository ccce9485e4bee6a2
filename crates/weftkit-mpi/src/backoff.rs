//! Waiting for MPI messages without a blocking receive (which spins a core in OpenMPI):
//! spin briefly, then yield, then sleep, each sleep longer up to a cap. The phases are
//! bounded by the clock, not by a count of polls, whose length varies with the load.

use weftkit_shim::time::{Duration, Instant};

/// How long an idle loop spins before it yields.
const SPIN_FOR: Duration = Duration::from_micros(20);
/// How long it yields (giving the core to the other ranks) before it sleeps.
const YIELD_FOR: Duration = Duration::from_micros(200);
/// The first sleep.
const FIRST_SLEEP: Duration = Duration::from_micros(20);

/// A growing pause between two polls of an idle loop.
#[derive(Debug)]
pub(crate) struct Backoff {
    idle_since: Option<Instant>,
    sleep: Duration,
    max_sleep: Duration,
}

impl Backoff {
    /// Starts short; no sleep is longer than `max_sleep`, what an idle loop adds to the
    /// latency of the next message at worst.
    pub(crate) fn new(max_sleep: Duration) -> Self {
        Self {
            idle_since: None,
            sleep: FIRST_SLEEP,
            max_sleep,
        }
    }

    /// Something happened: the next pause is short again.
    pub(crate) fn reset(&mut self) {
        self.idle_since = None;
        self.sleep = FIRST_SLEEP;
    }

    /// How long the loop has been idle.
    fn idle(&mut self) -> Duration {
        self.idle_since.get_or_insert_with(Instant::now).elapsed()
    }

    /// Pauses once, longer each time.
    pub(crate) fn snooze(&mut self) {
        let idle = self.idle();
        if idle < SPIN_FOR {
            std::hint::spin_loop();
        } else if idle < SPIN_FOR + YIELD_FOR {
            weftkit_shim::thread::yield_now();
        } else {
            let sleep = self.next_sleep();
            weftkit_shim::thread::sleep(sleep);
        }
    }

    /// Whether the loop has been idle long enough to be sleeping.
    pub(crate) fn sleeping(&mut self) -> bool {
        self.idle() >= SPIN_FOR + YIELD_FOR
    }

    /// The next sleep's length (for a loop that waits on a condition variable instead).
    pub(crate) fn next_sleep(&mut self) -> Duration {
        let sleep = self.sleep;
        self.sleep = (self.sleep * 2).min(self.max_sleep);
        sleep
    }
}
