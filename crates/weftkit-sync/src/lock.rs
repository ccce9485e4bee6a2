//! [`Lock`]: Python's `threading.Lock`, guarding the data it protects.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use weftkit_shim::cell::UnsafeCell;
use weftkit_shim::time::{Duration, Instant};

use crate::raw::{RawLock, WaitList, Waiter, WakeReason, deadline_after};
use crate::{StopToken, Stopped};

/// A non-reentrant mutual-exclusion lock that owns the data it protects.
///
/// [`lock`](Self::lock) returns a [`LockGuard`]; the data is reachable only through
/// the guard, and dropping the guard unlocks. Uncontended, locking and unlocking are
/// one atomic read-modify-write each; a contended locker spins briefly and then parks,
/// so waiting costs no CPU.
///
/// # Examples
///
/// ```
/// use weftkit::sync::Lock;
///
/// let counter = Lock::new(0);
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| *counter.lock() += 1);
///     }
/// });
/// assert_eq!(counter.into_inner(), 4);
/// ```
///
/// A lock is shared between threads only if its data may move between them (with
/// `Lock::new(0)` this compiles):
///
/// ```compile_fail
/// let lock = weftkit::sync::Lock::new(std::rc::Rc::new(0)); // `Rc` is not `Send`
/// std::thread::scope(|s| {
///     s.spawn(|| drop(lock.lock())); // error: `Lock<Rc<i32>>` cannot be shared between threads
/// });
/// ```
///
/// # Fairness
///
/// A thread that finds the lock held spins for a few microseconds, then parks in a
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
/// # Differences from Python's `threading.Lock`
///
/// - The lock owns its data: `with lock:` around shared state becomes
///   `*lock.lock() += 1`, and touching the data without the lock does not compile.
/// - There is no `release()`: the guard unlocks when dropped, also when the holder
///   panics, so an exception path can never leave the lock held. There is no
///   poisoning either: after a panic the next locker gets the data as the panicking
///   thread left it.
/// - `acquire(blocking=False)` is [`try_lock`](Self::try_lock),
///   `acquire(timeout=t)` is [`lock_timeout`](Self::lock_timeout); both return an
///   `Option` instead of a `bool`.
/// - A guard cannot move to another thread (Python lets any thread release a
///   `Lock`); hand the data over through a queue instead.
/// - [`lock_stoppable`](Self::lock_stoppable) gives up when a [`StopToken`] fires.
pub struct Lock<T> {
    raw: RawLock,
    data: UnsafeCell<T>,
}

// SAFETY: a `Lock` hands out access to `T` to one thread at a time (the raw lock
// serialises guards), so sharing the lock only ever moves `T` between threads: `T: Send`
// is enough, as for `std::sync::Mutex`.
unsafe impl<T: Send> Sync for Lock<T> {}
// SAFETY: the lock owns its `T`; sending the lock sends the `T`.
unsafe impl<T: Send> Send for Lock<T> {}

impl<T> Lock<T> {
    /// An unlocked lock guarding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = weftkit::sync::Lock::new(vec![1, 2, 3]);
    /// assert!(!lock.is_locked());
    /// ```
    pub fn new(value: T) -> Self {
        Self {
            raw: RawLock::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Locks, parking the thread until the lock is free.
    ///
    /// Calling it again from the thread that holds the lock deadlocks, as in Python;
    /// use [`RLock`](crate::RLock) for a lock one thread may take again.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = weftkit::sync::Lock::new(String::new());
    /// lock.lock().push_str("hello");
    /// assert_eq!(*lock.lock(), "hello");
    /// ```
    pub fn lock(&self) -> LockGuard<'_, T> {
        self.raw.lock();
        LockGuard::new(self)
    }

    /// Locks if the lock is free right now; never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = weftkit::sync::Lock::new(0);
    /// let held = lock.lock();
    /// assert!(lock.try_lock().is_none());
    /// drop(held);
    /// assert!(lock.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<LockGuard<'_, T>> {
        self.raw.try_lock().then(|| LockGuard::new(self))
    }

