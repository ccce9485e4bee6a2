//! [`ProcessPoolBuilder`]: how a process pool is configured.

use std::fmt;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use weftkit_shim::sync::Arc;
use weftkit_shim::time::Duration;

use crate::call::Call;
use crate::state::{Config, Shared};
use crate::{BuildError, ProcessPool};

/// The queue bound a pool gets unless told otherwise.
///
/// # Examples
///
/// ```
/// assert_eq!(weftkit::process::DEFAULT_QUEUE_CAPACITY, 65_536);
/// ```
pub const DEFAULT_QUEUE_CAPACITY: usize = 65_536;

/// How long a new worker may take to start and run its initializer, unless told
/// otherwise (see [`ProcessPoolBuilder::startup_timeout`]).
///
/// # Examples
///
/// ```
/// assert_eq!(weftkit::process::DEFAULT_STARTUP_TIMEOUT.as_secs(), 60);
/// ```
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// What `submit` does when the queue is full.
///
/// Unlike the thread pool's policy there is no `CallerRuns`: running the task in the
/// caller would run it in the parent's memory, which is what a process pool exists
/// to avoid.
///
/// # Examples
///
/// ```
/// use weftkit::process::{ProcessPool, WhenFull};
///
/// weftkit::process::init();
/// let pool = ProcessPool::builder().queue_capacity(100).when_full(WhenFull::Reject).build()?;
/// # Ok::<(), weftkit::process::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WhenFull {
    /// `submit` waits for room (the default).
    #[default]
    Block,
    /// `submit` returns [`SubmitError::Full`](crate::SubmitError::Full) with the argument.
    Reject,
}

/// Configures a [`ProcessPool`]; made by [`ProcessPool::builder`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use weftkit::process::ProcessPool;
///
/// fn warm_up() {}
///
/// weftkit::process::init();
/// let pool = ProcessPool::builder()
///     .max_workers(2)
///     .max_tasks_per_child(1_000)
///     .initializer(warm_up)
///     .timeout(Duration::from_secs(60))
///     .retries(1)
///     .build()?;
/// assert_eq!(pool.max_workers(), 2);
/// # Ok::<(), weftkit::process::BuildError>(())
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct ProcessPoolBuilder {
    max_workers: Option<usize>,
    max_tasks_per_child: Option<u64>,
    initializer: Option<fn()>,
    timeout: Option<Duration>,
    startup_timeout: Duration,
    capacity: Option<usize>,
    when_full: WhenFull,
    retries: u32,
    program: Option<PathBuf>,
    cancel_on_interrupt: bool,
}

impl Default for ProcessPoolBuilder {
    fn default() -> Self {
        Self {
            max_workers: None,
            max_tasks_per_child: None,
            initializer: None,
            timeout: None,
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            capacity: Some(DEFAULT_QUEUE_CAPACITY),
            when_full: WhenFull::Block,
            retries: 0,
            program: None,
            cancel_on_interrupt: false,
        }
    }
}

impl ProcessPoolBuilder {
    /// The most worker processes (default: the number of logical CPUs). Workers start
    /// as work arrives, up to this number.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder().max_workers(2).build()?;
    /// assert_eq!(pool.max_workers(), 2);
    /// # Ok::<(), weftkit::process::BuildError>(())
    /// ```
    pub fn max_workers(mut self, n: usize) -> Self {
        self.max_workers = Some(n);
        self
    }

    /// Replaces a worker after it ran `n` tasks (a chunk of a `map` counts as one), to
    /// bound what a leaky task can accumulate (default: never).
    ///
    /// # Examples
    ///
    /// ```
    /// fn pid(_: ()) -> u32 {
    ///     std::process::id()
    /// }
    ///
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder()
    ///     .max_workers(1)
    ///     .max_tasks_per_child(1)
    ///     .build()?;
    /// let first = pool.submit(pid, ())?.result()?;
    /// let second = pool.submit(pid, ())?.result()?;
    /// assert_ne!(first, second); // a fresh worker for each task
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_tasks_per_child(mut self, n: usize) -> Self {
        // Counts are `usize` across weft's builders; the pool counts tasks in `u64`.
        self.max_tasks_per_child = Some(u64::try_from(n).unwrap_or(u64::MAX));
        self
    }

