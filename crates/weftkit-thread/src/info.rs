//! What weft knows about one thread ([`Info`], shared), and the public view of it,
//! [`ThreadInfo`].

use std::fmt;
use std::hash::{Hash, Hasher};

use weftkit_shim::sync::Arc;
use weftkit_shim::time::Duration;
use weftkit_sync::{Condition, StopToken};

use crate::os;

/// Which kind of thread an [`Info`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The process's main thread.
    Main,
    /// A thread weft started.
    Weft,
    /// A thread weft did not start (std's, a C library's): Python's `_DummyThread`.
    Dummy,
}

/// Where a thread is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Spawned; its body has not begun (its native id is not known yet).
    Starting,
    Running,
    Finished,
}

#[derive(Debug)]
struct Status {
    phase: Phase,
    native_id: Option<u64>,
}

/// One thread, as weft knows it. Shared by its handle, the registry and the thread.
#[derive(Debug)]
pub(crate) struct Info {
    pub(crate) ident: u64,
    pub(crate) name: String,
    pub(crate) daemon: bool,
    pub(crate) kind: Kind,
    pub(crate) stop: StopToken,
    /// The ident of the timer whose callback this thread runs, if any.
    pub(crate) timer: Option<u64>,
    status: Condition<Status>,
}

impl Info {
    /// The main thread: alive for as long as the program runs, never daemon.
    pub(crate) fn main(ident: u64) -> Self {
        Self::new(ident, "MainThread".to_owned(), false, Kind::Main, None)
            .running(os::main_native_id())
    }

    /// A thread weft did not start, described from inside it.
    pub(crate) fn dummy(ident: u64, name: String) -> Self {
        Self::new(ident, name, true, Kind::Dummy, None).running(os::native_id())
    }

    /// A weft thread about to be spawned.
    pub(crate) fn weft(
        ident: u64,
        name: String,
        daemon: bool,
        stop: Option<StopToken>,
        timer: Option<u64>,
    ) -> Self {
        let mut info = Self::new(ident, name, daemon, Kind::Weft, timer);
        if let Some(stop) = stop {
            info.stop = stop;
        }
        info
    }

    fn new(ident: u64, name: String, daemon: bool, kind: Kind, timer: Option<u64>) -> Self {
        Self {
            ident,
            name,
            daemon,
            kind,
            stop: StopToken::new(),
            timer,
            status: Condition::new(Status {
                phase: Phase::Starting,
                native_id: None,
            }),
        }
    }

    fn running(mut self, native_id: Option<u64>) -> Self {
        *self.status.get_mut() = Status {
            phase: Phase::Running,
            native_id,
        };
        self
    }

    /// Called by the thread itself when its body begins.
    pub(crate) fn set_running(&self, native_id: Option<u64>) {
        let mut status = self.status.lock();
        status.phase = Phase::Running;
        status.native_id = native_id;
        status.notify_all();
    }

    /// Called when the body has ended (with the registry lock held, so that the
    /// registry and `is_alive` agree at every instant).
    pub(crate) fn set_finished(&self) {
        let mut status = self.status.lock();
        status.phase = Phase::Finished;
        status.notify_all();
    }

    /// Whether the thread has been started and has not finished.
    pub(crate) fn is_alive(&self) -> bool {
        self.status.lock().phase != Phase::Finished
    }

    /// The OS thread id; waits (briefly) for a thread that has not begun running yet
    /// to publish it.
    pub(crate) fn native_id(&self) -> Option<u64> {
        let mut status = self.status.lock();
        status.wait_for(|s| s.phase != Phase::Starting);
        status.native_id
    }

    /// The native id if already known, without waiting.
    pub(crate) fn native_id_now(&self) -> Option<u64> {
        self.status.lock().native_id
    }

    /// Waits until the thread has finished, at most `timeout` (`Duration::MAX`: no
    /// limit); whether it has.
    pub(crate) fn wait_finished(&self, timeout: Duration) -> bool {
        let mut status = self.status.lock();
        if timeout == Duration::MAX {
            // Said explicitly rather than left to deadline overflow, so that it also
            // holds under loom, whose virtual clock has room for any deadline.
            status.wait_for(|s| s.phase == Phase::Finished);
            return true;
        }
        status.wait_for_timeout(|s| s.phase == Phase::Finished, timeout)
    }
}

