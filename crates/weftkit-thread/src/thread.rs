//! [`Thread`]: Python's `threading.Thread`, built then started once; and
//! [`Runnable`], the "subclass of Thread with `run()`" pattern.

use std::fmt;

use weftkit_shim::sync::Arc;
use weftkit_sync::StopToken;

use crate::current::{current_info, inherited_daemon, set_current};
use crate::error::{Panicked, SpawnError};
use crate::excepthook::run_reporting;
use crate::exit::ensure_exit_hook;
use crate::handle::JoinHandle;
use crate::info::Info;
use crate::registry::{finish_thread, register_thread};
use crate::runtime::{RuntimeRef, adopt, runtime};

/// A thread to be started: what it runs, its name, whether it is a daemon.
///
/// Build it with [`new`](Self::new) (a closure) or
/// [`from_runnable`](Self::from_runnable) (a type implementing [`Runnable`]), set
/// options, then [`start`](Self::start) it, which gives a [`JoinHandle`].
///
/// # Examples
///
/// ```
/// use weftkit::thread::Thread;
///
/// let handle = Thread::new(|| (1..=10).sum::<u32>()).name("adder").start()?;
/// assert_eq!(handle.name(), "adder");
/// assert_eq!(handle.join().unwrap(), 55);
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
///
/// `start` consumes the thread, so starting it twice does not compile:
///
/// ```compile_fail,E0382
/// let thread = weftkit::thread::Thread::new(|| ());
/// let first = thread.start();
/// let second = thread.start(); // error: use of moved value: `thread`
/// ```
///
/// # Differences from Python's `threading.Thread`
///
/// - `start()` twice raises `RuntimeError` in Python; here it does not compile.
/// - When the OS refuses a thread, Python raises `RuntimeError: can't start new
///   thread`; here `start` returns [`SpawnError`].
/// - `join()` returns the thread's result, or [`JoinError`](crate::JoinError)
///   carrying the panic message, instead of `None`. The timed form is
///   [`JoinHandle::wait_timeout`], returning whether the thread finished.
/// - Every thread has a [`StopToken`](weftkit_sync::StopToken): [`JoinHandle::stop`]
///   asks it to stop, and [`sleep`](crate::sleep) and the stop-aware waits of
///   `weftkit::sync` wake at once (Python has no way to stop a thread).
/// - The daemon flag is inherited from a daemon weft thread, as in Python, but a
///   thread started by a thread weft did not start (say, `std::thread::spawn`) is
///   not a daemon by default; Python would make it one.
/// - Name and daemon flag are fixed at start. `start` does not wait for the new
///   thread to begin running (Python's does); [`JoinHandle::native_id`] waits for it
///   briefly if asked that early.
pub struct Thread<T> {
    body: Box<dyn FnOnce() -> T + Send>,
    name: Option<String>,
    /// `Thread-N (name_suffix)` when no name is given (the runnable's type).
    name_suffix: Option<&'static str>,
    daemon: Option<bool>,
    stack_size: Option<usize>,
    stop: Option<StopToken>,
    timer: Option<u64>,
}

/// A type whose [`run`](Self::run) method is a thread's body: Python's pattern of
/// subclassing `Thread` and overriding `run()`. Start one with
/// [`Thread::from_runnable`].
///
/// `run` receives the thread's [`StopToken`]; a long-running loop should check it
/// (or hand it to the stop-aware waits) so that [`JoinHandle::stop`] can end it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weftkit::sync::StopToken;
/// use weftkit::thread::{Runnable, Thread};
///
/// struct Poller {
///     polls: u32,
/// }
///
/// impl Runnable for Poller {
///     type Output = u32;
///
///     fn run(&mut self, stop: &StopToken) -> u32 {
///         // Poll every millisecond until asked to stop.
///         while !stop.wait_timeout(Duration::from_millis(1)) {
///             self.polls += 1;
///         }
///         self.polls
///     }
/// }
///
/// let handle = Thread::from_runnable(Poller { polls: 0 }).start()?;
/// assert!(handle.name().starts_with("Thread-") && handle.name().ends_with("(Poller)"));
/// weftkit::thread::sleep(Duration::from_millis(5));
/// handle.stop();
/// let polls = handle.join().unwrap();
/// # let _ = polls;
/// # Ok::<(), weftkit::thread::SpawnError>(())
/// ```
pub trait Runnable: Send + 'static {
    /// What `run` returns; [`JoinHandle::join`] hands it back.
    type Output: Send + 'static;

    /// The thread's body.
    fn run(&mut self, stop: &StopToken) -> Self::Output;
}

