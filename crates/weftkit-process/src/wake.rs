//! The manager's wake-up: a pending flag in front of a byte channel, so that a submit
//! writes at most one byte per round of the manager and never blocks on it.
//!
//! Why the order in [`WakeFlag::drain_then_clear`] matters is invariant 6 of
//! `src/wire/README.md`. This file holds the protocol alone, generic over the channel,
//! so that the pool (a non-blocking Unix socket pair, see `state.rs`) and the loom
//! model (`tests/loom/wake.rs`, which includes this file) run the same code.
//!
//! It names nothing but `weftkit_shim` and `core`: the model compiles it as a module of
//! its own test crate.

use weftkit_shim::sync::atomic::{AtomicBool, Ordering};

/// The sending end of the wake-up channel.
pub(crate) trait Bell {
    /// Puts one byte in the channel; never blocks. A full channel already holds a
    /// byte the manager has yet to read, so a byte dropped there loses nothing.
    fn ring(&self);
}

/// The manager's end of the wake-up channel.
pub(crate) trait Drain {
    /// Reads every byte already in the channel; never blocks.
    fn drain(&self);
}

/// "A wake-up byte is on its way to the manager", and the channel it goes down.
pub(crate) struct WakeFlag<B> {
    pending: AtomicBool,
    bell: B,
}

impl<B: Bell> WakeFlag<B> {
    pub(crate) fn new(bell: B) -> Self {
        Self {
            pending: AtomicBool::new(false),
            bell,
        }
    }

    /// Wakes the manager: rings only if no wake-up is pending since its last
    /// [`drain_then_clear`](Self::drain_then_clear). Call it after the change the
    /// manager is to see, with that change made visible (the state lock released).
    pub(crate) fn wake(&self) {
        if !self.pending.swap(true, Ordering::SeqCst) {
            self.bell.ring();
        }
    }

    /// Reads `rx` dry, THEN clears the flag; the caller looks at the state next and
    /// only then waits on `rx`. Cleared first, a byte sent before the drain would be
    /// swallowed while the flag stayed set, and no later `wake` would ring again
    /// (`wire/README.md`, invariant 6).
    pub(crate) fn drain_then_clear(&self, rx: &impl Drain) {
        rx.drain();
        self.pending.store(false, Ordering::SeqCst);
    }
}
