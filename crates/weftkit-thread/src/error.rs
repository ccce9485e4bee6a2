//! Every error weftkit-thread returns. Each message says what happened and what to do.

use std::io;

use thiserror::Error;

/// A thread could not be started.
///
/// # Examples
///
/// Asking for a stack larger than the address space (a quarter of all addresses, on
/// a 64-bit machine) makes the OS refuse the thread; `start` reports it instead of
/// panicking:
///
/// ```
/// # if usize::BITS < 64 { return; } // a quarter of a 32-bit space may be granted
/// use weftkit::thread::{SpawnError, Thread};
///
/// let refused = Thread::new(|| ()).name("huge").stack_size(1 << (usize::BITS - 2)).start();
/// match refused {
///     Err(SpawnError::Os { name, .. }) => assert_eq!(name, "huge"),
///     other => panic!("expected the OS to refuse, got {other:?}"),
/// }
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SpawnError {
    /// The operating system refused to create the thread (too many threads, too
    /// little memory, or a stack size it cannot give).
    #[error(
        "the OS refused to start thread '{name}': {source}; there may be too many threads or too little memory: let finished threads end, ask for a smaller stack, or try again later"
    )]
    Os {
        /// The name the thread would have had.
        name: String,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The hook that makes the process wait for non-daemon threads at exit could not
    /// be registered with the C runtime (`atexit` failed), so a non-daemon thread
    /// started now could be cut off at exit.
    #[error(
        "could not register the process-exit hook that waits for non-daemon threads (atexit failed); start the thread as a daemon, or call weftkit::thread::shutdown() yourself before main returns"
    )]
    ExitHook,
}

/// A thread (or a timer callback) panicked: its message and its thread's name.
///
/// The panic was also reported to the excepthook (see
/// [`set_excepthook`](crate::set_excepthook)) in the thread itself, as Python does.
///
/// # Examples
///
/// ```
/// use weftkit::thread::{JoinError, Thread};
///
/// # weftkit::thread::set_excepthook(|_| {}); // keep the doctest's stderr quiet
/// let handle = Thread::new(|| -> u32 { panic!("no data") }).name("loader").start()?;
/// match handle.join() {
///     Err(JoinError::Panicked(p)) => {
///         assert_eq!(p.thread_name(), "loader");
///         assert_eq!(p.message(), "no data");
///     }
///     other => panic!("expected a panic, got {other:?}"),
/// }
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[error(
    "thread '{thread_name}' panicked: {message}; its result is lost (the panic went to the excepthook); return a Result from the thread for failures it can expect"
)]
pub struct Panicked {
    thread_name: String,
    message: String,
    location: Option<String>,
}

impl Panicked {
    pub(crate) fn new(thread_name: String, message: String, location: Option<String>) -> Self {
        Self {
            thread_name,
            message,
            location,
        }
    }

    /// The name of the thread that panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// # weftkit::thread::set_excepthook(|_| {});
    /// let h = weftkit::thread::Thread::new(|| panic!("x")).name("w").start()?;
    /// assert_eq!(h.join().unwrap_err().panicked().unwrap().thread_name(), "w");
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn thread_name(&self) -> &str {
        &self.thread_name
    }

    /// The panic message (`"Box<dyn Any>"` when the payload was neither a `&str`
    /// nor a `String`, as std prints it).
    ///
    /// # Examples
    ///
    /// ```
    /// # weftkit::thread::set_excepthook(|_| {});
    /// let h = weftkit::thread::Thread::new(|| panic!("code {}", 7)).start()?;
    /// assert_eq!(h.join().unwrap_err().panicked().unwrap().message(), "code 7");
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where the panic happened (`file:line:column`), when it was known.
    ///
    /// # Examples
    ///
    /// ```
    /// # weftkit::thread::set_excepthook(|_| {});
    /// let h = weftkit::thread::Thread::new(|| panic!("here")).start()?;
    /// let err = h.join().unwrap_err();
    /// if let Some(at) = err.panicked().unwrap().location() {
    ///     assert!(at.contains(".rs:"));
    /// }
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }
}

/// Why [`JoinHandle::join`](crate::JoinHandle::join) (or
/// [`TimerHandle::join`](crate::TimerHandle::join)) returned no result.
///
/// # Examples
///
/// ```
/// use weftkit::thread::{JoinError, Thread};
///
/// # weftkit::thread::set_excepthook(|_| {});
/// let err = Thread::new(|| panic!("boom")).start()?.join().unwrap_err();
/// assert!(matches!(err, JoinError::Panicked(_)));
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The thread panicked; the panic was reported to the excepthook.
    #[error(transparent)]
    Panicked(#[from] Panicked),
    /// A thread tried to join itself, which would wait forever (Python raises
    /// `RuntimeError: cannot join current thread`).
    #[error(
        "thread '{name}' tried to join itself, which would wait forever; join it from another thread"
    )]
    CurrentThread {
        /// The thread's name.
        name: String,
    },
}

impl JoinError {
    /// The panic, if the thread panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// # weftkit::thread::set_excepthook(|_| {});
    /// let err = weftkit::thread::Thread::new(|| panic!("p")).start()?.join().unwrap_err();
    /// assert_eq!(err.panicked().map(|p| p.message()), Some("p"));
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn panicked(&self) -> Option<&Panicked> {
        match self {
            Self::Panicked(p) => Some(p),
            Self::CurrentThread { .. } => None,
        }
    }
}

/// A [`Timer`](crate::Timer) could not be started.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weftkit::thread::{Timer, TimerError};
///
/// let err = Timer::every(Duration::ZERO, || ()).start().unwrap_err();
/// assert!(matches!(err, TimerError::ZeroInterval));
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TimerError {
    /// A periodic timer was given a zero interval, which would run its callback in a
    /// busy loop.
    #[error("a periodic timer needs a non-zero interval; give Timer::every a positive Duration")]
    ZeroInterval,
    /// The shared timer thread could not be started, or the exit hook registered.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
}
