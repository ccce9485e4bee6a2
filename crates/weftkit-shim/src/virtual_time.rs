//! A per-thread virtual clock for the model checkers (loom and shuttle), which have no
//! clock of their own: it advances only when a modelled thread parks with a timeout
//! (see `thread::park_timeout` in `loom_impl` and `shuttle_impl`), so a timed wait
//! times out after one park and its timeout path is explored like any other.
use std::cell::Cell;
use std::ops::{Add, Sub};
pub use std::time::Duration;

crate::thread_local! {
    static CLOCK: Cell<Duration> = Cell::new(Duration::ZERO);
}

pub(crate) fn advance_clock(by: Duration) {
    CLOCK.with(|c| c.set(c.get().saturating_add(by)));
}

/// A point on the current modelled thread's virtual clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    /// The current thread's virtual time.
    pub fn now() -> Self {
        Self(CLOCK.with(Cell::get))
    }

    /// `self + d`, or `None` on overflow.
    pub fn checked_add(&self, d: Duration) -> Option<Self> {
        self.0.checked_add(d).map(Self)
    }

    /// Time from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Self) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// Time from `earlier` to `self`, or zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Self) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// Time elapsed on the virtual clock since `self`.
    pub fn elapsed(&self) -> Duration {
        Self::now().saturating_duration_since(*self)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0 + d)
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, other: Instant) -> Duration {
        self.saturating_duration_since(other)
    }
}