/// A live view of one thread: its name, ident, OS id and daemon flag, and whether
/// it is still alive. What [`current`](crate::current),
/// [`main_thread`](crate::main_thread) and [`enumerate`](crate::enumerate) return.
///
/// Two `ThreadInfo`s are equal when they describe the same thread (same ident).
///
/// # Examples
///
/// ```
/// use weftkit::thread::{Thread, current};
///
/// let handle = Thread::new(|| current()).name("reporter").start()?;
/// let ident = handle.ident();
/// let seen = handle.join().unwrap();
/// assert_eq!(seen.name(), "reporter");
/// assert_eq!(seen.ident(), ident);
/// assert!(!seen.is_alive());
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
///
/// # Differences from Python's `threading.Thread` (as returned by `current_thread()`)
///
/// - It is a view, not the thread object: it cannot start or join the thread (the
///   [`JoinHandle`](crate::JoinHandle) does that) and its name and daemon flag are
///   fixed at start.
/// - `ident` is a number weft assigns, unique for the life of the process (Python's
///   may be reused); the OS id is [`native_id`](Self::native_id).
#[derive(Clone)]
pub struct ThreadInfo {
    pub(crate) inner: Arc<Info>,
}

impl ThreadInfo {
    pub(crate) fn new(inner: Arc<Info>) -> Self {
        Self { inner }
    }

    /// The thread's name: the one it was given, `Thread-N` if none, `MainThread`
    /// for the main thread, the std name or `Dummy-N` for a thread weft did not start.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weftkit::thread::main_thread().name(), "MainThread");
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// weft's id for the thread: unique in the process, never reused; the main
    /// thread's is 1.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(weftkit::thread::main_thread().ident(), 1);
    /// ```
    #[must_use]
    pub fn ident(&self) -> u64 {
        self.inner.ident
    }

    /// The operating system's id for the thread (Linux: the TID `gettid` returns,
    /// what `ps -L` and `top -H` show). `None` where the platform offers no such id.
    ///
    /// # Examples
    ///
    /// ```
    /// let id = weftkit::thread::current().native_id();
    /// if cfg!(target_os = "linux") {
    ///     assert!(id.is_some());
    /// }
    /// ```
    #[must_use]
    pub fn native_id(&self) -> Option<u64> {
        self.inner.native_id()
    }

    /// Whether the process exits without waiting for this thread. The main thread
    /// is not a daemon; a thread weft did not start counts as one (exit never waits
    /// for it).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!weftkit::thread::main_thread().is_daemon());
    /// ```
    #[must_use]
    pub fn is_daemon(&self) -> bool {
        self.inner.daemon
    }

    /// Whether the thread is running: started and not yet finished. Always `true`
    /// for the main thread and for threads weft did not start.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weftkit::thread::current().is_alive());
    /// ```
    #[must_use]
    pub fn is_alive(&self) -> bool {
        self.inner.is_alive()
    }

    /// Whether this is the process's main thread.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(weftkit::thread::main_thread().is_main());
    /// ```
    #[must_use]
    pub fn is_main(&self) -> bool {
        self.inner.kind == Kind::Main
    }

    /// Whether weft did not start this thread (Python calls it a dummy thread):
    /// a thread from `std::thread::spawn`, a test harness or a C library.
    ///
    /// # Examples
    ///
    /// ```
    /// let seen = std::thread::spawn(weftkit::thread::current).join().unwrap();
    /// assert!(seen.is_dummy());
    /// ```
    #[must_use]
    pub fn is_dummy(&self) -> bool {
        self.inner.kind == Kind::Dummy
    }
}

impl PartialEq for ThreadInfo {
    fn eq(&self, other: &Self) -> bool {
        self.inner.ident == other.inner.ident
    }
}

impl Eq for ThreadInfo {}

impl Hash for ThreadInfo {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.ident.hash(state);
    }
}

impl fmt::Debug for ThreadInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadInfo")
            .field("name", &self.inner.name)
            .field("ident", &self.inner.ident)
            .field("native_id", &self.inner.native_id_now())
            .field("daemon", &self.inner.daemon)
            .field("alive", &self.inner.is_alive())
            .finish()
    }
}
