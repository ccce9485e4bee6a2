//! Cooperative cancellation: [`StopToken`].

use std::fmt;

use weftkit_shim::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use weftkit_shim::sync::{Arc, Mutex, MutexGuard};
use weftkit_shim::thread::Thread;
use weftkit_shim::time::Duration;

use crate::raw::{Waiter, WakeReason, deadline_after};

/// A cloneable flag that asks work to stop, and wakes every wait that watches it.
///
/// Every blocking operation in weft has a stop-aware form (`lock_stoppable`,
/// `wait_stoppable`, `get_stoppable`, ...) that takes a `&StopToken` and returns a
/// [`Stopped`](crate::Stopped) error as soon as the token fires, even while parked.
/// Clones share one flag: stopping any clone stops them all. Stopping is permanent.
///
/// `weftkit::thread` hands one token to each thread and `weftkit::executor` one to each
/// task, so a thread blocked in `queue.get_stoppable(&token)` can be stopped from
/// outside.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weftkit::sync::{GetError, Queue, StopToken};
///
/// let jobs: Queue<u32> = Queue::unbounded();
/// let token = StopToken::new();
/// std::thread::scope(|s| {
///     let worker = s.spawn(|| jobs.get_stoppable(&token));
///     std::thread::sleep(Duration::from_millis(10));
///     token.stop(); // the worker is parked in `get`; this wakes it
///     assert_eq!(worker.join().unwrap(), Err(GetError::Stopped));
/// });
/// ```
///
/// # Differences from Python
///
/// Python has no way to interrupt a thread blocked in `queue.get()` or
/// `lock.acquire()`; the usual workaround is a sentinel item or a polling loop with a
/// timeout. A `StopToken` makes the wait itself interruptible.
#[derive(Clone)]
pub struct StopToken {
    inner: Arc<Inner>,
}

struct Inner {
    stopped: AtomicBool,
    next_id: AtomicU64,
    /// Threads parked in a stop-aware wait on this token (W3 in `raw/README.md`).
    watchers: Mutex<Vec<(u64, Thread)>>,
}

impl StopToken {
    /// A token that has not been stopped.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = weftkit::sync::StopToken::new();
    /// assert!(!token.is_stopped());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                stopped: AtomicBool::new(false),
                next_id: AtomicU64::new(0),
                watchers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Asks every holder of this token (and its clones) to stop, and wakes each
    /// stop-aware wait parked on it. Calling it again does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let token = weftkit::sync::StopToken::new();
    /// let clone = token.clone();
    /// clone.stop();
    /// assert!(token.is_stopped());
    /// ```
    pub fn stop(&self) {
        // W3: the flag first, then take the list under its lock; unpark outside it.
        self.inner.stopped.store(true, Ordering::SeqCst);
        let watchers = std::mem::take(&mut *self.watchers());
        for (_, thread) in watchers {
            thread.unpark();
        }
    }

    /// Whether [`stop`](Self::stop) has been called on this token or a clone.
    ///
    /// # Examples
    ///
    /// A worker that checks its token between steps:
    ///
    /// ```
    /// let token = weftkit::sync::StopToken::new();
    /// let mut steps = 0;
    /// while !token.is_stopped() {
    ///     steps += 1;
    ///     if steps == 3 {
    ///         token.stop(); // in real code, another thread calls this
    ///     }
    /// }
    /// assert_eq!(steps, 3);
    /// ```
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }

    /// Waits until this token is stopped or `timeout` has passed; returns `true` if it
    /// was stopped (already, or during the wait), `false` on timeout.
    ///
    /// This is a sleep that a stop cuts short, and the form Python programs write as
    /// `stop_event.wait(interval)`: the waiting thread parks (it does not poll), and
    /// [`stop`](Self::stop) wakes it at once. A timeout too large to represent waits
    /// until the token is stopped. The deadline is fixed when the call starts, so
    /// spurious wake-ups never extend it.
    ///
    /// # Examples
    ///
    /// A worker that does a round of work every 10 ms until told to stop:
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::sync::StopToken;
    ///
    /// let token = StopToken::new();
    /// std::thread::scope(|s| {
    ///     let worker = s.spawn(|| {
    ///         let mut rounds = 0;
    ///         while !token.wait_timeout(Duration::from_millis(10)) {
    ///             rounds += 1;
    ///         }
    ///         rounds
    ///     });
    ///     std::thread::sleep(Duration::from_millis(30));
    ///     token.stop(); // wakes the worker in the middle of its wait
    ///     worker.join().unwrap();
    /// });
    /// assert!(token.wait_timeout(Duration::ZERO));
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        if self.is_stopped() {
            return true;
        }
        // Nobody notifies this waiter: only the deadline or the token ends the wait
        // (W2), and the registration inside `Waiter::wait` makes the stop reach it (W3).
        Waiter::new().wait(deadline_after(timeout), Some(self)) == WakeReason::Stopped
    }

    /// Registers `thread` to be unparked on stop, until the registration drops.
    pub(crate) fn register(&self, thread: Thread) -> Registration<'_> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        self.watchers().push((id, thread));
        Registration { token: self, id }
    }

    fn watchers(&self) -> MutexGuard<'_, Vec<(u64, Thread)>> {
        // Only pushes and removals happen under this mutex; none can panic midway.
        self.inner
            .watchers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for StopToken {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for StopToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StopToken")
            .field("stopped", &self.is_stopped())
            .finish()
    }
}

/// A thread's place in a token's watcher list; leaves it on drop.
pub(crate) struct Registration<'a> {
    token: &'a StopToken,
    id: u64,
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut watchers = self.token.watchers();
        if let Some(index) = watchers.iter().position(|(id, _)| *id == self.id) {
            watchers.swap_remove(index);
        }
    }
}
