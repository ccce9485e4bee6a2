//! The bounded queue's admission counter: A1 and A2 in `README.md`.

use weftkit_shim::sync::atomic::{AtomicUsize, Ordering};
use weftkit_shim::time::Instant;
use weftkit_sync::{Condition, StopToken};

/// Why a blocking admission gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The queue was full (non-blocking) or stayed full past the deadline.
    Full,
    /// The pool is shutting down.
    ShutDown,
    /// The stop token fired.
    Stopped,
    /// An initializer failed: the pool runs nothing (the reason).
    Broken(String),
}

/// Counts jobs (or their weight) admitted and not yet started, and parks submitters
/// while it is at capacity.
#[derive(Debug)]
pub(crate) struct Admission {
    /// `None`: unbounded.
    capacity: Option<usize>,
    queued: AtomicUsize,
    /// Submitters parked (or about to park) on `room` (A2).
    blocked: AtomicUsize,
    /// Set by `close`: parked submitters give up. Beside it, async submitters waiting
    /// for room (A4).
    closed: Condition<Room>,
}

/// What the admission's condition guards.
#[derive(Debug, Default)]
struct Room {
    closed: bool,
    /// Wakers of async submitters waiting for room (`run_in_executor`), each counted
    /// in `blocked` (A4).
    async_waiters: Vec<std::task::Waker>,
}

impl Admission {
    pub(crate) fn new(capacity: Option<usize>) -> Self {
        Self {
            capacity,
            queued: AtomicUsize::new(0),
            blocked: AtomicUsize::new(0),
            closed: Condition::new(Room::default()),
        }
    }

    /// Jobs admitted and not yet started.
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// The bound, if any.
    pub(crate) fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    /// Admits `units` (one per job, or a job's weight) if there is room (A1).
    #[inline]
    pub(crate) fn try_admit(&self, units: usize) -> bool {
        match self.capacity {
            None => {
                self.queued.fetch_add(units, Ordering::SeqCst);
                true
            }
            Some(capacity) => self
                .queued
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |queued| {
                    (queued.saturating_add(units) <= capacity).then_some(queued + units)
                })
                .is_ok(),
        }
    }

    /// Admits `units` past the bound (submits from inside the pool never block).
    pub(crate) fn force_admit(&self, units: usize) {
        self.queued.fetch_add(units, Ordering::SeqCst);
    }

    /// Admits one job, parking until there is room, `deadline` passes, `stop` fires or
    /// the admission is closed (A2).
    pub(crate) fn admit(
        &self,
        units: usize,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> Result<(), Refused> {
        loop {
            if self.try_admit(units) {
                return Ok(());
            }
            let mut closed = self.closed.lock();
            if closed.closed {
                return Err(Refused::ShutDown);
            }
            self.blocked.fetch_add(1, Ordering::SeqCst);
            if self.try_admit(units) {
                self.blocked.fetch_sub(1, Ordering::SeqCst);
                return Ok(());
            }
            let outcome = match (deadline, stop) {
                (Some(deadline), _) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if closed.wait_timeout(left) {
                        Ok(())
                    } else {
                        Err(Refused::Full)
                    }
                }
                (None, Some(stop)) => closed.wait_stoppable(stop).map_err(|_| Refused::Stopped),
                (None, None) => {
                    closed.wait();
                    Ok(())
                }
            };
            self.blocked.fetch_sub(1, Ordering::SeqCst);
            if let Err(refused) = outcome {
                // A release may have notified this submitter just as it gave up: pass
                // that notification on so no other submitter is stranded.
                closed.notify_one();
                return Err(refused);
            }
        }
    }

    /// A4: an async submitter found the queue full. Registers `waker` to be woken at
    /// the next release below the low-water mark (or at close), counted in `blocked`
    /// as a parked submitter is (A2). The caller must try to admit again after this
    /// returns: a release between its failed try and this registration is caught by
    /// that retry (the Dekker argument of A2).
    pub(crate) fn wait_async(&self, waker: &std::task::Waker) {
        let mut room = self.closed.lock();
        if room.closed {
            drop(room);
            waker.wake_by_ref();
            return;
        }
        self.blocked.fetch_add(1, Ordering::SeqCst);
        room.async_waiters.push(waker.clone());
    }

    /// A job started: frees its `units` and, once the queue has drained to its low-water
    /// mark, wakes parked submitters, and every async one (A2, A3, A4).
    #[inline]
    pub(crate) fn release(&self, units: usize) {
        let before = self.queued.fetch_sub(units, Ordering::SeqCst);
        if self.blocked.load(Ordering::SeqCst) > 0 && before - units <= self.low_water() {
            let mut room = self.closed.lock();
            let waiters = self.take_async_waiters(&mut room);
            if units == 1 {
                room.notify_one();
            } else {
                room.notify_all();
            }
            drop(room);
            waiters.into_iter().for_each(std::task::Waker::wake);
        }
    }

    /// A3: parked submitters are woken once the queue is down to 7/8 of its capacity,
    /// not on every release, so a producer that outruns its workers wakes once per
    /// capacity/8 tasks instead of once per task. Every release below the mark wakes
    /// again, so no submitter is stranded while the queue drains.
    fn low_water(&self) -> usize {
        self.capacity
            .map_or(usize::MAX, |capacity| capacity - (capacity / 8).max(1))
    }

    /// Shutdown: parked and future blocking submitters give up with `ShutDown`.
    pub(crate) fn close(&self) {
        let mut room = self.closed.lock();
        room.closed = true;
        let waiters = self.take_async_waiters(&mut room);
        room.notify_all();
        drop(room);
        waiters.into_iter().for_each(std::task::Waker::wake);
    }

    /// Takes the async waiters out of `room` (under its lock) and out of `blocked`;
    /// the caller wakes them once the lock is released (A4).
    fn take_async_waiters(&self, room: &mut Room) -> Vec<std::task::Waker> {
        let waiters = std::mem::take(&mut room.async_waiters);
        if !waiters.is_empty() {
            self.blocked.fetch_sub(waiters.len(), Ordering::SeqCst);
        }
        waiters
    }
}
