//! [`Condition`]: Python's `threading.Condition`, with wait and notify on the guard.

use std::fmt;
use std::ops::{Deref, DerefMut};

use weftkit_shim::time::{Duration, Instant};

use crate::raw::{WaitList, WakeReason, deadline_after};
use crate::{Lock, LockGuard, StopToken, Stopped};

/// A condition variable that owns its lock and the data the lock protects.
///
/// [`lock`](Self::lock) returns a [`ConditionGuard`]; waiting and notifying are
/// methods of that guard, so they can only be called with the lock held.
///
/// # Examples
///
/// A producer hands items to a consumer:
///
/// ```
/// use std::collections::VecDeque;
/// use weftkit::sync::Condition;
///
/// let items = Condition::new(VecDeque::new());
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         for i in 0..3 {
///             let mut q = items.lock();
///             q.push_back(i);
///             q.notify_one();
///         }
///     });
///     let mut got = Vec::new();
///     while got.len() < 3 {
///         let mut q = items.lock();
///         q.wait_for(|q| !q.is_empty());
///         got.extend(q.drain(..));
///     }
///     assert_eq!(got, [0, 1, 2]);
/// });
/// ```
///
/// Waiting without the lock does not compile, since `wait` is not a method of the
/// condition itself:
///
/// ```compile_fail
/// let cond = weftkit::sync::Condition::new(false);
/// cond.wait(); // error: no method named `wait` found for `Condition<bool>`
/// ```
///
/// Nor does notifying without it:
///
/// ```compile_fail
/// let cond = weftkit::sync::Condition::new(false);
/// cond.notify_all(); // error: no method named `notify_all` found for `Condition<bool>`
/// ```
///
/// # Fairness
///
/// - Locking (also the re-lock at the end of every wait) is as fair as
///   [`Lock`](crate::Lock)'s, and no more: no strict order, no starvation while the
///   lock keeps being released, a waiter that has waited 0.5 ms is handed the lock.
/// - Notifications go to waiters in the order they began waiting:
///   [`notify(n)`](ConditionGuard::notify) wakes the `n` longest-waiting threads. A
///   notification is consumed exactly once: a waiter whose timeout or stop comes
///   after it was chosen reports the notification (`wait_timeout` returns `true`), so
///   the wake-up is never lost between a notifier and a timing-out waiter.
/// - A notified waiter still has to take the lock again; a thread that locks in the
///   meantime may run first and change the state, so loop on your condition (or use
///   [`wait_for`](ConditionGuard::wait_for)).
///
/// # Differences from Python's `threading.Condition`
///
/// - The condition owns its lock and its data (`Condition(lock)` sharing a lock
///   between conditions is not offered; put the shared state in one condition).
/// - `wait()`/`notify()` without holding the lock raise `RuntimeError` in Python;
///   here they do not compile.
/// - `wait(timeout)` is [`ConditionGuard::wait_timeout`], returning `false` on
///   timeout, as Python's does. `wait_for(predicate, timeout)` is
///   [`ConditionGuard::wait_for_timeout`] and returns the predicate's last value.
/// - A panic while the lock is held unlocks it (no poisoning).
/// - Stop-aware forms ([`ConditionGuard::wait_stoppable`]) return [`Stopped`] when
///   a [`StopToken`] fires.
pub struct Condition<T> {
    lock: Lock<State<T>>,
}

struct State<T> {
    data: T,
    waiters: WaitList,
}

impl<T> Condition<T> {
    /// A condition guarding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = weftkit::sync::Condition::new(0);
    /// assert_eq!(*cond.lock(), 0);
    /// ```
    pub fn new(value: T) -> Self {
        Self {
            lock: Lock::new(State {
                data: value,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Locks, parking until the lock is free.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = weftkit::sync::Condition::new(0);
    /// *cond.lock() += 1;
    /// assert_eq!(*cond.lock(), 1);
    /// ```
    pub fn lock(&self) -> ConditionGuard<'_, T> {
        ConditionGuard {
            guard: self.lock.lock(),
        }
    }

    /// Locks if the lock is free right now; never blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = weftkit::sync::Condition::new(0);
    /// let held = cond.lock();
    /// assert!(cond.try_lock().is_none());
    /// ```
    pub fn try_lock(&self) -> Option<ConditionGuard<'_, T>> {
        self.lock.try_lock().map(|guard| ConditionGuard { guard })
    }

    /// Locks, waiting at most `timeout`; `None` if the lock stayed held that long.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let cond = weftkit::sync::Condition::new(0);
    /// assert!(cond.lock_timeout(Duration::from_millis(1)).is_some());
    /// ```
    pub fn lock_timeout(&self, timeout: Duration) -> Option<ConditionGuard<'_, T>> {
        self.lock
            .lock_timeout(timeout)
            .map(|guard| ConditionGuard { guard })
    }

    /// Locks, unless `stop` fires first.
    ///
    /// # Errors
    ///
    /// [`Stopped`] if the token fired before the lock was taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::{Condition, StopToken};
    ///
    /// let cond = Condition::new(0);
    /// let token = StopToken::new();
    /// assert!(cond.lock_stoppable(&token).is_ok());
    /// ```
    pub fn lock_stoppable(&self, stop: &StopToken) -> Result<ConditionGuard<'_, T>, Stopped> {
        self.lock
            .lock_stoppable(stop)
            .map(|guard| ConditionGuard { guard })
    }

    /// Consumes the condition and returns the data.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weftkit::sync::Condition::new(3).into_inner(), 3);
    /// ```
    pub fn into_inner(self) -> T {
        self.lock.into_inner().data
    }

    /// Mutable access without locking: `&mut self` proves nobody else can lock.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cond = weftkit::sync::Condition::new(1);
    /// *cond.get_mut() = 2;
    /// assert_eq!(*cond.lock(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.lock.get_mut().data
    }
}

