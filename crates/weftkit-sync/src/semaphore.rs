//! [`Semaphore`] and [`BoundedSemaphore`]: Python's `threading.Semaphore` and
//! `threading.BoundedSemaphore`, one core with RAII permits.
//!
//! # How a semaphore waits (the invariants)
//!
//! One atomic word holds the count and tells a releaser whether anybody may be parked;
//! parked acquirers sit in a [`WaitList`] behind a [`Lock`] and block through
//! `LockGuard::park_on`, the protocol of `raw/README.md` (W1–W3, L1).
//!
//! ```text
//! state = permits << 1 | WAITERS
//! ```
//!
//! - **S1 — fast paths are one atomic RMW.** Taking a permit is a CAS that lowers the
//!   count when it is positive; releasing is a CAS that raises it (and checks for
//!   overflow). Only a release whose CAS saw `WAITERS` touches the lock.
//! - **S2 — an acquirer decides to park with one read of the word, under the lock.**
//!   Holding the lock, it CASes a permit out of the count if there is one; otherwise
//!   it makes sure `WAITERS` is set (a CAS, or a load that already sees it) and
//!   enqueues itself in the same critical section.
//! - **S3 — `WAITERS` is set whenever an acquirer is queued.** It is set by S2 and
//!   cleared only under the lock when the list is empty (by a releaser after it woke
//!   waiters, or by an acquirer that leaves). It may be set spuriously.
//!
//!   *Why a release never strands a permit.* Let an acquirer park after reading value
//!   `v` (count 0, `WAITERS` set) under the lock. Any release whose CAS comes after `v`
//!   in the word's total order sees `WAITERS` (S3: the acquirer is queued), and its
//!   lock comes after the acquirer's critical section (had it locked earlier, the
//!   acquirer's lock would make it see that release), so it finds the queue with the
//!   acquirer in it. A release whose CAS came before `v` left its permits visible in
//!   `v`, which shows they were already taken.
//! - **S4 — `release(n)` wakes up to `n` waiters, longest-waiting first, and a woken
//!   waiter always tries the count before it parks again.** A woken waiter relocks and
//!   repeats S2: it takes a permit if one is there, else queues again (at the back). A
//!   permit is therefore never left in the count while its wake-up is spent: the
//!   wake-up went to a thread that either took a permit or found that another thread
//!   (one arriving on the fast path: there is no strict FIFO hand-off) had taken it.
//!   A waiter whose deadline passed or whose token fired after it was woken counts as
//!   woken (L1) and takes the permit: its acquire succeeds. A waiter that gives up
//!   unwoken removes itself under the lock, and clears `WAITERS` if it leaves the list
//!   empty.
//! - **S5 — memory ordering.** Releasing CASes are `Release`, taking CASes `Acquire`:
//!   what a thread did before giving a permit back happens before the next taker's
//!   acquire returns. Flag and queue changes are ordered by the word's total order and
//!   the lock.
//!
//! A waiter needs exactly one permit. That is what keeps S4 simple, and why there is
//! no blocking `acquire_many`: a woken waiter that needed more permits than there were
//! would have to pass its wake-up on. [`Semaphore::try_acquire_many`] never waits.
//!
//! # The bound of a `BoundedSemaphore`
//!
//! A `BoundedSemaphore` also counts the permits that were taken and then
//! [`forget`](SemaphorePermit::forget)-ed: those are the only ones `release(n)` may give
//! back. So `available + held by live permits + forgotten == bound` at all times, and
//! neither a `release` nor a dropped permit can push the count past the bound.

use std::fmt;

use weftkit_shim::sync::atomic::{AtomicUsize, Ordering};
use weftkit_shim::time::{Duration, Instant};

use crate::raw::{SpinWait, WaitList, WakeReason, deadline_after};
use crate::{Lock, ReleaseError, StopToken, Stopped};

/// Acquirers may be queued (S3).
const WAITERS: usize = 0b1;
/// One permit in the state word.
const ONE: usize = 0b10;
/// The most permits a semaphore can count.
const MAX_PERMITS: usize = usize::MAX >> 1;

/// The count and the parked acquirers, shared by both semaphore types.
struct Core {
    state: AtomicUsize,
    waiters: Lock<WaitList>,
}

impl Core {
    fn new(permits: usize) -> Self {
        Self {
            state: AtomicUsize::new(permits.min(MAX_PERMITS) * ONE),
            waiters: Lock::new(WaitList::new()),
        }
    }

