//! [`RLock`]: Python's `threading.RLock`, a lock its owner may take again.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use weftkit_shim::cell::UnsafeCell;
use weftkit_shim::sync::atomic::{AtomicU64, Ordering};
use weftkit_shim::time::Duration;

use crate::raw::{RawLock, deadline_after};
use crate::{StopToken, Stopped};

/// A non-zero number that no other thread of the process has or ever had.
///
/// Not the address of a thread-local: a thread started after the owner exited (with a
/// leaked guard) may be given the same address, and would then be let in as the owner.
fn current_thread() -> u64 {
    weftkit_shim::thread::unique_id()
}

/// A reentrant lock: the thread that holds it may lock it again without deadlocking.
///
/// Each [`lock`](Self::lock) by the owner adds one level; the lock is free again when
/// every guard is dropped. Because one thread may hold several guards at once, a guard
/// gives shared access (`&T`) only; put a `Cell`/`RefCell` inside for mutation.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use weftkit::sync::RLock;
///
/// let log = RLock::new(RefCell::new(Vec::new()));
/// fn record(log: &RLock<RefCell<Vec<&'static str>>>, what: &'static str) {
///     log.lock().borrow_mut().push(what);
/// }
/// let outer = log.lock(); // held...
/// record(&log, "nested call"); // ...and taken again by the same thread
/// drop(outer);
/// assert_eq!(log.lock().borrow().len(), 1);
/// ```
///
/// # Fairness
///
/// Taking an `RLock` the calling thread does not hold works as [`Lock`](crate::Lock)
/// does (re-entering never waits). A thread that finds the lock held spins for a few microseconds, then parks in a
/// queue. Each unlock that finds threads parked wakes the one at the front of the
/// queue, but does not reserve the lock for it: a running thread that locks first
/// gets the lock ("barging", which keeps a busy lock fast), and the woken thread
/// parks again at the back. Once a thread has waited 0.5 ms in total since it first
/// parked, the unlock that next wakes it normally hands the lock over directly, with
/// no window for another thread to take it first. What is guaranteed:
///
/// - no starvation: a parked thread gets the lock (or its timeout or stop) as long as
///   the lock keeps being released, since every thread queued ahead of it is woken
///   first and each wake-up either hands it the lock or lets it try again;
/// - no strict order: threads do not get the lock in the order they asked for it, and
///   [`try_lock`](Self::try_lock) can succeed while threads are parked.
///
/// # Differences from Python's `threading.RLock`
///
/// - The lock owns its data and hands out `&T` through guards; each guard releases one
///   level when dropped, also on panic, so the count always unwinds correctly.
/// - Python raises `RuntimeError` when a thread releases an `RLock` it does not own;
///   here a guard cannot leave its thread, so that mistake does not compile:
///
/// ```compile_fail
/// let lock = weftkit::sync::RLock::new(0);
/// let guard = lock.lock();
/// std::thread::scope(|s| {
///     s.spawn(move || drop(guard)); // error: `RLockGuard` cannot be sent between threads
/// });
/// ```
///
/// - [`lock_stoppable`](Self::lock_stoppable) gives up when a [`StopToken`] fires.
pub struct RLock<T> {
    raw: RawLock,
    /// `current_thread()` of the holder, or 0. Written only by the holder (or by a
    /// thread that just took `raw`), so the holder reading its own id is race-free, and
    /// ids are never reused, so no other thread can ever read its own id here.
    owner: AtomicU64,
    /// Levels held by the owner; touched only by the owner.
    depth: UnsafeCell<usize>,
    data: T,
}

// SAFETY: several threads may reach `&T` only one after another (the raw lock
// serialises owners), but one owner may hold several `&T` at once: `T: Send` lets the
// data move between owners, and guards give only `&T`, so no `&mut` aliasing arises.
// `depth` is only touched by the current owner.
unsafe impl<T: Send> Sync for RLock<T> {}
// SAFETY: the lock owns its `T`; sending the lock sends the `T`.
unsafe impl<T: Send> Send for RLock<T> {}

impl<T> RLock<T> {
    /// An unlocked reentrant lock guarding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = weftkit::sync::RLock::new(5);
    /// assert!(!lock.is_owned());
    /// ```
    pub fn new(value: T) -> Self {
        Self {
            raw: RawLock::new(),
            owner: AtomicU64::new(0),
            depth: UnsafeCell::new(0),
            data: value,
        }
    }