impl<T: Send + 'static> Thread<T> {
    /// A thread that will run `f`.
    ///
    /// Inside `f`, [`current`](crate::current), [`stop_token`](crate::stop_token),
    /// [`is_stopped`](crate::is_stopped) and [`sleep`](crate::sleep) refer to the
    /// new thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = weftkit::thread::Thread::new(|| "done").start()?;
    /// assert_eq!(handle.join().unwrap(), "done");
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    pub fn new<F>(f: F) -> Self
    where
        F: FnOnce() -> T + Send + 'static,
    {
        Self {
            body: Box::new(f),
            name: None,
            name_suffix: None,
            daemon: None,
            stack_size: None,
            stop: None,
            timer: None,
        }
    }

    /// A thread that will call `runnable.run(&stop_token)`. Unnamed, it is called
    /// `Thread-N (Type)`, after the runnable's type (Python adds the target's name
    /// the same way).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::sync::StopToken;
    /// use weftkit::thread::{Runnable, Thread};
    ///
    /// struct Square(u64);
    /// impl Runnable for Square {
    ///     type Output = u64;
    ///     fn run(&mut self, _stop: &StopToken) -> u64 {
    ///         self.0 * self.0
    ///     }
    /// }
    ///
    /// assert_eq!(Thread::from_runnable(Square(12)).start()?.join().unwrap(), 144);
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    pub fn from_runnable<R>(mut runnable: R) -> Self
    where
        R: Runnable<Output = T>,
    {
        let mut thread = Self::new(move || {
            let stop = current_info().stop.clone();
            runnable.run(&stop)
        });
        thread.name_suffix = Some(short_type_name(std::any::type_name::<R>()));
        thread
    }

    /// Names the thread (Python's `name=`). Unnamed threads are called `Thread-N`.
    /// The name is also given to the OS thread (which may shorten it: Linux keeps 15
    /// bytes), so debuggers and `top -H` show it.
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = weftkit::thread::Thread::new(|| ()).name("uploader").start()?;
    /// assert_eq!(handle.name(), "uploader");
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Makes the thread a daemon (`true`) or not (`false`): when the process exits,
    /// it waits for every non-daemon thread and abandons daemon threads. Unset, a
    /// thread started from a daemon weft thread is a daemon and any other is not.
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = weftkit::thread::Thread::new(|| ()).daemon(true).start()?;
    /// assert!(handle.is_daemon());
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn daemon(mut self, daemon: bool) -> Self {
        self.daemon = Some(daemon);
        self
    }

    /// Asks the OS for a stack of `bytes` (Python's `threading.stack_size()`, per
    /// thread); std's default (2 MiB, or `RUST_MIN_STACK`) otherwise. A size the OS
    /// cannot give makes [`start`](Self::start) fail with [`SpawnError::Os`].
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = weftkit::thread::Thread::new(|| ()).stack_size(256 * 1024).start()?;
    /// handle.join().unwrap();
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Gives the thread `token` as its stop token instead of a fresh one, so that
    /// one `token.stop()` can stop a whole group of threads.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::sync::StopToken;
    /// use weftkit::thread::{Thread, sleep};
    ///
    /// let group = StopToken::new();
    /// let workers: Vec<_> = (0..3)
    ///     .map(|_| Thread::new(|| sleep(Duration::from_secs(3600))).stop_token(group.clone()).start())
    ///     .collect::<Result<_, _>>()?;
    /// group.stop();
    /// for worker in workers {
    ///     assert!(!worker.join().unwrap()); // every sleep was cut short
    /// }
    /// # Ok::<(), weftkit::thread::SpawnError>(())
    /// ```
    #[must_use]
    pub fn stop_token(mut self, token: StopToken) -> Self {
        self.stop = Some(token);
        self
    }

    /// Marks the thread as running a callback of the timer `ident`.
    pub(crate) fn timer(mut self, ident: u64) -> Self {
        self.timer = Some(ident);
        self
    }

    /// Starts the thread. It runs until its body returns; the process waits for it
    /// at exit unless it is a daemon.
    ///
    /// # Errors
    ///
    /// - [`SpawnError::Os`] if the operating system refused to create the thread
    ///   (too many threads, not enough memory for its stack).
    /// - [`SpawnError::ExitHook`] if this is the first non-daemon thread and the
    ///   process-exit hook could not be registered.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::thread::Thread;
    ///
    /// match Thread::new(|| 2 + 2).start() {
    ///     Ok(handle) => assert_eq!(handle.join().unwrap(), 4),
    ///     Err(refused) => eprintln!("no thread today: {refused}"),
    /// }
    /// ```
    pub fn start(self) -> Result<JoinHandle<T>, SpawnError> {
        let rt = runtime();
        #[cfg(not(any(weft_loom, weft_shuttle)))]
        crate::excepthook::install_panic_hook(&rt);
        let daemon = self.daemon.unwrap_or_else(inherited_daemon);
        if !daemon {
            ensure_exit_hook(&rt)?;
        }
        let name = self.name.unwrap_or_else(|| {
            let name = rt.next_thread_name();
            match self.name_suffix {
                Some(suffix) => format!("{name} ({suffix})"),
                None => name,
            }
        });
        let info = Arc::new(Info::weft(
            rt.next_ident(),
            name,
            daemon,
            self.stop,
            self.timer,
        ));
        register_thread(&rt, &info);
        let mut builder = weftkit_shim::thread::Builder::new().name(info.name.replace('\0', ""));
        if let Some(bytes) = self.stack_size {
            builder = builder.stack_size(bytes);
        }
        let child = (rt.clone(), Arc::clone(&info), self.body);
        match builder.spawn(move || thread_main(child.0, child.1, child.2)) {
            Ok(os) => Ok(JoinHandle::new(info, os)),
            Err(source) => {
                finish_thread(&rt, &info);
                Err(SpawnError::Os {
                    name: info.name.clone(),
                    source,
                })
            }
        }
    }
}

/// What every weft thread runs: its body, between registering as running and
/// leaving the registry.
fn thread_main<T>(
    rt: RuntimeRef,
    info: Arc<Info>,
    body: Box<dyn FnOnce() -> T + Send>,
) -> Result<T, Panicked> {
    adopt(&rt);
    set_current(Arc::clone(&info));
    info.set_running(crate::os::native_id());
    let result = run_reporting(&info, body);
    finish_thread(&rt, &info);
    result
}

/// `Worker` for `my_crate::jobs::Worker<u8>`: the last path segment, without generics.
fn short_type_name(full: &'static str) -> &'static str {
    let without_generics = full.split('<').next().unwrap_or(full);
    without_generics
        .rsplit("::")
        .next()
        .unwrap_or(without_generics)
}

impl<T> fmt::Debug for Thread<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Thread")
            .field("name", &self.name)
            .field("daemon", &self.daemon)
            .field("stack_size", &self.stack_size)
            .finish_non_exhaustive()
    }
}