    fn available(&self) -> usize {
        self.state.load(Ordering::Relaxed) / ONE
    }

    /// Takes `n` permits if there are that many right now (S1).
    #[inline]
    fn try_take(&self, n: usize) -> bool {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state / ONE < n {
                return false;
            }
            match self.state.compare_exchange_weak(
                state,
                state - n * ONE,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
    }

    /// Takes one permit, parking until one is free, `deadline` passes or `stop` fires.
    fn acquire(
        &self,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> Result<(), WakeReason> {
        if self.try_take(1) {
            return Ok(());
        }
        self.acquire_slow(deadline, stop)
    }

    #[cold]
    fn acquire_slow(
        &self,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> Result<(), WakeReason> {
        // Spin briefly, but only while nobody is parked (as the lock does: R7 of
        // `raw/README.md`).
        let mut spin = SpinWait::new();
        while self.state.load(Ordering::Relaxed) & WAITERS == 0 && spin.spin() {
            if self.try_take(1) {
                return Ok(());
            }
        }
        if stop.is_some_and(StopToken::is_stopped) {
            return Err(WakeReason::Stopped);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(WakeReason::TimedOut);
        }
        let mut list = self.waiters.lock();
        loop {
            if self.take_or_register() {
                self.clear_waiters_if_empty(&list);
                return Ok(());
            }
            match list.park_on(|list| list, deadline, stop) {
                // S4: woken (perhaps also timed out or stopped: L1); try the count again.
                WakeReason::Notified => {}
                reason => {
                    self.clear_waiters_if_empty(&list);
                    return Err(reason);
                }
            }
        }
    }

    /// S2, with the lock held: takes a permit if there is one (`true`), else makes sure
    /// `WAITERS` is set so that the next release comes to the lock (`false`).
    fn take_or_register(&self) -> bool {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            let (next, order) = if state >= ONE {
                (state - ONE, Ordering::Acquire)
            } else if state & WAITERS != 0 {
                return false;
            } else {
                (state | WAITERS, Ordering::Relaxed)
            };
            match self
                .state
                .compare_exchange_weak(state, next, order, Ordering::Relaxed)
            {
                Ok(_) => return state >= ONE,
                Err(actual) => state = actual,
            }
        }
    }

    /// S3: with the lock held and the list empty, nobody needs a releaser's wake-up.
    fn clear_waiters_if_empty(&self, list: &WaitList) {
        if list.is_empty() && self.state.load(Ordering::Relaxed) & WAITERS != 0 {
            self.state.fetch_and(!WAITERS, Ordering::Relaxed);
        }
    }

    /// Adds `n` permits and wakes up to `n` waiters (S4). If the count would pass
    /// `MAX_PERMITS`, adds what fits when `saturate`, else adds nothing and fails.
    fn add(&self, n: usize, saturate: bool) -> Result<(), ()> {
        if n == 0 {
            return Ok(());
        }
        let mut state = self.state.load(Ordering::Relaxed);
        let (prev, added) = loop {
            let room = MAX_PERMITS - state / ONE;
            let added = match (n <= room, saturate) {
                (true, _) => n,
                (false, true) if room > 0 => room,
                (false, true) => return Ok(()),
                (false, false) => return Err(()),
            };
            match self.state.compare_exchange_weak(
                state,
                state + added * ONE,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(prev) => break (prev, added),
                Err(actual) => state = actual,
            }
        };
        if prev & WAITERS != 0 {
            self.wake(added);
        }
        Ok(())
    }

    #[cold]
    fn wake(&self, n: usize) {
        let mut list = self.waiters.lock();
        list.notify(n);
        self.clear_waiters_if_empty(&list);
    }
}

/// A counter of permits: [`acquire`](Self::acquire) takes one, waiting while there
/// are none; the returned [`SemaphorePermit`] gives it back when dropped.
///
/// Use it to let at most `n` threads into a section at once, or, started at zero, as
/// a counting signal: each [`release`](Self::release) lets one more acquirer through.
/// Taking and returning a free permit is one atomic operation each; a thread that
/// must wait spins briefly, then parks without using CPU.
///
/// Waiters are woken longest-waiting first, but a thread that arrives just as a
/// permit is released may take it before the woken waiter does (no strict FIFO
/// hand-off); under constant contention a waiter can be overtaken repeatedly.
///
/// # Examples
///
/// At most two threads in the section at once:
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use weftkit::sync::Semaphore;
///
/// let slots = Semaphore::new(2);
/// let inside = AtomicUsize::new(0);
/// std::thread::scope(|s| {
///     for _ in 0..6 {
///         s.spawn(|| {
///             let _permit = slots.acquire();
///             assert!(inside.fetch_add(1, Ordering::SeqCst) < 2);
///             inside.fetch_sub(1, Ordering::SeqCst);
///         }); // the permit is given back here
///     }
/// });
/// assert_eq!(slots.available_permits(), 2);
/// ```
///
/// # Differences from Python's `threading.Semaphore`
///
/// - `with sem:` is `let _permit = sem.acquire();`: the permit is given back when it
///   drops, also during a panic. Python's bare `sem.acquire()` ... `sem.release()` is
///   `sem.acquire().forget()` ... `sem.release(1)`.
/// - `acquire(blocking=False)` is [`try_acquire`](Self::try_acquire) and
///   `acquire(timeout=t)` is [`acquire_timeout`](Self::acquire_timeout); both return an
///   `Option` instead of a `bool`. [`acquire_stoppable`](Self::acquire_stoppable)
///   gives up when a [`StopToken`] fires.
/// - The count cannot be negative (`usize`), so `Semaphore(-1)`'s `ValueError` cannot
///   happen; the count is capped at [`MAX_PERMITS`](Self::MAX_PERMITS), and
///   [`release`](Self::release) past it is an error (Python's `release` never fails:
///   its count is unbounded). That error is the only one `release` can return here;
///   it returns a `Result` to share [`BoundedSemaphore::release`]'s signature.
///   `release(0)` does nothing (Python raises `ValueError`).
/// - A permit may be sent to, and dropped on, another thread, as Python lets any
///   thread release a semaphore.
pub struct Semaphore {
    core: Core,
}

impl Semaphore {
    /// The most permits a semaphore can hold (`usize::MAX / 2`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::Semaphore;
    ///
    /// let sem = Semaphore::new(usize::MAX); // capped, not an error
    /// assert_eq!(sem.available_permits(), Semaphore::MAX_PERMITS);
    /// assert!(sem.release(1).is_err()); // no room left
    /// ```
    pub const MAX_PERMITS: usize = MAX_PERMITS;

    /// A semaphore with `permits` permits (zero is fine: acquirers then wait for a
    /// [`release`](Self::release)). More than [`MAX_PERMITS`](Self::MAX_PERMITS) is
    /// taken as `MAX_PERMITS`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = weftkit::sync::Semaphore::new(3);
    /// assert_eq!(sem.available_permits(), 3);
    /// ```
    #[must_use]
    pub fn new(permits: usize) -> Self {
        Self {
            core: Core::new(permits),
        }
    }

    /// Takes a permit, parking until one is free.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = weftkit::sync::Semaphore::new(1);
    /// let permit = sem.acquire();
    /// assert_eq!(sem.available_permits(), 0);
    /// drop(permit);
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn acquire(&self) -> SemaphorePermit<'_> {
        let outcome = self.core.acquire(None, None);
        debug_assert!(
            outcome.is_ok(),
            "an untimed, unstoppable acquire cannot fail"
        );
        self.permit(1)
    }

    /// Takes a permit if one is free right now; never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = weftkit::sync::Semaphore::new(0);
    /// assert!(sem.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.core.try_take(1).then(|| self.permit(1))
    }