    /// Locks, or adds a level if the calling thread already holds the lock.
    ///
    /// # Panics
    ///
    /// If one thread holds `usize::MAX` levels at once (a runaway recursion).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = weftkit::sync::RLock::new(1);
    /// let a = lock.lock();
    /// let b = lock.lock();
    /// assert_eq!(*a + *b, 2);
    /// ```
    pub fn lock(&self) -> RLockGuard<'_, T> {
        if !self.enter_again() {
            self.raw.lock();
            self.take_ownership();
        }
        RLockGuard::new(self)
    }

    /// Locks if the lock is free or already held by this thread; never blocks.
    ///
    /// # Panics
    ///
    /// As [`lock`](Self::lock).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = weftkit::sync::RLock::new(());
    /// let held = lock.lock();
    /// assert!(lock.try_lock().is_some()); // the owner may always re-enter
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert!(lock.try_lock().is_none())); // others may not
    /// });
    /// ```
    pub fn try_lock(&self) -> Option<RLockGuard<'_, T>> {
        if self.enter_again() {
            return Some(RLockGuard::new(self));
        }
        self.raw.try_lock().then(|| {
            self.take_ownership();
            RLockGuard::new(self)
        })
    }

    /// Locks (or re-enters), waiting at most `timeout` for another owner to leave.
    ///
    /// # Panics
    ///
    /// As [`lock`](Self::lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let lock = weftkit::sync::RLock::new(());
    /// let held = lock.lock();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert!(lock.lock_timeout(Duration::from_millis(5)).is_none()));
    /// });
    /// ```
    pub fn lock_timeout(&self, timeout: Duration) -> Option<RLockGuard<'_, T>> {
        if self.enter_again() {
            return Some(RLockGuard::new(self));
        }
        let deadline = deadline_after(timeout);
        self.raw.lock_until(deadline, None).ok().map(|()| {
            self.take_ownership();
            RLockGuard::new(self)
        })
    }

    /// Locks (or re-enters), unless `stop` fires while another thread holds it.
    ///
    /// # Errors
    ///
    /// [`Stopped`] if the token fired before the lock was taken.
    ///
    /// # Panics
    ///
    /// As [`lock`](Self::lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::{RLock, StopToken};
    ///
    /// let lock = RLock::new(());
    /// let token = StopToken::new();
    /// assert!(lock.lock_stoppable(&token).is_ok());
    /// ```
    pub fn lock_stoppable(&self, stop: &StopToken) -> Result<RLockGuard<'_, T>, Stopped> {
        if self.enter_again() {
            return Ok(RLockGuard::new(self));
        }
        match self.raw.lock_until(None, Some(stop)) {
            Ok(()) => {
                self.take_ownership();
                Ok(RLockGuard::new(self))
            }
            Err(_) => Err(Stopped),
        }
    }

    /// Whether the calling thread holds the lock (Python's `RLock._is_owned()`).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = weftkit::sync::RLock::new(());
    /// let held = lock.lock();
    /// assert!(lock.is_owned());
    /// std::thread::scope(|s| {
    ///     s.spawn(|| assert!(!lock.is_owned()));
    /// });
    /// ```
    pub fn is_owned(&self) -> bool {
        self.owner.load(Ordering::Relaxed) == current_thread()
    }

    /// Whether some thread holds the lock right now (a snapshot).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = weftkit::sync::RLock::new(());
    /// assert!(!lock.is_locked());
    /// let held = lock.lock();
    /// assert!(lock.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// Consumes the lock and returns the data.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weftkit::sync::RLock::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.data
    }

    /// Mutable access without locking: `&mut self` proves nobody else can lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lock = weftkit::sync::RLock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(*lock.lock(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// Adds a level if this thread is the owner; `false` if it is not.
    fn enter_again(&self) -> bool {
        if !self.is_owned() {
            return false;
        }
        // SAFETY: only the owner touches `depth`, and this thread is the owner.
        self.depth.with_mut(|depth| unsafe {
            *depth = (*depth)
                .checked_add(1)
                .expect("an RLock was re-entered usize::MAX times by one thread");
        });
        true
    }

    /// Records the calling thread as owner at depth 1, right after taking `raw`.
    fn take_ownership(&self) {
        self.owner.store(current_thread(), Ordering::Relaxed);
        // SAFETY: this thread just took `raw`, so it is the only owner.
        self.depth.with_mut(|depth| unsafe { *depth = 1 });
    }

    /// Drops one level; the last one clears the owner and unlocks.
    fn leave(&self) {
        // SAFETY: called from a guard's drop, so this thread is the owner.
        let remaining = self.depth.with_mut(|depth| unsafe {
            *depth -= 1;
            *depth
        });
        if remaining == 0 {
            self.owner.store(0, Ordering::Relaxed);
            // SAFETY: the owner's last guard is dropping: this thread holds `raw`.
            unsafe { self.raw.unlock() };
        }
    }
}

impl<T: Default> Default for RLock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for RLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RLock");
        match self.try_lock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// One level of an [`RLock`] held by the current thread; gives `&T`, releases the
/// level when dropped, and cannot leave its thread (see [`RLock`]).
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
///
/// let lock = weftkit::sync::RLock::new(Cell::new(0));
/// let outer = lock.lock();
/// let inner = lock.lock(); // a second level, same thread
/// inner.set(outer.get() + 1); // guards give `&T`: mutate through a `Cell`
/// drop((inner, outer)); // the last level unlocks
/// assert!(!lock.is_locked());
/// ```
#[must_use = "the level is released as soon as the guard is dropped"]
pub struct RLockGuard<'a, T> {
    lock: &'a RLock<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: a shared guard only gives `&T`, which is safe to share when `T: Sync`.
unsafe impl<T: Sync> Sync for RLockGuard<'_, T> {}

impl<'a, T> RLockGuard<'a, T> {
    fn new(lock: &'a RLock<T>) -> Self {
        Self {
            lock,
            _not_send: PhantomData,
        }
    }
}

impl<T> Deref for RLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.lock.data
    }
}

impl<T> Drop for RLockGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.leave();
    }
}

impl<T: fmt::Debug> fmt::Debug for RLockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