    /// Runs `init` once in each worker before its first task. If it panics (or the
    /// worker dies in it) the pool is broken: pending futures fail with
    /// [`TaskError::PoolBroken`](weftkit_executor::TaskError::PoolBroken) carrying the
    /// reason, and `submit` refuses.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    ///
    /// static LOADED: AtomicU32 = AtomicU32::new(0);
    ///
    /// fn load_model() {
    ///     LOADED.store(42, Ordering::SeqCst); // in the worker, once
    /// }
    ///
    /// fn predict(x: u32) -> u32 {
    ///     x + LOADED.load(Ordering::SeqCst)
    /// }
    ///
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder()
    ///     .max_workers(1)
    ///     .initializer(load_model)
    ///     .build()?;
    /// assert_eq!(pool.submit(predict, 1)?.result()?, 43);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn initializer(mut self, init: fn()) -> Self {
        self.initializer = Some(init);
        self
    }

    /// A task running longer than `timeout` has its worker killed (and replaced); its
    /// future fails with [`TaskError::DeadlineExceeded`](weftkit_executor::TaskError::DeadlineExceeded).
    /// A chunk of a `map` is one task: the limit is for the whole chunk. Default: no
    /// limit; a zero timeout is refused at `build`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use weftkit::executor::TaskError;
    ///
    /// fn stuck(_: ()) -> u32 {
    ///     loop {
    ///         std::thread::sleep(Duration::from_secs(3600));
    ///     }
    /// }
    ///
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder()
    ///     .max_workers(1)
    ///     .timeout(Duration::from_millis(200))
    ///     .build()?;
    /// assert!(matches!(
    ///     pool.submit(stuck, ())?.result(),
    ///     Err(TaskError::DeadlineExceeded { .. })
    /// ));
    /// assert_eq!(pool.submit(|n: u32| n + 1, 1)?.result()?, 2); // a new worker took over
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long a new worker may take from its start until it is ready for tasks: the
    /// handshake plus the [`initializer`](Self::initializer) (default
    /// [`DEFAULT_STARTUP_TIMEOUT`], 60 s). A worker that takes longer breaks the pool,
    /// as a failing initializer does, so that a hung initializer never hangs the
    /// program.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder()
    ///     .startup_timeout(Duration::from_secs(300)) // a slow initializer is expected
    ///     .build()?;
    /// # Ok::<(), weftkit::process::BuildError>(())
    /// ```
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// Bounds the queue of tasks waiting for a worker (default
    /// [`DEFAULT_QUEUE_CAPACITY`]).
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder().queue_capacity(1_000).build()?;
    /// # Ok::<(), weftkit::process::BuildError>(())
    /// ```
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.capacity = Some(n);
        self
    }

    /// Removes the bound on the queue (Python's behaviour).
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder().unbounded().build()?;
    /// let futures: Vec<_> = (0..100u32).map(|n| pool.submit(|n: u32| n, n)).collect();
    /// assert!(futures.iter().all(Result::is_ok)); // never refused, never blocked
    /// # Ok::<(), weftkit::process::BuildError>(())
    /// ```
    pub fn unbounded(mut self) -> Self {
        self.capacity = None;
        self
    }

    /// What `submit` does when the queue is full (default [`WhenFull::Block`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::process::{ProcessPool, SubmitError, WhenFull};
    ///
    /// weftkit::process::init();
    /// let pool = ProcessPool::builder()
    ///     .queue_capacity(10)
    ///     .when_full(WhenFull::Reject)
    ///     .build()?;
    /// match pool.submit(|n: u32| n * 2, 21) {
    ///     Ok(future) => assert_eq!(future.result()?, 42),
    ///     Err(SubmitError::Full(n)) => assert_eq!(n, 21), // handed back: retry later
    ///     Err(other) => return Err(other.into()),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn when_full(mut self, policy: WhenFull) -> Self {
        self.when_full = policy;
        self
    }

    /// A task whose worker died under it goes back to the front of the queue and runs
    /// again on a fresh worker (the replacement, or one that has run nothing yet), up
    /// to `n` more times, before its future fails with
    /// [`TaskError::WorkerDied`](weftkit_executor::TaskError::WorkerDied) (default 0:
    /// off). Only for tasks that are safe to run twice.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::process::init();
    /// let pool = weftkit::process::ProcessPool::builder().retries(2).build()?;
    /// # Ok::<(), weftkit::process::BuildError>(())
    /// ```
    pub fn retries(mut self, n: usize) -> Self {
        // Counts are `usize` across weft's builders; more than `u32::MAX` retries is
        // the same as `u32::MAX` (no task dies that often in a lifetime).
        self.retries = u32::try_from(n).unwrap_or(u32::MAX);
        self
    }

    /// The program started as a worker (default: this program, started with its own
    /// arguments). It must be this same executable: a handshake checks it, and a
    /// worker that fails it breaks the pool.
    ///
    /// # Examples
    ///
    /// ```
    /// weftkit::process::init();
    /// // This same program, under its path on disk (the default on Linux is /proc/self/exe).
    /// let me = std::env::current_exe()?;
    /// let pool = weftkit::process::ProcessPool::builder().program(me).max_workers(1).build()?;
    /// assert_eq!(pool.submit(|n: u32| n + 1, 1)?.result()?, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn program(mut self, path: impl Into<PathBuf>) -> Self {
        self.program = Some(path.into());
        self
    }

    /// Makes Ctrl-C (`SIGINT`) cancel this pool's work instead of ending the program:
    /// Python's `KeyboardInterrupt`, delivered as
    /// [`TaskError::Cancelled`](weftkit_executor::TaskError::Cancelled) on the pool's
    /// futures.
    ///
    /// The first `SIGINT` the process receives ends every pool built with this flag
    /// that is still alive, at once, as [`terminate_workers`](ProcessPool::terminate_workers)
    /// would (without waiting for it): `submit` refuses from then on, queued and
    /// running tasks fail with `Cancelled`, and the workers get `SIGTERM` and are
    /// reaped by the pool. A thread blocked in
    /// [`Future::result`](weftkit_executor::Future::result) or iterating
    /// [`map`](ProcessPool::map) gets `Err(Cancelled)` and goes on, to clean up (items
    /// of a `map` that it had not yet handed to the pool come back as
    /// [`TaskError::ShutDown`](weftkit_executor::TaskError::ShutDown)).
    ///
    /// - **Ctrl-C no longer ends the program by itself** while such a pool is alive:
    ///   the program decides what to do when it sees `Cancelled` (return from `main`,
    ///   say). With no such pool alive, Ctrl-C does what it would have done without
    ///   the flag.
    /// - **A second Ctrl-C ends the program as usual**: the first one restores
    ///   `SIGINT`'s default action, so a cleanup that hangs can still be interrupted.
    ///   Building another pool with this flag arms it again.
    /// - **It takes `SIGINT` over for the whole process**: a handler installed before
    ///   (by the `ctrlc` or `signal-hook` crates, say) is replaced, and one installed
    ///   after replaces this. If `SIGINT` is ignored when the pool is built (a program
    ///   started with `nohup`, or in the background by a script), it stays ignored, as
    ///   in Python.
    /// - The signal handler itself only writes a byte to a socket; a thread started
    ///   with the first such pool ends the pools, so done callbacks of the futures it
    ///   cancels run on that thread.
    ///
    /// Without the flag (the default), Ctrl-C ends the program and its workers follow
    /// at once; see the `ProcessPool` docs.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::executor::TaskError;
    ///
    /// fn crunch(n: u64) -> u64 {
    ///     (0..n).sum()
    /// }
    ///
    /// fn main() -> Result<(), Box<dyn std::error::Error>> {
    ///     weftkit::process::init();
    ///     let pool = weftkit::process::ProcessPool::builder()
    ///         .max_workers(2)
    ///         .cancel_on_interrupt()
    ///         .build()?;
    ///     for result in pool.map(crunch, 0..100u64) {
    ///         match result {
    ///             Ok(_) => {}
    ///             // Ctrl-C: no traceback, no orphan; save what is done and stop.
    ///             Err(TaskError::Cancelled | TaskError::ShutDown) => return Ok(()),
    ///             Err(other) => return Err(other.into()),
    ///         }
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn cancel_on_interrupt(mut self) -> Self {
        self.cancel_on_interrupt = true;
        self
    }

    /// Builds the pool and starts its manager thread; worker processes start as tasks
    /// arrive.
    ///
    /// # Errors
    ///
    /// [`BuildError::NotInitialized`] if [`init`](crate::init) was not called; a
    /// [`BuildError`] for zero settings, or when the manager thread (or, with
    /// [`cancel_on_interrupt`](Self::cancel_on_interrupt), the thread that watches for
    /// Ctrl-C) cannot start.
    ///
    /// # Examples
    ///
    /// ```
    /// use weftkit::process::{BuildError, ProcessPool};
    ///
    /// weftkit::process::init();
    /// assert!(ProcessPool::builder().build().is_ok());
    /// assert_eq!(
    ///     ProcessPool::builder().queue_capacity(0).build().unwrap_err(),
    ///     BuildError::ZeroCapacity
    /// );
    /// ```
    pub fn build(self) -> Result<ProcessPool, BuildError> {
        if !crate::init::init_ran() {
            return Err(BuildError::NotInitialized);
        }
        let max_workers = self.max_workers.unwrap_or_else(num_cpus::get);
        if max_workers == 0 {
            return Err(BuildError::ZeroWorkers);
        }
        if self.capacity == Some(0) {
            return Err(BuildError::ZeroCapacity);
        }
        if self.max_tasks_per_child == Some(0) {
            return Err(BuildError::ZeroTasksPerChild);
        }
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err(BuildError::ZeroTimeout);
        }
        if self.startup_timeout.is_zero() {
            return Err(BuildError::ZeroStartupTimeout);
        }
        let (program, args) = match self.program {
            Some(program) => (program, Vec::new()),
            None => (
                crate::os::this_program().map_err(|e| BuildError::Os(e.to_string()))?,
                std::env::args_os().skip(1).collect(),
            ),
        };
        let config = Config {
            max_workers,
            max_tasks_per_child: self.max_tasks_per_child,
            initializer: self
                .initializer
                .map(Call::initializer)
                .transpose()
                .map_err(BuildError::InitializerNotPortable)?,
            timeout: self.timeout,
            startup_timeout: self.startup_timeout,
            capacity: self.capacity,
            when_full: self.when_full,
            retries: self.retries,
            program,
            args,
        };
        let (wake_tx, wake_rx) = UnixStream::pair().map_err(|e| BuildError::Os(e.to_string()))?;
        for end in [&wake_tx, &wake_rx] {
            end.set_nonblocking(true)
                .map_err(|e| BuildError::Os(e.to_string()))?;
        }
        let shared = Arc::new(Shared::new(config, wake_tx));
        if self.cancel_on_interrupt {
            crate::interrupt::register(&shared).map_err(|e| BuildError::Os(e.to_string()))?;
        }
        let manager = crate::manager::start(Arc::clone(&shared), wake_rx)
            .map_err(|e| BuildError::Os(e.to_string()))?;
        Ok(ProcessPool::from_parts(shared, manager))
    }
}

impl fmt::Debug for ProcessPoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessPoolBuilder")
            .field("max_workers", &self.max_workers)
            .field("max_tasks_per_child", &self.max_tasks_per_child)
            .field("initializer", &self.initializer.is_some())
            .field("timeout", &self.timeout)
            .field("startup_timeout", &self.startup_timeout)
            .field("capacity", &self.capacity)
            .field("when_full", &self.when_full)
            .field("retries", &self.retries)
            .field("program", &self.program)
            .field("cancel_on_interrupt", &self.cancel_on_interrupt)
            .finish()
    }
}
