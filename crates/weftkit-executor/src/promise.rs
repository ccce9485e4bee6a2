//! [`Promise`]: the producing half of a [`Future`], for work that runs elsewhere.

use std::fmt;

use weftkit_shim::sync::Arc;
use weftkit_sync::StopToken;

use crate::TaskError;
use crate::future::{Future, Shared};

/// The producing half of a [`Future`]: whoever holds it runs the work somewhere (another
/// process, a callback-driven library) and completes the future with the outcome.
///
/// The future keeps its meaning: [`Future::cancel`] succeeds only before
/// [`start`](Self::start) claims the work, and once started a cancel fires the
/// promise's [`stop_token`](Self::stop_token). Every future resolves: a promise dropped
/// without [`complete`](Self::complete) completes its future with
/// [`TaskError::Abandoned`].
///
/// # Examples
///
/// ```
/// use weftkit::executor::Promise;
///
/// let (mut promise, future) = Promise::<u32>::new();
/// std::thread::spawn(move || {
///     if promise.start() {
///         promise.complete(Ok(6 * 7));
///     }
/// });
/// assert_eq!(future.result(), Ok(42));
/// ```
#[must_use = "dropping a Promise completes its future with TaskError::Abandoned"]
pub struct Promise<T: Send> {
    shared: Option<Arc<Shared<T>>>,
    /// `start` claimed the work: the future can no longer be cancelled.
    started: bool,
}

impl<T: Send> Promise<T> {
    /// A new promise and the future it completes.
    ///
    /// # Examples
    ///
    /// ```
    /// let (promise, future) = weftkit::executor::Promise::<&str>::new();
    /// assert!(!future.done());
    /// promise.complete(Ok("done"));
    /// assert_eq!(future.result(), Ok("done"));
    /// ```
    pub fn new() -> (Self, Future<T>) {
        let shared = Shared::new();
        let future = Future::new(Arc::clone(&shared));
        (
            Self {
                shared: Some(shared),
                started: false,
            },
            future,
        )
    }

    /// Claims the work to run it: after this the future reports
    /// [`running`](Future::running) and can no longer be cancelled. `false` means the
    /// future was cancelled first: do not run the work (the future is already
    /// complete). Calling it again after it returned `true` returns `true`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut promise, future) = weftkit::executor::Promise::<()>::new();
    /// assert!(future.cancel());
    /// assert!(!promise.start()); // cancelled first: skip the work
    /// ```
    pub fn start(&mut self) -> bool {
        if self.started {
            return true;
        }
        match &self.shared {
            Some(shared) if shared.claim_for_run() => {
                self.started = true;
                true
            }
            _ => false,
        }
    }

    /// Whether [`start`](Self::start) claimed the work.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut promise, _future) = weftkit::executor::Promise::<()>::new();
    /// assert!(!promise.is_started());
    /// promise.start();
    /// assert!(promise.is_started());
    /// ```
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Whether the future is already complete (cancelled before it started).
    ///
    /// # Examples
    ///
    /// ```
    /// let (promise, future) = weftkit::executor::Promise::<()>::new();
    /// assert!(!promise.is_done());
    /// future.cancel();
    /// assert!(promise.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.shared.as_ref().is_none_or(|shared| shared.is_done())
    }

    /// The work's stop token: [`Future::request_stop`] fires it.
    ///
    /// # Examples
    ///
    /// ```
    /// let (mut promise, future) = weftkit::executor::Promise::<()>::new();
    /// assert!(promise.start());
    /// assert!(!future.cancel()); // running: cancel changes nothing
    /// assert!(!promise.stop_token().is_stopped());
    /// assert!(future.request_stop()); // a stop is asked for
    /// assert!(promise.stop_token().is_stopped());
    /// promise.complete(Ok(()));
    /// ```
    pub fn stop_token(&self) -> StopToken {
        match &self.shared {
            Some(shared) => shared.stop_token(),
            None => StopToken::new(),
        }
    }

    /// Completes the future with `result`, waking its waiters and running its done
    /// callbacks on this thread. A promise not yet started is claimed first; if its
    /// future was cancelled meanwhile, `result` is dropped (the future stays cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::{Promise, TaskError};
    ///
    /// let (promise, future) = Promise::<u8>::new();
    /// promise.complete(Err(TaskError::Cancelled));
    /// assert!(future.cancelled());
    /// ```
    pub fn complete(mut self, result: Result<T, TaskError>) {
        if !self.start() {
            self.shared = None;
            return;
        }
        if let Some(shared) = self.shared.take() {
            shared.complete(result);
        }
    }
}

impl<T: Send> Drop for Promise<T> {
    /// Completes an uncompleted future with [`TaskError::Abandoned`], so that every
    /// future resolves.
    fn drop(&mut self) {
        if self.shared.is_some()
            && self.start()
            && let Some(shared) = self.shared.take()
        {
            shared.complete(Err(TaskError::Abandoned));
        }
    }
}

impl<T: Send> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Promise")
            .field("started", &self.started)
            .field("done", &self.is_done())
            .finish()
    }
}