    /// Locks, waiting at most `timeout`; `None` if it stayed locked that long.
    ///
    /// A zero timeout is [`try_lock`](Self::try_lock). The deadline is fixed when the
    /// call starts, so spurious wake-ups never extend it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let lock = weftkit::sync::Lock::new(0);
    /// let held = lock.lock();
    /// assert!(lock.lock_timeout(Duration::from_millis(5)).is_none());
    /// drop(held);
    /// assert!(lock.lock_timeout(Duration::from_millis(5)).is_some());
    /// ```
    pub fn lock_timeout(&self, timeout: Duration) -> Option<LockGuard<'_, T>> {
        self.lock_until(deadline_after(timeout))
    }

    pub(crate) fn lock_until(&self, deadline: Option<Instant>) -> Option<LockGuard<'_, T>> {
        self.raw
            .lock_until(deadline, None)
            .ok()
            .map(|()| LockGuard::new(self))
    }

    /// Locks, unless `stop` fires first.
    ///
    /// # Errors
    ///
    /// [`Stopped`] if the token fired before the lock was taken (also if it had fired
    /// before the call and the lock was not free).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::{Lock, StopToken};
    ///
    /// let lock = Lock::new(0);
    /// let token = StopToken::new();
    /// *lock.lock_stoppable(&token)? += 1;
    /// # Ok::<(), weftkit::sync::Stopped>(())
    /// ```
    pub fn lock_stoppable(&self, stop: &StopToken) -> Result<LockGuard<'_, T>, Stopped> {
        match self.raw.lock_until(None, Some(stop)) {
            Ok(()) => Ok(LockGuard::new(self)),
            Err(_) => Err(Stopped),
        }
    }

    /// Whether some thread holds the lock right now (a snapshot: it may change at once).
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = weftkit::sync::Lock::new(());
    /// let held = lock.lock();
    /// assert!(lock.is_locked());
    /// drop(held);
    /// assert!(!lock.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// Consumes the lock and returns the data.
    ///
    /// # Examples
    ///
    /// ```
    /// let lock = weftkit::sync::Lock::new(7);
    /// assert_eq!(lock.into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }

    /// Mutable access without locking: `&mut self` proves nobody else can lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut lock = weftkit::sync::Lock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(*lock.lock(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Lock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for Lock<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: fmt::Debug> fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Lock");
        match self.try_lock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// Proof that the current thread holds a [`Lock`]; gives access to the data and
/// unlocks when dropped.
///
/// # Examples
///
/// ```
/// let lock = weftkit::sync::Lock::new(vec![1]);
/// let mut guard = lock.lock();
/// guard.push(2); // `DerefMut` reaches the data
/// assert_eq!(*guard, [1, 2]);
/// drop(guard); // unlocks
/// assert!(!lock.is_locked());
/// ```
///
/// A guard cannot be sent to another thread:
///
/// ```compile_fail
/// let lock = weftkit::sync::Lock::new(0);
/// let guard = lock.lock();
/// std::thread::scope(|s| {
///     s.spawn(move || drop(guard)); // error: `LockGuard` cannot be sent between threads
/// });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a, T> {
    lock: &'a Lock<T>,
    /// Unlocking belongs to the locking thread: keep the guard `!Send`.
    _not_send: PhantomData<*const ()>,
}

// SAFETY: a shared guard only gives `&T`, which is safe to share when `T: Sync`.
unsafe impl<T: Sync> Sync for LockGuard<'_, T> {}

impl<'a, T> LockGuard<'a, T> {
    fn new(lock: &'a Lock<T>) -> Self {
        Self {
            lock,
            _not_send: PhantomData,
        }
    }

    /// Releases the lock, parks on `list` (selected from the guarded state) until a
    /// notifier pops this thread, the deadline passes or `stop` fires, then locks again.
    ///
    /// Applies L1 of `raw/README.md`: a waiter that gave up but was already popped
    /// reports `Notified`.
    pub(crate) fn park_on(
        &mut self,
        list: impl Fn(&mut T) -> &mut WaitList,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> WakeReason {
        self.park_on_tagged(list, 0, deadline, stop)
    }

    /// [`park_on`](Self::park_on), queuing this thread tagged with `tag`
    /// (`WaitList::front_tag`).
    pub(crate) fn park_on_tagged(
        &mut self,
        list: impl Fn(&mut T) -> &mut WaitList,
        tag: usize,
        deadline: Option<Instant>,
        stop: Option<&StopToken>,
    ) -> WakeReason {
        let waiter = Waiter::new();
        list(&mut **self).push_tagged(waiter.clone(), tag);
        // SAFETY: this guard holds the lock; it locks again below before any access.
        unsafe { self.lock.raw.unlock() };
        let reason = waiter.wait(deadline, stop);
        self.lock.raw.lock();
        // SAFETY: `waiter` was pushed onto this very list above and onto no other.
        if reason != WakeReason::Notified && !unsafe { list(&mut **self).remove(&waiter) } {
            return WakeReason::Notified;
        }
        reason
    }
}

impl<T> Deref for LockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard's existence proves this thread holds the lock, so no
        // other reference to the data exists until the guard drops.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for LockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only reference
        // through the guard.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T> Drop for LockGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: a guard exists only while its thread holds the lock.
        unsafe { self.lock.raw.unlock() };
    }
}

impl<T: fmt::Debug> fmt::Debug for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