    /// Takes `n` permits at once if that many are free right now; never blocks.
    ///
    /// There is no blocking form: a woken waiter needing several permits could leave
    /// permits unused that single-permit waiters behind it are waiting for.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = weftkit::sync::Semaphore::new(3);
    /// let two = sem.try_acquire_many(2).unwrap();
    /// assert_eq!(two.permits(), 2);
    /// assert!(sem.try_acquire_many(2).is_none());
    /// ```
    pub fn try_acquire_many(&self, n: usize) -> Option<SemaphorePermit<'_>> {
        self.core.try_take(n).then(|| self.permit(n))
    }

    /// Takes a permit, waiting at most `timeout`; `None` if none came free in time.
    ///
    /// A zero timeout is [`try_acquire`](Self::try_acquire). The deadline is fixed
    /// when the call starts, so spurious wake-ups never extend it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let sem = weftkit::sync::Semaphore::new(0);
    /// assert!(sem.acquire_timeout(Duration::from_millis(5)).is_none());
    /// sem.release(1)?;
    /// assert!(sem.acquire_timeout(Duration::from_millis(5)).is_some());
    /// # Ok::<(), weftkit::sync::ReleaseError>(())
    /// ```
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<SemaphorePermit<'_>> {
        acquire_timeout(&self.core, timeout).then(|| self.permit(1))
    }

    /// Takes a permit, unless `stop` fires first.
    ///
    /// # Errors
    ///
    /// [`Stopped`] if the token fired before a permit was taken (also if it had fired
    /// before the call and no permit was free).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::{Semaphore, StopToken, Stopped};
    ///
    /// let sem = Semaphore::new(0);
    /// let token = StopToken::new();
    /// token.stop();
    /// assert_eq!(sem.acquire_stoppable(&token).err(), Some(Stopped));
    /// ```
    pub fn acquire_stoppable(&self, stop: &StopToken) -> Result<SemaphorePermit<'_>, Stopped> {
        match self.core.acquire(None, Some(stop)) {
            Ok(()) => Ok(self.permit(1)),
            Err(_) => Err(Stopped),
        }
    }

    /// The number of free permits (a snapshot: it may change at once).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = weftkit::sync::Semaphore::new(2);
    /// let _p = sem.acquire();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    #[must_use]
    pub fn available_permits(&self) -> usize {
        self.core.available()
    }

    /// Adds `n` permits and wakes up to `n` waiting acquirers (Python's
    /// `release(n)`). Pairs with [`SemaphorePermit::forget`]; `release(0)` does
    /// nothing.
    ///
    /// # Errors
    ///
    /// Only [`ReleaseError::Overflow`], and only if the count would pass
    /// [`MAX_PERMITS`](Self::MAX_PERMITS) (`usize::MAX / 2`, about 4.6 · 10¹⁸ on
    /// 64-bit targets); nothing is added then. No program that releases what it
    /// acquired gets there, so `sem.release(1).expect("within MAX_PERMITS")` is the
    /// usual call. It returns a `Result` so that a [`Semaphore`] and a
    /// [`BoundedSemaphore`] (whose release fails past its bound) are released the
    /// same way, and switching one for the other changes no call site.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::Semaphore;
    ///
    /// let sem = Semaphore::new(0);
    /// sem.release(2)?;
    /// assert_eq!(sem.available_permits(), 2);
    /// assert!(sem.release(Semaphore::MAX_PERMITS).is_err());
    /// # Ok::<(), weftkit::sync::ReleaseError>(())
    /// ```
    pub fn release(&self, n: usize) -> Result<(), ReleaseError> {
        self.core
            .add(n, false)
            .map_err(|()| ReleaseError::Overflow { requested: n })
    }

    fn permit(&self, permits: usize) -> SemaphorePermit<'_> {
        SemaphorePermit {
            core: &self.core,
            forgotten: None,
            permits,
        }
    }
}

