//! [`JoinHandle`]: a started thread, to join, watch or stop.

use std::fmt;

use weftkit_shim::sync::Arc;
use weftkit_shim::time::Duration;
use weftkit_sync::StopToken;

use crate::current::known_current_ident;
use crate::error::{JoinError, Panicked};
use crate::excepthook::panic_message;
use crate::info::{Info, ThreadInfo};

/// A started thread: [`join`](Self::join) it for its result, watch it with
/// [`is_alive`](Self::is_alive) and [`wait_timeout`](Self::wait_timeout), or ask it
/// to stop with [`stop`](Self::stop).
///
/// Dropping the handle detaches the thread: it runs on, and (unless it is a daemon)
/// the process still waits for it at exit.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weftkit::thread::{Thread, is_stopped, sleep};
///
/// let handle = Thread::new(|| {
///     let mut ticks = 0;
///     while !is_stopped() {
///         ticks += 1;
///         sleep(Duration::from_millis(1));
///     }
///     ticks
/// })
/// .name("ticker")
/// .start()?;
/// assert!(handle.is_alive());
/// assert!(!handle.wait_timeout(Duration::from_millis(5))); // still ticking
/// handle.stop();
/// let ticks = handle.join().unwrap();
/// # let _ = ticks;
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
///
/// # Differences from Python's `threading.Thread`
///
/// - `join()` consumes the handle and returns the thread's result, or the panic as
///   an error; `join(timeout)` is [`wait_timeout`](Self::wait_timeout), which does
///   not consume the handle and returns whether the thread finished (Python's
///   returns `None` and you ask `is_alive()` afterwards).
/// - [`stop`](Self::stop) has no Python equivalent.
pub struct JoinHandle<T> {
    info: Arc<Info>,
    os: weftkit_shim::thread::JoinHandle<Result<T, Panicked>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(
        info: Arc<Info>,
        os: weftkit_shim::thread::JoinHandle<Result<T, Panicked>>,
    ) -> Self {
        Self { info, os }
    }

    /// Waits for the thread to finish and returns what it returned.
    ///
    /// # Errors
    ///
    /// - [`JoinError::Panicked`] if the thread panicked (the panic was also
    ///   reported to the excepthook).
    /// - [`JoinError::CurrentThread`] if called from the thread itself, which would
    ///   wait for ever.
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = weftkit::thread::Thread::new(|| vec![1, 2, 3]).start()?;
    /// assert_eq!(handle.join().unwrap(), [1, 2, 3]);
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    pub fn join(self) -> Result<T, JoinError> {
        if known_current_ident() == Some(self.info.ident) {
            return Err(JoinError::CurrentThread {
                name: self.info.name.clone(),
            });
        }
        match self.os.join() {
            Ok(result) => result.map_err(JoinError::from),
            // The body runs under `catch_unwind`; only weft's own bookkeeping could
            // unwind here, and it does not panic. Report it like any panic.
            Err(payload) => Err(JoinError::Panicked(Panicked::new(
                self.info.name.clone(),
                panic_message(&*payload),
                None,
            ))),
        }
    }

    /// Waits at most `timeout` for the thread to finish; returns whether it has.
    /// The handle stays usable either way. [`Duration::MAX`] waits without limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::thread::{Thread, sleep};
    ///
    /// let handle = Thread::new(|| sleep(Duration::from_secs(3600))).start()?;
    /// assert!(!handle.wait_timeout(Duration::from_millis(1)));
    /// handle.stop();
    /// assert!(handle.wait_timeout(Duration::from_secs(30)));
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.info.wait_finished(timeout)
    }

    /// Whether the thread is still running (started, and its body has not ended).
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = weftkit::thread::Thread::new(|| ()).start()?;
    /// handle.wait_timeout(std::time::Duration::from_secs(30));
    /// assert!(!handle.is_alive());
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn is_alive(&self) -> bool {
        self.info.is_alive()
    }

    /// The thread's name.
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = weftkit::thread::Thread::new(|| ()).start()?;
    /// assert!(handle.name().starts_with("Thread-"));
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.info.name
    }

    /// weft's id for the thread: unique in the process and never reused.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::thread::Thread;
    ///
    /// let a = Thread::new(|| ()).start()?;
    /// let b = Thread::new(|| ()).start()?;
    /// assert_ne!(a.ident(), b.ident());
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn ident(&self) -> u64 {
        self.info.ident
    }

    /// The operating system's id for the thread (Linux: its TID), or `None` where
    /// the platform has none. If the thread has not begun running yet, waits for it
    /// to (a moment).
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = weftkit::thread::Thread::new(|| ()).start()?;
    /// if cfg!(target_os = "linux") {
    ///     assert!(handle.native_id().is_some());
    /// }
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn native_id(&self) -> Option<u64> {
        self.info.native_id()
    }

    /// Whether the thread is a daemon (the process does not wait for it at exit).
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = weftkit::thread::Thread::new(|| ()).start()?;
    /// assert!(!handle.is_daemon()); // started from the main thread
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn is_daemon(&self) -> bool {
        self.info.daemon
    }

    /// Asks the thread to stop: fires its [`StopToken`], which ends its
    /// [`sleep`](crate::sleep) and every stop-aware wait it is in, at once, and
    /// makes [`is_stopped`](crate::is_stopped) true. Stopping is cooperative: the
    /// thread decides when to return.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::thread::{Thread, stop_token};
    ///
    /// let handle = Thread::new(|| stop_token().wait_timeout(std::time::Duration::MAX)).start()?;
    /// handle.stop();
    /// assert!(handle.join().unwrap()); // the wait ended because of the stop
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    pub fn stop(&self) {
        self.info.stop.stop();
    }

    /// A clone of the thread's [`StopToken`], to stop it from elsewhere or to watch
    /// whether it was asked to stop.
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = weftkit::thread::Thread::new(|| ()).start()?;
    /// let token = handle.stop_token();
    /// token.stop();
    /// assert!(handle.stop_token().is_stopped());
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn stop_token(&self) -> StopToken {
        self.info.stop.clone()
    }

    /// The thread as [`current`](crate::current) and
    /// [`enumerate`](crate::enumerate) show it.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::thread::{Thread, current};
    ///
    /// let handle = Thread::new(current).start()?;
    /// let info = handle.info();
    /// assert_eq!(handle.join().unwrap(), info);
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn info(&self) -> ThreadInfo {
        ThreadInfo::new(Arc::clone(&self.info))
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("name", &self.info.name)
            .field("ident", &self.info.ident)
            .field("daemon", &self.info.daemon)
            .field("alive", &self.info.is_alive())
            .finish_non_exhaustive()
    }
}
