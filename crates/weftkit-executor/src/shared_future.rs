//! [`SharedFuture`]: one task's result, readable by many threads.

use std::fmt;

use weftkit_shim::sync::Arc;
use weftkit_shim::time::Duration;
use weftkit_sync::{StopToken, Stopped};

use crate::{Future, FutureId, TaskError};

/// A cloneable handle to one task's result, which any number of threads may wait for
/// and read: each [`result`](Self::result) gets a clone of the value, or the same
/// error. Made by [`Future::shared`]; like C++'s `std::shared_future`.
///
/// This is how every future behaves in Python (`result()` may be called again and
/// again, from any thread); in weft the plain [`Future`] hands its value out by move,
/// which needs no `Clone`, and `shared()` opts into reading it many times.
///
/// Waiting inside a pool task helps the pool, as with [`Future`]. A failure read by
/// any clone counts as observed; one nobody read is reported when the last clone is
/// dropped (see [`set_unobserved_failure_hook`](crate::set_unobserved_failure_hook)).
///
/// # Examples
///
/// ```
/// use weftkit::executor::ThreadPool;
///
/// let pool = ThreadPool::builder().build()?;
/// let table = pool.submit(|| vec![1, 2, 3])?.shared();
/// let sums: Vec<_> = (0..4)
///     .map(|_| {
///         let table = table.clone();
///         pool.submit(move || table.result().map(|t| t.iter().sum::<i32>()))
///     })
///     .collect::<Result<_, _>>()?;
/// for sum in sums {
///     assert_eq!(sum.result()??, 6);
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// It may cross threads when the value may: a `SharedFuture` of a type that is not
/// `Sync` (each reader would share it) cannot be sent or shared:
///
/// ```compile_fail
/// fn shared_across_threads<T: Send + Sync>() {}
/// shared_across_threads::<weftkit::executor::SharedFuture<std::cell::RefCell<u8>>>();
/// ```
///
/// # Differences from Python's `concurrent.futures.Future`
///
/// - The value is cloned for each reader, so `T: Clone` (wrap a large value in an
///   `Arc` to make the clone cheap).
/// - It is made from a [`Future`] with [`Future::shared`]; the plain `Future` hands its
///   value out by move instead.
#[must_use = "a future does nothing unless waited on"]
pub struct SharedFuture<T> {
    future: Arc<Future<T>>,
}

impl<T: Clone> SharedFuture<T> {
    pub(crate) fn new(future: Future<T>) -> Self {
        Self {
            future: Arc::new(future),
        }
    }

    /// Waits for the task and returns a clone of its value, or its error. May be
    /// called any number of times, from any clone.
    ///
    /// # Errors
    ///
    /// The task's error: [`TaskError::Panicked`], [`TaskError::Cancelled`],
    /// [`TaskError::PoolBroken`], ..., the same for every reader.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let answer = pool.submit(|| 42)?.shared();
    /// assert_eq!(answer.result()?, 42);
    /// assert_eq!(answer.clone().result()?, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn result(&self) -> Result<T, TaskError> {
        self.future.wait();
        self.future.read_cloned()
    }

    /// [`result`](Self::result), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`TaskError::TimedOut`] if the task was not done in time (the future stays
    /// usable); otherwise as [`result`](Self::result).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let answer = pool.submit(|| 42)?.shared();
    /// assert_eq!(answer.result_timeout(Duration::from_secs(30))?, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn result_timeout(&self, timeout: Duration) -> Result<T, TaskError> {
        if !self.future.wait_timeout(timeout) {
            return Err(TaskError::TimedOut);
        }
        self.future.read_cloned()
    }

    /// [`result`](Self::result), unless `stop` fires first.
    ///
    /// # Errors
    ///
    /// [`TaskError::Stopped`] if the token fired before the task was done (the future
    /// stays usable); otherwise as [`result`](Self::result).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::StopToken;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let answer = pool.submit(|| 42)?.shared();
    /// assert_eq!(answer.result_stoppable(&StopToken::new())?, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn result_stoppable(&self, stop: &StopToken) -> Result<T, TaskError> {
        if self.future.wait_stoppable(stop).is_err() {
            return Err(TaskError::Stopped);
        }
        self.future.read_cloned()
    }
}

impl<T> SharedFuture<T> {
    /// The future behind this handle, for `as_completed` and `wait`.
    pub(crate) fn future(&self) -> &Future<T> {
        &self.future
    }