impl Default for Semaphore {
    /// A semaphore with one permit, as Python's `Semaphore()`.
    fn default() -> Self {
        Self::new(1)
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available_permits", &self.available_permits())
            .finish_non_exhaustive()
    }
}

/// A [`Semaphore`] that never holds more permits than it started with: releasing
/// permits that were not taken is an error.
///
/// It hands out the same [`SemaphorePermit`]s, which give their permits back when
/// dropped. [`release`](Self::release) gives back only permits that were taken and
/// then [`forget`](SemaphorePermit::forget)-ed; releasing more is
/// [`ReleaseError::PastBound`] and adds nothing. So neither a release nor a dropped
/// permit can ever push the count past the bound.
///
/// # Examples
///
/// ```
/// use weftkit::sync::{BoundedSemaphore, ReleaseError};
///
/// let pool = BoundedSemaphore::new(2);
/// pool.acquire().forget(); // Python style: acquire now, release later
/// pool.release(1)?;
/// assert!(matches!(pool.release(1), Err(ReleaseError::PastBound { .. })));
/// assert_eq!(pool.available_permits(), 2);
/// # Ok::<(), ReleaseError>(())
/// ```
///
/// # Differences from Python's `threading.BoundedSemaphore`
///
/// - Everything listed for [`Semaphore`].
/// - Over-release is an error value, [`ReleaseError::PastBound`], not a `ValueError`
///   that a thread can easily drop unnoticed.
/// - Permits held by live [`SemaphorePermit`]s count against the bound: while a
///   thread is inside `with sem:`, Python accepts an extra `sem.release()` and raises
///   only when the `with` block ends; here the extra `release` itself is the error,
///   and the permit's drop still returns its own permit.
pub struct BoundedSemaphore {
    core: Core,
    bound: usize,
    /// Permits taken and then forgotten: what `release` may give back.
    forgotten: AtomicUsize,
}