impl<T: Default> Default for Condition<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: fmt::Debug> fmt::Debug for Condition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Condition");
        match self.try_lock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// The lock of a [`Condition`], held: gives access to the data, and is where
/// waiting and notifying happen. Unlocks when dropped; cannot leave its thread.
///
/// # Examples
///
/// ```
/// let cond = weftkit::sync::Condition::new(0);
/// let mut guard = cond.lock();
/// *guard += 1; // `DerefMut` reaches the data
/// guard.notify_all(); // nobody waits: a no-op
/// assert_eq!(*guard, 1);
/// ```
///
/// A guard cannot be sent to another thread:
///
/// ```compile_fail
/// let cond = weftkit::sync::Condition::new(0);
/// let guard = cond.lock();
/// std::thread::scope(|s| {
///     s.spawn(move || drop(guard)); // error: the guard is not `Send`
/// });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ConditionGuard<'a, T> {
    guard: LockGuard<'a, State<T>>,
}

impl<T> ConditionGuard<'_, T> {
    /// Releases the lock, sleeps until notified, then locks again.
    ///
    /// A return does not prove the awaited state holds: another thread may have
    /// changed it first. Loop on your condition, or use [`wait_for`](Self::wait_for).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::Condition;
    ///
    /// let ready = Condition::new(false);
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let mut r = ready.lock();
    ///         *r = true;
    ///         r.notify_all();
    ///     });
    ///     let mut r = ready.lock();
    ///     while !*r {
    ///         r.wait();
    ///     }
    /// });
    /// ```
    pub fn wait(&mut self) {
        self.park(None, None);
    }

    /// Like [`wait`](Self::wait), giving up after `timeout`; returns `false` if the
    /// timeout passed without a notification (Python's return value).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let cond = weftkit::sync::Condition::new(());
    /// let mut guard = cond.lock();
    /// assert!(!guard.wait_timeout(Duration::from_millis(1)));
    /// ```
    pub fn wait_timeout(&mut self, timeout: Duration) -> bool {
        self.park(deadline_after(timeout), None) == WakeReason::Notified
    }

    /// Like [`wait`](Self::wait), ending early when `stop` fires.
    ///
    /// # Errors
    ///
    /// [`Stopped`] if the token fired before a notification came. The lock is held
    /// again either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::{Condition, StopToken, Stopped};
    ///
    /// let cond = Condition::new(());
    /// let token = StopToken::new();
    /// token.stop();
    /// assert_eq!(cond.lock().wait_stoppable(&token), Err(Stopped));
    /// ```
    pub fn wait_stoppable(&mut self, stop: &StopToken) -> Result<(), Stopped> {
        match self.park(None, Some(stop)) {
            WakeReason::Stopped => Err(Stopped),
            _ => Ok(()),
        }
    }

    /// Waits until `predicate` returns `true`, re-checking it (with the lock held)
    /// before the first wait and after every wake-up, spurious or not.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::Condition;
    ///
    /// let count = Condition::new(0);
    /// std::thread::scope(|s| {
    ///     for _ in 0..3 {
    ///         s.spawn(|| {
    ///             let mut c = count.lock();
    ///             *c += 1;
    ///             c.notify_all();
    ///         });
    ///     }
    ///     count.lock().wait_for(|c| *c == 3);
    /// });
    /// ```
    pub fn wait_for(&mut self, mut predicate: impl FnMut(&mut T) -> bool) {
        while !predicate(self) {
            self.wait();
        }
    }

    /// Like [`wait_for`](Self::wait_for), giving up when `timeout` has passed; returns
    /// the predicate's last value. The deadline is fixed at the call, so wake-ups
    /// never extend it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let cond = weftkit::sync::Condition::new(0);
    /// let mut guard = cond.lock();
    /// assert!(!guard.wait_for_timeout(|n| *n > 0, Duration::from_millis(1)));
    /// assert!(guard.wait_for_timeout(|n| *n == 0, Duration::ZERO));
    /// ```
    pub fn wait_for_timeout(
        &mut self,
        mut predicate: impl FnMut(&mut T) -> bool,
        timeout: Duration,
    ) -> bool {
        let deadline = deadline_after(timeout);
        loop {
            if predicate(self) {
                return true;
            }
            if self.park(deadline, None) == WakeReason::TimedOut {
                return predicate(self);
            }
        }
    }

    /// Like [`wait_for`](Self::wait_for), ending early when `stop` fires.
    ///
    /// After a stop the predicate is checked once more with the lock held again (as
    /// [`wait_for_timeout`](Self::wait_for_timeout) does after its timeout), so a state
    /// that became true while the waiter was being stopped is not reported as a stop.
    ///
    /// # Errors
    ///
    /// [`Stopped`] if the token fired and the predicate was still `false` once the
    /// lock was held again.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::{Condition, StopToken};
    ///
    /// let cond = Condition::new(5);
    /// let token = StopToken::new();
    /// assert!(cond.lock().wait_for_stoppable(|n| *n == 5, &token).is_ok());
    /// ```
    pub fn wait_for_stoppable(
        &mut self,
        mut predicate: impl FnMut(&mut T) -> bool,
        stop: &StopToken,
    ) -> Result<(), Stopped> {
        loop {
            if predicate(self) {
                return Ok(());
            }
            if self.park(None, Some(stop)) == WakeReason::Stopped {
                return if predicate(self) {
                    Ok(())
                } else {
                    Err(Stopped)
                };
            }
        }
    }

    /// Wakes at most `n` waiting threads, longest-waiting first; returns how many woke.
    /// With nobody waiting it does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = weftkit::sync::Condition::new(());
    /// assert_eq!(cond.lock().notify(2), 0); // nobody waits
    /// ```
    pub fn notify(&mut self, n: usize) -> usize {
        self.guard.waiters.notify(n)
    }

    /// Wakes one waiting thread, if any; returns whether one woke.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = weftkit::sync::Condition::new(());
    /// assert!(!cond.lock().notify_one());
    /// ```
    pub fn notify_one(&mut self) -> bool {
        self.guard.waiters.notify_one()
    }

    /// Wakes every waiting thread; returns how many woke.
    ///
    /// # Examples
    ///
    /// ```
    /// let cond = weftkit::sync::Condition::new(());
    /// assert_eq!(cond.lock().notify_all(), 0);
    /// ```
    pub fn notify_all(&mut self) -> usize {
        self.guard.waiters.notify_all()
    }

    fn park(&mut self, deadline: Option<Instant>, stop: Option<&StopToken>) -> WakeReason {
        self.guard
            .park_on(|state| &mut state.waiters, deadline, stop)
    }
}

impl<T> Deref for ConditionGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard.data
    }
}

impl<T> DerefMut for ConditionGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard.data
    }
}

impl<T: fmt::Debug> fmt::Debug for ConditionGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
