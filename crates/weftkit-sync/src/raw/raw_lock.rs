//! The parking lock under every weftkit-sync primitive: invariants R1–R5 in `README.md`.

use std::collections::VecDeque;

use weftkit_shim::sync::atomic::{AtomicU8, Ordering};
use weftkit_shim::sync::{Arc, Mutex, MutexGuard};
use weftkit_shim::time::Instant;

use super::{SpinWait, Waiter, WakeReason};
use crate::StopToken;

/// Someone holds the lock.
const LOCKED: u8 = 0b01;
/// The queue may hold parked waiters (R2).
const PARKED: u8 = 0b10;

/// A non-reentrant lock with no data: one state byte and a queue of parked threads.
#[derive(Debug)]
pub(crate) struct RawLock {
    state: AtomicU8,
    queue: Mutex<VecDeque<Arc<Waiter>>>,
}

impl RawLock {
    /// An unlocked lock.
    pub(crate) fn new() -> Self {
        Self {
            state: AtomicU8::new(0),
            queue: Mutex::new(VecDeque::new()),
        }
    }

    /// Takes the lock if it is free right now, with one CAS (R1).
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & LOCKED != 0 {
                return false;
            }
            match self.state.compare_exchange_weak(
                state,
                state | LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
    }

    /// Takes the lock, parking as long as it takes.
    #[inline]
    pub(crate) fn lock(&self) {
        if self
            .state
            .compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            let outcome = self.lock_slow(None, None);
            debug_assert!(outcome.is_ok(), "an untimed, unstoppable lock cannot fail");
        }
    }

    /// Takes the lock unless `deadline` passes or `stop` fires first.
    ///
    /// # Errors
    ///
    /// The reason the wait ended without the lock (`TimedOut` or `Stopped`).
    #[inline]
    pub(crate) fn lock_until(
        &self,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> Result<(), WakeReason> {
        if self.try_lock() {
            return Ok(());
        }
        // A wait that may not wait (a zero timeout, a fired token) ends here, without
        // the spin of `lock_slow`: `lock_timeout(Duration::ZERO)` is `try_lock`.
        if stop.is_some_and(StopToken::is_stopped) {
            return Err(WakeReason::Stopped);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(WakeReason::TimedOut);
        }
        self.lock_slow(deadline, stop)
    }

    /// Whether some thread holds the lock (a snapshot).
    pub(crate) fn is_locked(&self) -> bool {
        self.state.load(Ordering::Relaxed) & LOCKED != 0
    }

    /// Releases the lock, waking one parked thread if there is one.
    ///
    /// # Safety
    ///
    /// The caller must hold the lock (it took it with `lock`, `try_lock` or
    /// `lock_until` and has not released it since): the data a `Lock` guards relies on it.
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        if self
            .state
            .compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed)
            .is_err()
        {
            self.unlock_slow();
        }
    }

    #[cold]
    fn lock_slow(
        &self,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> Result<(), WakeReason> {
        let mut spin = SpinWait::new();
        loop {
            let state = self.state.load(Ordering::Relaxed);
            if state & LOCKED == 0 {
                if self
                    .state
                    .compare_exchange_weak(
                        state,
                        state | LOCKED,
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    )
                    .is_ok()
                {
                    return Ok(());
                }
                continue;
            }
            // R5: spin only while nobody is parked; parked threads mean a long hold.
            if state & PARKED == 0 && spin.spin() {
                continue;
            }
            if stop.is_some_and(StopToken::is_stopped) {
                return Err(WakeReason::Stopped);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(WakeReason::TimedOut);
            }
            let waiter = Waiter::new();
            if !self.enqueue_if_locked(&waiter) {
                continue;
            }
            match waiter.wait(deadline, stop) {
                WakeReason::Notified => spin.reset(),
                reason => return self.give_up(&waiter, reason),
            }
        }
    }

    /// Sets `PARKED` and enqueues `waiter`, both under the queue mutex (R2); returns
    /// `false` without enqueuing if the lock became free meanwhile.
    fn enqueue_if_locked(&self, waiter: &Arc<Waiter>) -> bool {
        let mut queue = self.queue();
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & LOCKED == 0 {
                return false;
            }
            if state & PARKED != 0 {
                break;
            }
            match self.state.compare_exchange_weak(
                state,
                state | PARKED,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        queue.push_back(Arc::clone(waiter));
        true
    }

    /// A timed-out or stopped waiter leaves the queue, or takes over the wake-up it
    /// was already given (R4).
    fn give_up(&self, waiter: &Arc<Waiter>, reason: WakeReason) -> Result<(), WakeReason> {
        let mut queue = self.queue();
        if let Some(index) = queue.iter().position(|w| Arc::ptr_eq(w, waiter)) {
            queue.remove(index);
            if queue.is_empty() {
                self.state.fetch_and(!PARKED, Ordering::Relaxed);
            }
            return Err(reason);
        }
        drop(queue);
        // An unlocker popped this waiter: its wake-up is ours to use or pass on.
        if self.try_lock() { Ok(()) } else { Err(reason) }
    }

    #[cold]
    fn unlock_slow(&self) {
        let mut queue = self.queue();
        let next = queue.pop_front();
        // R3: we hold the lock, so only queue-mutex holders touch the state now.
        let rest = if queue.is_empty() { 0 } else { PARKED };
        self.state.store(rest, Ordering::Release);
        drop(queue);
        if let Some(waiter) = next {
            waiter.notify();
        }
    }

    fn queue(&self) -> MutexGuard<'_, VecDeque<Arc<Waiter>>> {
        // The queue mutex guards only pushes and pops that cannot panic midway, so a
        // poisoned mutex still holds a consistent queue.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