impl BoundedSemaphore {
    /// The largest bound a semaphore can have (`usize::MAX / 2`).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::BoundedSemaphore;
    ///
    /// let sem = BoundedSemaphore::new(usize::MAX); // capped, not an error
    /// assert_eq!(sem.bound(), BoundedSemaphore::MAX_PERMITS);
    /// ```
    pub const MAX_PERMITS: usize = MAX_PERMITS;

    /// A semaphore with `permits` permits, which is also its bound. More than
    /// [`MAX_PERMITS`](Self::MAX_PERMITS) is taken as `MAX_PERMITS`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = weftkit::sync::BoundedSemaphore::new(3);
    /// assert_eq!(sem.bound(), 3);
    /// assert_eq!(sem.available_permits(), 3);
    /// ```
    #[must_use]
    pub fn new(permits: usize) -> Self {
        Self {
            core: Core::new(permits),
            bound: permits.min(MAX_PERMITS),
            forgotten: AtomicUsize::new(0),
        }
    }

    /// The start value, which the count never exceeds.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weftkit::sync::BoundedSemaphore::new(4).bound(), 4);
    /// ```
    #[must_use]
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Takes a permit, parking until one is free.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = weftkit::sync::BoundedSemaphore::new(1);
    /// let permit = sem.acquire();
    /// assert_eq!(sem.available_permits(), 0);
    /// drop(permit);
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn acquire(&self) -> SemaphorePermit<'_> {
        let outcome = self.core.acquire(None, None);
        debug_assert!(
            outcome.is_ok(),
            "an untimed, unstoppable acquire cannot fail"
        );
        self.permit(1)
    }

    /// Takes a permit if one is free right now; never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = weftkit::sync::BoundedSemaphore::new(1);
    /// let _held = sem.acquire();
    /// assert!(sem.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        self.core.try_take(1).then(|| self.permit(1))
    }

    /// Takes `n` permits at once if that many are free right now; never blocks.
    /// There is no blocking form (see [`Semaphore::try_acquire_many`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = weftkit::sync::BoundedSemaphore::new(3);
    /// assert_eq!(sem.try_acquire_many(3).map(|p| p.permits()), Some(3));
    /// ```
    pub fn try_acquire_many(&self, n: usize) -> Option<SemaphorePermit<'_>> {
        self.core.try_take(n).then(|| self.permit(n))
    }

    /// Takes a permit, waiting at most `timeout`; `None` if none came free in time.
    /// A zero timeout is [`try_acquire`](Self::try_acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let sem = weftkit::sync::BoundedSemaphore::new(1);
    /// let held = sem.acquire();
    /// assert!(sem.acquire_timeout(Duration::from_millis(5)).is_none());
    /// drop(held);
    /// assert!(sem.acquire_timeout(Duration::from_millis(5)).is_some());
    /// ```
    pub fn acquire_timeout(&self, timeout: Duration) -> Option<SemaphorePermit<'_>> {
        acquire_timeout(&self.core, timeout).then(|| self.permit(1))
    }

    /// Takes a permit, unless `stop` fires first.
    ///
    /// # Errors
    ///
    /// [`Stopped`] if the token fired before a permit was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::{BoundedSemaphore, StopToken};
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// let token = StopToken::new();
    /// assert!(sem.acquire_stoppable(&token).is_ok());
    /// ```
    pub fn acquire_stoppable(&self, stop: &StopToken) -> Result<SemaphorePermit<'_>, Stopped> {
        match self.core.acquire(None, Some(stop)) {
            Ok(()) => Ok(self.permit(1)),
            Err(_) => Err(Stopped),
        }
    }

    /// The number of free permits (a snapshot: it may change at once).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = weftkit::sync::BoundedSemaphore::new(2);
    /// sem.acquire().forget();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    #[must_use]
    pub fn available_permits(&self) -> usize {
        self.core.available()
    }

    /// Gives back `n` permits that were taken and then
    /// [`forget`](SemaphorePermit::forget)-ed, waking up to `n` waiting acquirers
    /// (Python's `release(n)`). `release(0)` does nothing.
    ///
    /// # Errors
    ///
    /// [`ReleaseError::PastBound`] if fewer than `n` forgotten permits are
    /// outstanding, that is, if the count (plus what live permits will give back)
    /// would pass [`bound`](Self::bound). Nothing is added then.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::{BoundedSemaphore, ReleaseError};
    ///
    /// let sem = BoundedSemaphore::new(1);
    /// assert!(matches!(sem.release(1), Err(ReleaseError::PastBound { .. })));
    /// sem.acquire().forget();
    /// sem.release(1)?;
    /// assert_eq!(sem.available_permits(), 1);
    /// # Ok::<(), ReleaseError>(())
    /// ```
    pub fn release(&self, n: usize) -> Result<(), ReleaseError> {
        let mut forgotten = self.forgotten.load(Ordering::Relaxed);
        loop {
            if n > forgotten {
                return Err(ReleaseError::PastBound {
                    bound: self.bound,
                    available: self.available_permits(),
                    requested: n,
                });
            }
            match self.forgotten.compare_exchange_weak(
                forgotten,
                forgotten - n,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => forgotten = actual,
            }
        }
        // available + live + forgotten == bound <= MAX_PERMITS, so this always fits.
        let added = self.core.add(n, false);
        debug_assert!(added.is_ok(), "a bounded release stays within the bound");
        Ok(())
    }

    fn permit(&self, permits: usize) -> SemaphorePermit<'_> {
        SemaphorePermit {
            core: &self.core,
            forgotten: Some(&self.forgotten),
            permits,
        }
    }
}