    /// The identity of the future behind this handle: equal for every clone. See
    /// [`Future::id`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let shared = pool.submit(|| ())?.shared();
    /// assert_eq!(shared.id(), shared.clone().id());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> FutureId {
        self.future.id()
    }

    /// Waits for the task and returns its error, or `None` if it succeeded: Python's
    /// `future.exception()`. See [`Future::exception`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let fine = pool.submit(|| 1)?.shared();
    /// assert_eq!(fine.exception(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exception(&self) -> Option<TaskError> {
        self.future.exception()
    }

    /// [`exception`](Self::exception), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`TaskError::TimedOut`] if the task was not done in time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let fine = pool.submit(|| 1)?.shared();
    /// assert_eq!(fine.exception_timeout(Duration::from_secs(30)), Ok(None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exception_timeout(&self, timeout: Duration) -> Result<Option<TaskError>, TaskError> {
        self.future.exception_timeout(timeout)
    }

    /// Waits until the task is done. See [`Future::wait`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let shared = pool.submit(|| ())?.shared();
    /// shared.wait();
    /// assert!(shared.done());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait(&self) {
        self.future.wait();
    }

    /// Waits at most `timeout`; `false` if the task was not done. See
    /// [`Future::wait_timeout`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let shared = pool.submit(|| ())?.shared();
    /// assert!(shared.wait_timeout(Duration::from_secs(30)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.future.wait_timeout(timeout)
    }

    /// Waits until the task is done unless `stop` fires first. See
    /// [`Future::wait_stoppable`].
    ///
    /// # Errors
    ///
    /// [`Stopped`] if the token fired before the task was done.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::StopToken;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let shared = pool.submit(|| ())?.shared();
    /// assert_eq!(shared.wait_stoppable(&StopToken::new()), Ok(()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_stoppable(&self, stop: &StopToken) -> Result<(), Stopped> {
        self.future.wait_stoppable(stop)
    }

    /// Whether the task is done. See [`Future::done`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let shared = pool.submit(|| ())?.shared();
    /// shared.wait();
    /// assert!(shared.done());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn done(&self) -> bool {
        self.future.done()
    }

    /// Whether the task is running right now. See [`Future::running`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let shared = pool.submit(|| ())?.shared();
    /// shared.wait();
    /// assert!(!shared.running());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn running(&self) -> bool {
        self.future.running()
    }

    /// Whether the future was cancelled. See [`Future::cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let shared = pool.submit(|| ())?.shared();
    /// shared.wait();
    /// assert!(!shared.cancelled());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancelled(&self) -> bool {
        self.future.cancelled()
    }

    /// Whether the task is done with an error other than cancellation. See
    /// [`Future::failed`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let shared = pool.submit(|| ())?.shared();
    /// shared.wait();
    /// assert!(!shared.failed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn failed(&self) -> bool {
        self.future.failed()
    }

    /// Cancels the task if it has not started, for every clone. See
    /// [`Future::cancel`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let shared = pool.submit(|| ())?.shared();
    /// shared.wait();
    /// assert!(!shared.cancel()); // done: too late
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancel(&self) -> bool {
        self.future.cancel()
    }

    /// Asks the task to stop through its [`StopToken`]. See [`Future::request_stop`].
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let shared = pool.submit(|| ())?.shared();
    /// shared.wait();
    /// assert!(!shared.request_stop()); // done: nothing to stop
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request_stop(&self) -> bool {
        self.future.request_stop()
    }

    /// Calls `callback` with the result once the task is done. See
    /// [`Future::add_done_callback`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    ///
    /// let pool = weftkit::executor::ThreadPool::builder().build()?;
    /// let shared = pool.submit(|| 5)?.shared();
    /// let (tx, rx) = mpsc::channel();
    /// shared.add_done_callback(move |result| tx.send(result.clone()).unwrap());
    /// assert_eq!(rx.recv().unwrap(), Ok(5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_done_callback(&self, callback: impl FnOnce(&Result<T, TaskError>) + Send + 'static) {
        self.future.add_done_callback(callback);
    }
}

impl<T> Clone for SharedFuture<T> {
    fn clone(&self) -> Self {
        Self {
            future: Arc::clone(&self.future),
        }
    }
}

impl<T> PartialEq for SharedFuture<T> {
    /// Clones of one shared future are equal; see [`Future::id`].
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl<T> Eq for SharedFuture<T> {}

impl<T> std::hash::Hash for SharedFuture<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl<T> fmt::Debug for SharedFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedFuture").field(&*self.future).finish()
    }
}