impl Default for BoundedSemaphore {
    /// A bounded semaphore with one permit, as Python's `BoundedSemaphore()`.
    fn default() -> Self {
        Self::new(1)
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("available_permits", &self.available_permits())
            .field("bound", &self.bound)
            .finish_non_exhaustive()
    }
}

/// The timed acquire both types share: `true` if a permit was taken.
fn acquire_timeout(core: &Core, timeout: Duration) -> bool {
    if core.try_take(1) {
        return true;
    }
    !timeout.is_zero() && core.acquire(deadline_after(timeout), None).is_ok()
}

/// Permits taken from a [`Semaphore`] or [`BoundedSemaphore`]; gives them back when
/// dropped.
///
/// A permit is not tied to a thread: it may be sent to another thread and dropped
/// there. [`forget`](Self::forget) keeps the permits taken, to be given back later
/// with `release(n)`.
///
/// # Examples
///
/// ```
/// use weftkit::sync::Semaphore;
///
/// let sem = Semaphore::new(1);
/// let permit = sem.acquire();
/// std::thread::scope(|s| {
///     s.spawn(move || drop(permit)); // released on another thread
/// });
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[must_use = "the permit is given back as soon as it is dropped; call forget() to keep it taken"]
pub struct SemaphorePermit<'a> {
    core: &'a Core,
    /// The bounded semaphore's count of forgotten permits; `None` for a `Semaphore`.
    forgotten: Option<&'a AtomicUsize>,
    permits: usize,
}

impl SemaphorePermit<'_> {
    /// How many permits this holds (one, or `n` from `try_acquire_many(n)`).
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = weftkit::sync::Semaphore::new(1);
    /// assert_eq!(sem.acquire().permits(), 1);
    /// ```
    #[must_use]
    pub fn permits(&self) -> usize {
        self.permits
    }

    /// Keeps the permits taken instead of giving them back on drop: Python's
    /// `acquire()` without `with`. Give them back later with `release(n)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let sem = weftkit::sync::Semaphore::new(1);
    /// sem.acquire().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// sem.release(1)?;
    /// assert_eq!(sem.available_permits(), 1);
    /// # Ok::<(), weftkit::sync::ReleaseError>(())
    /// ```
    pub fn forget(self) {
        if let Some(forgotten) = self.forgotten {
            forgotten.fetch_add(self.permits, Ordering::Relaxed);
        }
        std::mem::forget(self);
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        // A bounded semaphore always has room for its own permits (see the module
        // docs); a `Semaphore` released up to MAX_PERMITS meanwhile keeps MAX_PERMITS.
        let _ = self.core.add(self.permits, true);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}
